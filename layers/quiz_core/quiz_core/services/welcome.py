"""Greeting a connection as soon as API Gateway has opened it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from aws_lambda_powertools import Logger

from quiz_core.delivery.management_api import Delivery
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.delivery.welcome_trigger import WelcomeRequest
from quiz_core.errors import NotAParticipant, QuizNotFound, UserNotFound
from quiz_core.rules import messages
from quiz_core.storage.quiz_repository import QuizRepository

logger = Logger(child=True)

# Until $connect has returned, posts to the new connection answer 410 Gone. These waits
# (about 5 s in all) cover a slow handshake; after them the client is taken to have left.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0)


def deliver_welcome(
    repository: QuizRepository,
    channel: QuizChannel,
    request: WelcomeRequest,
    clock_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
    retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
) -> Delivery:
    """Posts the welcome, retrying while the connection is not open yet."""
    message = _welcome_message(repository, request, clock_ms())
    for delay in (0.0, *retry_delays):
        if delay:
            sleep(delay)
        delivery = channel.send(
            request.endpoint, request.connection_id, message, forget_if_gone=False
        )
        if delivery is not Delivery.GONE:
            return delivery

    channel.forget(request.connection_id)
    logger.warning("welcome never delivered", extra={"connection_id": request.connection_id})
    return Delivery.GONE


def _welcome_message(
    repository: QuizRepository, request: WelcomeRequest, now_ms: int
) -> messages.Message:
    view = repository.player_view(request.quiz_id, request.user_id)
    if view.quiz is None:
        raise QuizNotFound(request.quiz_id)
    if view.user is None:
        raise UserNotFound(request.user_id)
    if view.participation is None:
        raise NotAParticipant(request.quiz_id, request.user_id)

    return messages.welcome(
        quiz=view.quiz,
        user=view.user,
        questions=view.questions,
        leaderboard=view.leaderboard,
        score=view.participation.score,
        now_ms=now_ms,
    )
