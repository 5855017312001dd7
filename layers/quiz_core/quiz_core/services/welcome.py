"""Greeting a connection as soon as API Gateway has opened it.

A new player gets ``welcome`` and, in a running quiz, their first question. A returning
player (a new connection after a drop, a refresh or the two-hour limit) gets ``welcome``
and a ``state`` snapshot: the current question with its time left, score, rank and the
questions already answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from quiz_core.delivery.management_api import Delivery
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.delivery.welcome_trigger import WelcomeRequest
from quiz_core.errors import NotAParticipant, QuizNotFound, UserNotFound
from quiz_core.models import QuizPhase, utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.services.progress import question_message, serve_question, snapshot, standing
from quiz_core.storage.quiz_repository import LEADERBOARD_SIZE, QuizRepository, QuizStore

logger = Logger(child=True)

# Until $connect has returned, posts to the new connection answer 410 Gone. These waits
# (about 12 s in all) cover a slow handshake, such as a crowd connecting at the start of a
# quiz; after them the client is taken to have left.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (
    0.02,
    0.05,
    0.1,
    0.2,
    0.4,
    0.8,
    1.0,
    1.0,
    1.0,
    1.5,
    2.0,
    2.0,
    2.0,
)


@dataclass(frozen=True)
class Arrival:
    welcome: messages.Message
    then: messages.Message | None


def deliver_welcome(
    repository: QuizRepository,
    channel: QuizChannel,
    request: WelcomeRequest,
    clock_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
    retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
) -> Delivery:
    """Posts the welcome, retrying while the connection is not open yet, then what follows."""
    now_ms = clock_ms()
    arrival = repository.transaction(lambda store: _arrive(store, request, now_ms))
    delivery = _post_when_open(channel, request, arrival.welcome, sleep, retry_delays)
    if delivery is Delivery.DELIVERED and arrival.then is not None:
        return channel.send(request.endpoint, request.connection_id, arrival.then)
    return delivery


def _post_when_open(
    channel: QuizChannel,
    request: WelcomeRequest,
    message: messages.Message,
    sleep: Callable[[float], None],
    retry_delays: Sequence[float],
) -> Delivery:
    for delay in (0.0, *retry_delays):
        if delay:
            sleep(delay)
        delivery = channel.send(
            request.endpoint, request.connection_id, message, forget_if_gone=False
        )
        if delivery is not Delivery.GONE:
            return delivery

    # After every retry the client is taken to have left: its row goes even though it is
    # younger than the opening grace that protects handshakes from other posts' 410s.
    channel.unregister(request.connection_id)
    logger.warning("welcome never delivered", extra={"connection_id": request.connection_id})
    return Delivery.GONE


def _arrive(store: QuizStore, request: WelcomeRequest, now_ms: int) -> Arrival:
    quiz = store.quiz(request.quiz_id)
    if quiz is None:
        raise QuizNotFound(request.quiz_id)
    user = store.user(request.user_id)
    if user is None:
        raise UserNotFound(request.user_id)
    participation = store.participation(quiz.quiz_id, user.user_id)
    if participation is None:
        raise NotAParticipant(quiz.quiz_id, user.user_id)

    # Returning: questions were served before this connection opened (a serving made since,
    # by the quiz start racing this welcome, still makes a new player).
    returning = any(
        s.served_at_ms < request.requested_at_ms for s in store.servings(quiz.quiz_id, user.user_id)
    )
    if not returning and quiz.phase(utc_from_epoch_ms(now_ms)) is QuizPhase.OPEN:
        serve_question(store, quiz, user.user_id, 0, now_ms)
    progress = snapshot(store, quiz, user.user_id, now_ms)
    you = standing(store, quiz.quiz_id, user.user_id, participation.score)
    welcome = messages.welcome(
        quiz, user, you, store.ranking(quiz.quiz_id, LEADERBOARD_SIZE), now_ms
    )
    current = question_message(quiz, progress.current, now_ms) if progress.current else None
    if returning:
        return Arrival(welcome, messages.state(quiz, you, progress.answered, current, now_ms))
    return Arrival(welcome, current)
