"""Points for an answer."""

from __future__ import annotations

import pytest

from quiz_core.models import Question
from quiz_core.rules.scoring import Score, score_answer

QUESTION = Question(
    "q1", "vocabulary", "Closest to 'rapid'?", ("slow", "heavy", "quick"), 2, 20000, 750
)


def test_the_correct_choice_earns_the_questions_points() -> None:
    assert score_answer(QUESTION, 2) == Score(correct=True, points=750)


@pytest.mark.parametrize("choice", [0, 1])
def test_a_wrong_choice_earns_nothing(choice: int) -> None:
    assert score_answer(QUESTION, choice) == Score(correct=False, points=0)


def test_a_question_worth_nothing_scores_nothing_even_when_right() -> None:
    free = Question("q2", "grammar", "Warm-up", ("yes", "no"), 0, 20000, 0)

    assert score_answer(free, 0) == Score(correct=True, points=0)
