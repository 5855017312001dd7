"""Answering, moving on, asking for the leaderboard or a state snapshot, and pinging."""

from __future__ import annotations

from dataclasses import dataclass, replace

from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.errors import (
    NoCurrentQuestion,
    NotAParticipant,
    QuestionNotInQuiz,
    QuestionNotServed,
    QuizNotFound,
    RateLimitedError,
    UnknownConnection,
)
from quiz_core.models import (
    ConnectionRecord,
    Progress,
    Question,
    Quiz,
    StoredAnswer,
    utc_from_epoch_ms,
)
from quiz_core.rules import messages
from quiz_core.rules.answers import AnswerDecision, Serving, decide_answer, decide_skip
from quiz_core.rules.participation import ensure_can_answer, ensure_choice_exists, ensure_open
from quiz_core.services.leaderboard_push import LeaderboardPushes
from quiz_core.services.progress import (
    Served,
    question_message,
    serve_question,
    snapshot,
    standing,
)
from quiz_core.storage.connection_registry import ConnectionRegistry, RateLimited
from quiz_core.storage.quiz_repository import QuizRepository, QuizStore


@dataclass(frozen=True)
class MessageContext:
    """Where a WebSocket message came from and when API Gateway received it.

    ``connection`` is the registration once ``admit_message`` has read it.
    """

    connection_id: str
    endpoint: str
    received_at_ms: int
    connection: ConnectionRecord | None = None


def admit_message(
    registry: ConnectionRegistry, context: MessageContext, per_second: int
) -> MessageContext:
    """Counts the message against its connection's rate; refuses it past the limit."""
    admitted = registry.admit_message(context.connection_id, context.received_at_ms, per_second)
    if admitted is None:
        raise UnknownConnection(context.connection_id)
    if isinstance(admitted, RateLimited):
        raise RateLimitedError(admitted.per_second)
    return replace(context, connection=admitted)


@dataclass(frozen=True)
class AnswerRequest:
    question_id: str
    choice: int


@dataclass(frozen=True)
class Gameplay:
    """What the gameplay use cases need, built once per cold start."""

    repository: QuizRepository
    registry: ConnectionRegistry
    channel: QuizChannel
    pushes: LeaderboardPushes


@dataclass(frozen=True)
class _Step:
    """The result of one answer or skip: what to tell the player, and what comes next."""

    quiz: Quiz
    user_id: str
    answer: StoredAnswer | None
    question: Question | None
    progress: Progress
    already_answered: bool
    next_question: Served | None
    finished: messages.Standing | None


def submit_answer(game: Gameplay, context: MessageContext, request: AnswerRequest) -> None:
    """Scores the player's first answer to a served question, and serves the next one.

    The player and quiz come from the connection's registration, never from the message.
    A repeated answer, from any connection of the player, gets the first result and
    changes nothing.
    """
    connection = _registered(game.registry, context)
    now = context.received_at_ms

    def work(store: QuizStore) -> _Step:
        quiz = _quiz(store, connection.quiz_id)
        ensure_can_answer(quiz, request.question_id, utc_from_epoch_ms(context.received_at_ms))
        question = store.question(request.question_id)
        if question is None:
            raise QuestionNotInQuiz(quiz.quiz_id, request.question_id)
        ensure_choice_exists(question, request.choice)
        progress = _lock(store, quiz.quiz_id, connection.user_id)

        existing = store.answer(quiz.quiz_id, connection.user_id, question.question_id)
        if existing is not None:
            return _Step(quiz, connection.user_id, existing, question, progress, True, None, None)
        serving = store.serving(quiz.quiz_id, connection.user_id, question.question_id)
        if serving is None:
            raise QuestionNotServed(question.question_id)

        decision = decide_answer(
            serving, question, request.choice, context.received_at_ms, progress.streak
        )
        return _record_and_advance(store, quiz, connection, serving, decision, question, now)

    _tell(game, context, game.repository.transaction(work))


def skip_question(game: Gameplay, context: MessageContext) -> None:
    """``next``: once the current question's time is up, records it unanswered and moves on."""
    connection = _registered(game.registry, context)
    now = context.received_at_ms

    def work(store: QuizStore) -> _Step:
        quiz = _quiz(store, connection.quiz_id)
        ensure_open(quiz, utc_from_epoch_ms(context.received_at_ms))
        progress = _lock(store, quiz.quiz_id, connection.user_id)
        servings = store.servings(quiz.quiz_id, connection.user_id)
        if not servings:
            raise NoCurrentQuestion(quiz.quiz_id)
        current = servings[-1]
        if store.answer(quiz.quiz_id, connection.user_id, current.question_id) is None:
            decision = decide_skip(current, now)
            question = store.question(current.question_id)
            return _record_and_advance(store, quiz, connection, current, decision, question, now)
        return _advance(
            store, quiz, connection.user_id, None, None, progress, current.question_index + 1, now
        )

    _tell(game, context, game.repository.transaction(work))


