"""Coalesced leaderboard pushes: at most one per quiz per interval, the latest state last.

An answer asks for a push; the first request of a burst sets a debounce mark and queues a
message delayed by the interval, later requests find the mark and do nothing. When the
message arrives, the push clears the mark, reads the leaderboard as it is then (so the last
answer of the burst is in it) and sends every connection the top entries and its own rank.
Posts per answer thus fall as a quiz gets busier, instead of growing with every player.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from quiz_core.delivery.management_api import BroadcastReport
from quiz_core.delivery.push_queue import QuizEvent, QuizEventQueue
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.rules import messages
from quiz_core.storage.connection_registry import PlayerConnection
from quiz_core.storage.push_marks import PushMarks
from quiz_core.storage.quiz_repository import LEADERBOARD_SIZE, QuizRepository

logger = Logger(child=True)

LEADERBOARD_PUSH = "leaderboard"


class LeaderboardPushes:
    def __init__(self, marks: PushMarks, queue: QuizEventQueue, interval_seconds: int) -> None:
        self._marks = marks
        self._queue = queue
        self._interval_seconds = interval_seconds

    def request(self, quiz_id: str, endpoint: str, now_ms: int) -> bool:
        """Schedules a push unless one is pending; True when this call scheduled it."""
        due = now_ms + self._interval_seconds * 1000
        if not self._marks.try_mark(quiz_id, now_ms, due):
            return False
        try:
            self._queue.send(QuizEvent(LEADERBOARD_PUSH, quiz_id, endpoint), self._interval_seconds)
        except (ClientError, BotoCoreError):
            # The answer is stored and its player told; a lost push is only a late
            # leaderboard. Clearing the mark lets the next answer schedule one at once.
            logger.warning("leaderboard push not scheduled", extra={"quiz_id": quiz_id})
            self._marks.clear(quiz_id)
            return False
        return True


def push_leaderboard(
    repository: QuizRepository,
    channel: QuizChannel,
    marks: PushMarks,
    quiz_id: str,
    endpoint: str,
    now_ms: int,
) -> BroadcastReport:
    marks.clear(quiz_id)
    ranking = repository.ranking(quiz_id)
    standings = messages.Standing.by_user(ranking)
    top = ranking[:LEADERBOARD_SIZE]

    def compose(connection: PlayerConnection) -> messages.Message:
        you = standings.get(connection.user_id) or messages.Standing.unranked(len(ranking))
        return messages.leaderboard(quiz_id, top, you, now_ms)

    return channel.send_each(endpoint, quiz_id, compose)
