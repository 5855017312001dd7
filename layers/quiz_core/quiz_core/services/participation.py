"""Joining a quiz over HTTP, and opening and closing its WebSocket connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiz_core.delivery.welcome_trigger import WelcomeRequest, WelcomeTrigger
from quiz_core.errors import NotAParticipant, QuizFull, QuizNotFound, UserNotFound
from quiz_core.models import ConnectionRecord, Participation, Quiz, User, utc_from_epoch_ms
from quiz_core.rules.participation import ensure_can_connect, ensure_can_join
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.quiz_repository import QuizRepository


@dataclass(frozen=True)
class JoinResult:
    quiz: Quiz
    user: User
    participation: Participation
    created: bool


def join_quiz(
    repository: QuizRepository, quiz_id: str, user_id: str, now: datetime, max_players: int
) -> JoinResult:
    """Makes the user a participant of the quiz; joining again returns the same record."""
    quiz, user = repository.quiz_and_user(quiz_id, user_id)
    if quiz is None:
        raise QuizNotFound(quiz_id)
    if user is None:
        raise UserNotFound(user_id)
    ensure_can_join(quiz, now)

    joined = repository.join(quiz_id, user_id, max_players)
    if joined is None:
        raise QuizFull(quiz_id, max_players)
    participation, created = joined
    return JoinResult(quiz=quiz, user=user, participation=participation, created=created)


@dataclass(frozen=True)
class ConnectRequest:
    connection_id: str
    quiz_id: str
    user_id: str
    endpoint: str
    requested_at_ms: int


def open_connection(
    repository: QuizRepository,
    registry: ConnectionRegistry,
    welcome: WelcomeTrigger,
    request: ConnectRequest,
    ttl_seconds: int,
) -> ConnectionRecord:
    """Admits a participant's connection, registers it, and asks for its welcome."""
    quiz, participation = repository.transaction(
        lambda store: (
            store.quiz(request.quiz_id),
            store.participation(request.quiz_id, request.user_id),
        )
    )
    if quiz is None:
        raise QuizNotFound(request.quiz_id)
    if participation is None:
        raise NotAParticipant(request.quiz_id, request.user_id)
    ensure_can_connect(quiz, utc_from_epoch_ms(request.requested_at_ms))

    record = ConnectionRecord(
        connection_id=request.connection_id,
        quiz_id=request.quiz_id,
        user_id=request.user_id,
        connected_at_ms=request.requested_at_ms,
        expires_at=request.requested_at_ms // 1000 + ttl_seconds,
    )
    registry.add(record)
    try:
        welcome.request(
            WelcomeRequest(
                connection_id=request.connection_id,
                quiz_id=request.quiz_id,
                user_id=request.user_id,
                endpoint=request.endpoint,
                requested_at_ms=request.requested_at_ms,
            )
        )
    except Exception:
        # The connection is refused when its welcome cannot be requested; its row must
        # not outlive it.
        registry.remove(request.connection_id)
        raise
    return record


def close_connection(registry: ConnectionRegistry, connection_id: str) -> None:
    registry.remove(connection_id)