def send_leaderboard(game: Gameplay, context: MessageContext) -> None:
    connection = _registered(game.registry, context)

    def work(store: QuizStore) -> messages.Message:
        top = store.ranking(connection.quiz_id, 10)
        progress = _lock_free_progress(store, connection)
        you = standing(store, connection.quiz_id, connection.user_id, progress)
        return messages.leaderboard(connection.quiz_id, top, you, context.received_at_ms)

    message = game.repository.transaction(work)
    game.channel.send(context.endpoint, context.connection_id, message)


def send_state(game: Gameplay, context: MessageContext) -> None:
    """``state``: the same snapshot a reconnecting player receives."""
    connection = _registered(game.registry, context)

    def work(store: QuizStore) -> messages.Message:
        quiz = _quiz(store, connection.quiz_id)
        score = _lock_free_progress(store, connection)
        progress = snapshot(store, quiz, connection.user_id, context.received_at_ms)
        current = progress.current
        question = question_message(quiz, current, context.received_at_ms) if current else None
        you = standing(store, quiz.quiz_id, connection.user_id, score)
        return messages.state(quiz, you, progress.answered, question, context.received_at_ms)

    message = game.repository.transaction(work)
    game.channel.send(context.endpoint, context.connection_id, message)


def answer_ping(
    registry: ConnectionRegistry, channel: QuizChannel, context: MessageContext, ttl_seconds: int
) -> None:
    """Replies ``pong`` and pushes back the expiry of the connection's row."""
    registry.extend(context.connection_id, context.received_at_ms // 1000 + ttl_seconds)
    channel.send(context.endpoint, context.connection_id, messages.pong(context.received_at_ms))


def _record_and_advance(
    store: QuizStore,
    quiz: Quiz,
    connection: ConnectionRecord,
    serving: Serving,
    decision: AnswerDecision,
    question: Question | None,
    now_ms: int,
) -> _Step:
    """Stores a decided answer (or skip), then serves the question after it."""
    stored, progress = store.record_answer(
        quiz.quiz_id, connection.user_id, serving.question_id, decision, now_ms
    )
    return _advance(
        store,
        quiz,
        connection.user_id,
        stored,
        question,
        progress,
        serving.question_index + 1,
        now_ms,
    )


def _advance(
    store: QuizStore,
    quiz: Quiz,
    user_id: str,
    answer: StoredAnswer | None,
    question: Question | None,
    progress: Progress,
    next_index: int,
    now_ms: int,
) -> _Step:
    served = serve_question(store, quiz, user_id, next_index, now_ms)
    finished = standing(store, quiz.quiz_id, user_id, progress.score) if served is None else None
    return _Step(quiz, user_id, answer, question, progress, False, served, finished)


def _tell(game: Gameplay, context: MessageContext, step: _Step) -> None:
    now = context.received_at_ms
    replies: list[messages.Message] = []
    if step.answer is not None and step.question is not None:
        replies.append(
            messages.answer_result(
                step.answer, step.question, step.progress.score, step.already_answered
            )
        )
    if not step.already_answered:
        if step.next_question is not None:
            replies.append(question_message(step.quiz, step.next_question, now))
        elif step.finished is not None:
            replies.append(messages.player_finished(step.quiz, step.finished, now))
    game.channel.send_to_player(context.endpoint, step.quiz.quiz_id, step.user_id, replies)
    if step.answer is not None and not step.already_answered:
        game.pushes.request(step.quiz.quiz_id, context.endpoint, now)


def _registered(registry: ConnectionRegistry, context: MessageContext) -> ConnectionRecord:
    if context.connection is not None:
        return context.connection
    connection = registry.get(context.connection_id)
    if connection is None:
        raise UnknownConnection(context.connection_id)
    return connection


def _quiz(store: QuizStore, quiz_id: str) -> Quiz:
    quiz = store.quiz(quiz_id)
    if quiz is None:
        raise QuizNotFound(quiz_id)
    return quiz


def _lock(store: QuizStore, quiz_id: str, user_id: str) -> Progress:
    progress = store.lock_progress(quiz_id, user_id)
    if progress is None:
        raise NotAParticipant(quiz_id, user_id)
    return progress


def _lock_free_progress(store: QuizStore, connection: ConnectionRecord) -> int:
    participation = store.participation(connection.quiz_id, connection.user_id)
    if participation is None:
        raise NotAParticipant(connection.quiz_id, connection.user_id)
    return participation.score
