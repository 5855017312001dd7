"""How a served question becomes a final answer: quiz_core.rules.answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quiz_core.errors import QuestionStillOpen
from quiz_core.models import Question, Quiz, epoch_ms
from quiz_core.rules.answers import (
    GRACE_MS,
    AnswerStatus,
    Serving,
    decide_answer,
    decide_skip,
    serving_of,
)
from quiz_core.rules.scoring import NOTHING

START = datetime(2024, 11, 29, 9, 0, tzinfo=UTC)
END = datetime(2024, 11, 29, 9, 30, tzinfo=UTC)
QUIZ = Quiz("voc202411290900", "Vocabulary 0900", START, END, ("q1", "q2"))
QUESTION = Question(
    "q1", "vocabulary", "Closest to 'rapid'?", ("slow", "heavy", "quick", "quiet"), 2, 20_000, 1000
)
SERVED_AT = epoch_ms(START) + 60_000
SERVING = Serving("q1", 0, SERVED_AT, SERVED_AT + 20_000)
CLOSES_AT = SERVING.closes_at_ms


def test_an_answer_in_time_is_scored_from_the_time_since_it_was_served() -> None:
    decision = decide_answer(SERVING, QUESTION, 2, SERVED_AT + 10_000, streak_before=0)

    assert (decision.status, decision.choice, decision.elapsed_ms) == (
        AnswerStatus.ANSWERED,
        2,
        10_000,
    )
    assert (decision.score.points, decision.score.streak) == (750, 1)


@pytest.mark.parametrize(
    ("after_closing_ms", "status"),
    [(0, AnswerStatus.ANSWERED), (GRACE_MS, AnswerStatus.ANSWERED), (GRACE_MS + 1, "too_late")],
    ids=["at closing", "end of the grace", "after the grace"],
)
def test_an_answer_is_in_time_until_the_grace_after_closing(
    after_closing_ms: int, status: str
) -> None:
    decision = decide_answer(SERVING, QUESTION, 2, CLOSES_AT + after_closing_ms, streak_before=3)

    assert decision.status == status
    assert decision.elapsed_ms == 20_000 + after_closing_ms


def test_a_late_answer_scores_nothing_and_ends_the_streak_even_if_right() -> None:
    decision = decide_answer(SERVING, QUESTION, 2, CLOSES_AT + GRACE_MS + 1, streak_before=4)

    assert decision.score == NOTHING
    assert decision.choice == 2


def test_a_wrong_answer_in_time_is_answered_with_nothing() -> None:
    decision = decide_answer(SERVING, QUESTION, 0, SERVED_AT + 100, streak_before=4)

    assert (decision.status, decision.score) == (AnswerStatus.ANSWERED, NOTHING)


def test_an_answer_stamped_before_its_serving_counts_as_instant() -> None:
    decision = decide_answer(SERVING, QUESTION, 2, SERVED_AT - 50, streak_before=0)

    assert (decision.elapsed_ms, decision.score.points) == (0, 1000)


@pytest.mark.parametrize("now_ms", [SERVED_AT, CLOSES_AT, CLOSES_AT + GRACE_MS])
def test_a_question_cannot_be_skipped_while_it_can_still_be_answered(now_ms: int) -> None:
    with pytest.raises(QuestionStillOpen) as refused:
        decide_skip(SERVING, now_ms)

    assert refused.value.details == {"question_id": "q1", "closes_at": CLOSES_AT}


def test_a_skip_after_the_grace_scores_nothing_and_counts_the_whole_window() -> None:
    decision = decide_skip(SERVING, CLOSES_AT + GRACE_MS + 1)

    assert (decision.status, decision.choice, decision.score) == (
        AnswerStatus.SKIPPED,
        None,
        NOTHING,
    )
    assert decision.elapsed_ms == 20_000


def test_a_served_question_closes_after_its_time_limit() -> None:
    assert serving_of(QUIZ, QUESTION, 0, SERVED_AT) == SERVING


def test_a_question_served_near_the_end_closes_with_the_quiz() -> None:
    late = epoch_ms(END) - 5_000

    assert serving_of(QUIZ, QUESTION, 1, late).closes_at_ms == epoch_ms(END)


def test_a_question_served_at_the_end_still_has_a_window() -> None:
    at_end = epoch_ms(END)

    serving = serving_of(QUIZ, QUESTION, 1, at_end)

    assert serving.closes_at_ms == at_end + 1
