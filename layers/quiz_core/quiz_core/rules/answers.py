"""How a served question becomes a final answer: in time, too late, or skipped."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from quiz_core.errors import QuestionStillOpen
from quiz_core.models import Question, Quiz, epoch_ms
from quiz_core.rules.scoring import NOTHING, Score, score_correct_or_wrong

# Answers this long after a question closes still count: they were sent in time over a
# slow network.
GRACE_MS = 500


class AnswerStatus(enum.StrEnum):
    ANSWERED = "answered"
    TOO_LATE = "too_late"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Serving:
    """A question put in front of a player, with its window in server epoch ms."""

    question_id: str
    question_index: int
    served_at_ms: int
    closes_at_ms: int


@dataclass(frozen=True)
class AnswerDecision:
    status: AnswerStatus
    choice: int | None
    elapsed_ms: int
    score: Score


def decide_answer(
    serving: Serving, question: Question, choice: int, answered_at_ms: int, streak_before: int
) -> AnswerDecision:
    elapsed = max(0, answered_at_ms - serving.served_at_ms)
    if answered_at_ms > serving.closes_at_ms + GRACE_MS:
        return AnswerDecision(AnswerStatus.TOO_LATE, choice, elapsed, NOTHING)

    score = score_correct_or_wrong(
        correct=choice == question.correct_choice,
        points=question.points,
        elapsed_ms=elapsed,
        limit_ms=question.time_limit_ms,
        streak_before=streak_before,
    )
    return AnswerDecision(AnswerStatus.ANSWERED, choice, elapsed, score)


def decide_skip(serving: Serving, now_ms: int) -> AnswerDecision:
    """A player may move on from an unanswered question only once its time is up."""
    if now_ms <= serving.closes_at_ms + GRACE_MS:
        raise QuestionStillOpen(serving.question_id, serving.closes_at_ms)
    elapsed = serving.closes_at_ms - serving.served_at_ms
    return AnswerDecision(AnswerStatus.SKIPPED, None, elapsed, NOTHING)


def serving_of(quiz: Quiz, question: Question, index: int, served_at_ms: int) -> Serving:
    """The window of a question served now; it never outlasts the quiz."""
    closes_at = min(served_at_ms + question.time_limit_ms, epoch_ms(quiz.end_time))
    return Serving(
        question_id=question.question_id,
        question_index=index,
        served_at_ms=served_at_ms,
        closes_at_ms=max(closes_at, served_at_ms + 1),
    )
