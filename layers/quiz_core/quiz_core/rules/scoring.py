"""Points for an answer."""

from __future__ import annotations

from dataclasses import dataclass

from quiz_core.models import Question


@dataclass(frozen=True)
class Score:
    correct: bool
    points: int


def score_answer(question: Question, choice: int) -> Score:
    """A correct choice earns the question's points; a wrong one earns nothing."""
    correct = choice == question.correct_choice
    return Score(correct=correct, points=question.points if correct else 0)
