"""Who may join, connect and answer, given a quiz's window and the current time."""

from __future__ import annotations

from datetime import datetime

from quiz_core.errors import InvalidChoice, QuestionNotInQuiz, QuizEnded, QuizNotStarted
from quiz_core.models import Question, Quiz, QuizPhase


def ensure_can_join(quiz: Quiz, now: datetime) -> None:
    """A quiz can be joined in its lobby and while it runs, not after it ends."""
    if quiz.phase(now) is QuizPhase.ENDED:
        raise QuizEnded(quiz.quiz_id, quiz.end_time)


def ensure_can_connect(quiz: Quiz, now: datetime) -> None:
    if quiz.phase(now) is QuizPhase.ENDED:
        raise QuizEnded(quiz.quiz_id, quiz.end_time)


def ensure_can_answer(quiz: Quiz, question_id: str, now: datetime) -> None:
    phase = quiz.phase(now)
    if phase is QuizPhase.UPCOMING:
        raise QuizNotStarted(quiz.quiz_id, quiz.start_time)
    if phase is QuizPhase.ENDED:
        raise QuizEnded(quiz.quiz_id, quiz.end_time)
    if question_id not in quiz.question_ids:
        raise QuestionNotInQuiz(quiz.quiz_id, question_id)


def ensure_choice_exists(question: Question, choice: int) -> None:
    if not 0 <= choice < len(question.choices):
        raise InvalidChoice(question.question_id, choice, len(question.choices))


def ensure_open(quiz: Quiz, now: datetime) -> None:
    phase = quiz.phase(now)
    if phase is QuizPhase.UPCOMING:
        raise QuizNotStarted(quiz.quiz_id, quiz.start_time)
    if phase is QuizPhase.ENDED:
        raise QuizEnded(quiz.quiz_id, quiz.end_time)
