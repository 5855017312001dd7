"""A quiz's start and end: announced once, however often or late the clock runs.

A scheduled clock runs every minute. It queues a start or end message, delayed to the exact
second, for every quiz starting or ending before its next run, and handles at once any
start or end that has passed unhandled (a late or missed run). Handling claims the step in
``quiz_runs`` first, so a second run, a duplicate message, or two at once do nothing.
"""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools import Logger

from quiz_core.delivery.management_api import ManagementApi
from quiz_core.delivery.push_queue import QuizEvent, QuizEventQueue
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.models import LeaderboardEntry, Quiz, epoch_ms, utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.services.progress import Served, question_message, serve_question
from quiz_core.storage.connection_registry import ConnectionRegistry, PlayerConnection
from quiz_core.storage.quiz_repository import QuizRepository, QuizStore

logger = Logger(child=True)

QUIZ_START = "start"
QUIZ_END = "end"
CLOCK_PERIOD = timedelta(minutes=1)


def run_clock(
    repository: QuizRepository,
    queue: QuizEventQueue,
    registry: ConnectionRegistry,
    channel: QuizChannel,
    api: ManagementApi,
    endpoint: str,
    now_ms: int,
) -> None:
    now = utc_from_epoch_ms(now_ms)
    upcoming = repository.transaction(
        lambda store: store.quizzes_starting_or_ending(now, now + CLOCK_PERIOD)
    )
    for quiz in upcoming:
        _queue_steps(queue, quiz, endpoint, now_ms)

    due = repository.transaction(lambda store: store.quizzes_due(now))
    for quiz, start_due, end_due in due:
        if end_due and now >= quiz.end_time:
            finalize_quiz(repository, registry, channel, api, quiz.quiz_id, endpoint, now_ms)
        elif start_due:
            start_quiz(repository, registry, channel, quiz.quiz_id, endpoint, now_ms)


def _queue_steps(queue: QuizEventQueue, quiz: Quiz, endpoint: str, now_ms: int) -> None:
    for kind, at_ms in (
        (QUIZ_START, epoch_ms(quiz.start_time)),
        (QUIZ_END, epoch_ms(quiz.end_time)),
    ):
        if now_ms <= at_ms < now_ms + int(CLOCK_PERIOD.total_seconds() * 1000):
            # SQS delays whole seconds; rounding up never fires a step early.
            queue.send(QuizEvent(kind, quiz.quiz_id, endpoint), -(-(at_ms - now_ms) // 1000))


def start_quiz(
    repository: QuizRepository,
    registry: ConnectionRegistry,
    channel: QuizChannel,
    quiz_id: str,
    endpoint: str,
    now_ms: int,
) -> bool:
    """Sends ``quiz_started`` and each waiting player's first question; True if it did."""
    connections = list(registry.players_of_quiz(quiz_id))

    def work(store: QuizStore) -> tuple[Quiz, dict[str, Served]] | None:
        quiz = store.quiz(quiz_id)
        if quiz is None or now_ms < epoch_ms(quiz.start_time) or not store.claim_start(quiz_id):
            return None
        if now_ms >= epoch_ms(quiz.end_time):
            return quiz, {}
        # A player welcomed after the start time but before this step already has their
        # first question, and may be further on: sending it again would take them back to a
        # question they answered. So only players this step serves hear from it (a welcome
        # serving the same player meanwhile makes ``newly_served`` false).
        first: dict[str, Served] = {}
        for user_id in {c.user_id for c in connections}:
            if store.servings(quiz_id, user_id):
                continue
            served = serve_question(store, quiz, user_id, 0, now_ms)
            if served is not None and served.newly_served:
                first[user_id] = served
        return quiz, first

    claimed = repository.transaction(work)
    if claimed is None:
        return False
    quiz, first = claimed

    def started(connection: PlayerConnection) -> messages.Message | None:
        return messages.quiz_started(quiz, now_ms) if connection.user_id in first else None

    def question(connection: PlayerConnection) -> messages.Message | None:
        served = first.get(connection.user_id)
        return question_message(quiz, served, now_ms) if served else None

    channel.send_each(endpoint, quiz_id, started, connections)
    channel.send_each(endpoint, quiz_id, question, connections)
    logger.info("quiz started", extra={"quiz_id": quiz_id, "players": len(first)})
    return True


def finalize_quiz(
    repository: QuizRepository,
    registry: ConnectionRegistry,
    channel: QuizChannel,
    api: ManagementApi,
    quiz_id: str,
    endpoint: str,
    now_ms: int,
) -> bool:
    """Sends every connected player the final results, then closes the connections.

    NOTE: the claim commits before the results go out, so a crash in between loses them
    rather than sending them twice; players can still ask for the leaderboard until the
    connections close, and the scores themselves are stored.
    """

    def work(store: QuizStore) -> tuple[Quiz, list[LeaderboardEntry]] | None:
        quiz = store.quiz(quiz_id)
        if quiz is None or now_ms < epoch_ms(quiz.end_time):
            return None
        if not store.claim_finalization(quiz_id):
            return None
        return quiz, store.ranking(quiz_id, None)

    claimed = repository.transaction(work)
    if claimed is None:
        return False
    quiz, ranking = claimed
    standings = messages.Standing.by_user(ranking)

    def compose(connection: PlayerConnection) -> messages.Message:
        you = standings.get(connection.user_id) or messages.Standing.unranked(len(ranking))
        return messages.final_results(quiz, ranking, you, now_ms)

    connections = list(registry.players_of_quiz(quiz_id))
    report = channel.send_each(endpoint, quiz_id, compose, connections)
    for connection in connections:
        api.close_connection(endpoint, connection.connection_id)
        registry.remove(connection.connection_id)
    logger.info("quiz finalized", extra={"quiz_id": quiz_id, "delivered": report.delivered})
    return True
