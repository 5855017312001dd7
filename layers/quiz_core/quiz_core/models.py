"""Plain data shared by rules, storage and services. No I/O here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime


def utc_from_epoch_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class QuizPhase(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    ENDED = "ended"


@dataclass(frozen=True)
class Quiz:
    quiz_id: str
    name: str
    start_time: datetime
    end_time: datetime
    question_ids: tuple[str, ...]

    def phase(self, now: datetime) -> QuizPhase:
        if now >= self.end_time:
            return QuizPhase.ENDED
        if now < self.start_time:
            return QuizPhase.UPCOMING
        return QuizPhase.OPEN


@dataclass(frozen=True)
class User:
    user_id: str
    username: str


@dataclass(frozen=True)
class Participation:
    quiz_id: str
    user_id: str
    joined_at: datetime
    score: int


@dataclass(frozen=True)
class Question:
    question_id: str
    category: str
    prompt: str
    choices: tuple[str, ...]
    correct_choice: int
    time_limit_ms: int
    points: int


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    user_id: str
    username: str
    score: int


@dataclass(frozen=True)
class AnswerOutcome:
    """The stored result of one player's answer to one question."""

    question_id: str
    choice: int
    correct: bool
    points_awarded: int
    total_score: int
    already_answered: bool


@dataclass(frozen=True)
class ConnectionRecord:
    connection_id: str
    quiz_id: str
    user_id: str
    connected_at_ms: int
    expires_at: int


@dataclass(frozen=True)
class StoredAnswer:
    """A player's final result for one question."""

    question_id: str
    choice: int | None
    status: str
    correct: bool
    points_awarded: int
    base_points: int
    streak_bonus: int
    elapsed_ms: int


@dataclass(frozen=True)
class Progress:
    """A participant's running totals, as stored with their participation."""

    score: int
    streak: int
    answer_time_ms: int
