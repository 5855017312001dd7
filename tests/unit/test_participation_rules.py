"""Who may join, connect and answer, at the edges of a quiz's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from quiz_core.errors import InvalidChoice, QuestionNotInQuiz, QuizEnded, QuizNotStarted
from quiz_core.models import Question, Quiz, QuizPhase
from quiz_core.rules.participation import (
    ensure_can_answer,
    ensure_can_connect,
    ensure_can_join,
    ensure_choice_exists,
)

START = datetime(2024, 11, 29, 9, 0, tzinfo=UTC)
END = datetime(2024, 11, 29, 9, 30, tzinfo=UTC)
QUIZ = Quiz("voc202411290900", "Vocabulary 0900", START, END, ("q1", "q2", "q3"))
TICK = timedelta(microseconds=1)
Rule = Callable[[Quiz, datetime], None]

BEFORE_START = START - timedelta(minutes=10)
DURING = START + timedelta(minutes=10)


def _question(choices: int) -> Question:
    return Question(
        "q1", "vocabulary", "Closest to 'rapid'?", ("a", "b", "c", "d")[:choices], 2, 20000, 1000
    )


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (START - TICK, QuizPhase.UPCOMING),
        (START, QuizPhase.OPEN),
        (END - TICK, QuizPhase.OPEN),
        (END, QuizPhase.ENDED),
        (END + TICK, QuizPhase.ENDED),
    ],
    ids=["just before start", "at start", "just before end", "at end", "after end"],
)
def test_a_quiz_is_open_from_its_start_included_to_its_end_excluded(
    moment: datetime, phase: QuizPhase
) -> None:
    assert QUIZ.phase(moment) is phase


@pytest.mark.parametrize("rule", [ensure_can_join, ensure_can_connect])
@pytest.mark.parametrize(
    "moment", [BEFORE_START, START, END - TICK], ids=["in the lobby", "at start", "last moment"]
)
def test_joining_and_connecting_are_allowed_until_the_end(rule: Rule, moment: datetime) -> None:
    rule(QUIZ, moment)


@pytest.mark.parametrize("rule", [ensure_can_join, ensure_can_connect])
@pytest.mark.parametrize("moment", [END, END + timedelta(days=1)], ids=["at end", "a day later"])
def test_joining_and_connecting_are_refused_from_the_end_on(rule: Rule, moment: datetime) -> None:
    with pytest.raises(QuizEnded) as refused:
        rule(QUIZ, moment)

    assert refused.value.details == {"end_time": "2024-11-29T09:30:00+00:00"}


@pytest.mark.parametrize("moment", [START, DURING, END - TICK], ids=["at start", "during", "last"])
def test_an_answer_is_accepted_while_the_quiz_is_open(moment: datetime) -> None:
    ensure_can_answer(QUIZ, "q2", moment)


@pytest.mark.parametrize("moment", [START - TICK, BEFORE_START], ids=["just before", "lobby"])
def test_an_answer_before_the_start_is_refused_with_the_start_time(moment: datetime) -> None:
    with pytest.raises(QuizNotStarted) as refused:
        ensure_can_answer(QUIZ, "q2", moment)

    assert refused.value.details == {"start_time": "2024-11-29T09:00:00+00:00"}


@pytest.mark.parametrize("moment", [END, END + TICK], ids=["at end", "after end"])
def test_an_answer_from_the_end_on_is_refused(moment: datetime) -> None:
    with pytest.raises(QuizEnded):
        ensure_can_answer(QUIZ, "q2", moment)


def test_an_answer_to_a_question_outside_the_quiz_is_refused() -> None:
    with pytest.raises(QuestionNotInQuiz, match="'q9' is not part of quiz 'voc202411290900'"):
        ensure_can_answer(QUIZ, "q9", DURING)


def test_the_window_is_checked_before_the_question() -> None:
    with pytest.raises(QuizEnded):
        ensure_can_answer(QUIZ, "q9", END)


@pytest.mark.parametrize("choice", [0, 3])
def test_every_offered_choice_exists(choice: int) -> None:
    ensure_choice_exists(_question(4), choice)


@pytest.mark.parametrize("choice", [-1, 4, 10**6])
def test_a_choice_outside_the_offered_ones_is_refused_with_the_valid_range(choice: int) -> None:
    with pytest.raises(InvalidChoice, match="from 0 to 3") as refused:
        ensure_choice_exists(_question(4), choice)

    assert refused.value.details == {"choice_count": 4}
