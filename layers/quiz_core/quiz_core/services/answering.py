"""Answering a question, asking for the leaderboard, and keeping a connection alive."""

from __future__ import annotations

from dataclasses import dataclass

from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.errors import QuestionNotInQuiz, QuizNotFound, UnknownConnection
from quiz_core.models import ConnectionRecord, utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.rules.participation import ensure_can_answer, ensure_choice_exists
from quiz_core.rules.scoring import score_answer
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.quiz_repository import QuizRepository


@dataclass(frozen=True)
class MessageContext:
    """Where a WebSocket message came from and when API Gateway received it."""

    connection_id: str
    endpoint: str
    received_at_ms: int


@dataclass(frozen=True)
class AnswerRequest:
    question_id: str
    choice: int


def submit_answer(
    repository: QuizRepository,
    registry: ConnectionRegistry,
    channel: QuizChannel,
    context: MessageContext,
    request: AnswerRequest,
) -> None:
    """Stores the player's first answer, replies with its result, and updates everyone.

    The player and quiz come from the connection's registration, never from the message.
    A repeated answer is answered with the first result and changes nothing.
    """
    connection = _registered(registry, context.connection_id)
    quiz, question = repository.quiz_with_question(connection.quiz_id, request.question_id)
    if quiz is None:
        raise QuizNotFound(connection.quiz_id)
    ensure_can_answer(quiz, request.question_id, utc_from_epoch_ms(context.received_at_ms))
    if question is None:
        raise QuestionNotInQuiz(quiz.quiz_id, request.question_id)
    ensure_choice_exists(question, request.choice)

    outcome, leaderboard = repository.record_answer(
        quiz_id=quiz.quiz_id,
        user_id=connection.user_id,
        question_id=question.question_id,
        choice=request.choice,
        score=score_answer(question, request.choice),
        answered_at=utc_from_epoch_ms(context.received_at_ms),
    )
    channel.send(context.endpoint, context.connection_id, messages.answer_result(outcome))
    if not outcome.already_answered:
        update = messages.leaderboard(quiz.quiz_id, leaderboard, context.received_at_ms)
        channel.broadcast(context.endpoint, quiz.quiz_id, update)


def send_leaderboard(
    repository: QuizRepository,
    registry: ConnectionRegistry,
    channel: QuizChannel,
    context: MessageContext,
) -> None:
    connection = _registered(registry, context.connection_id)
    entries = repository.leaderboard(connection.quiz_id)
    message = messages.leaderboard(connection.quiz_id, entries, context.received_at_ms)
    channel.send(context.endpoint, context.connection_id, message)


def answer_ping(
    registry: ConnectionRegistry, channel: QuizChannel, context: MessageContext, ttl_seconds: int
) -> None:
    """Replies ``pong`` and pushes back the expiry of the connection's row."""
    registry.extend(context.connection_id, context.received_at_ms // 1000 + ttl_seconds)
    channel.send(context.endpoint, context.connection_id, messages.pong(context.received_at_ms))


def _registered(registry: ConnectionRegistry, connection_id: str) -> ConnectionRecord:
    connection = registry.get(connection_id)
    if connection is None:
        raise UnknownConnection(connection_id)
    return connection
