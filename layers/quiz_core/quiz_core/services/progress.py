"""Where a player stands in a quiz: served questions, answers, the current question."""

from __future__ import annotations

from dataclasses import dataclass

from quiz_core.models import Question, Quiz, QuizPhase, StoredAnswer, utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.rules.answers import Serving, serving_of
from quiz_core.storage.quiz_repository import QuizStore


@dataclass(frozen=True)
class Served:
    serving: Serving
    question: Question
    newly_served: bool = True


def serve_question(
    store: QuizStore, quiz: Quiz, user_id: str, index: int, at_ms: int
) -> Served | None:
    """Puts question ``index`` in front of the player, once; None past the last question."""
    if index >= len(quiz.question_ids):
        return None
    question = store.question(quiz.question_ids[index])
    if question is None:
        raise LookupError(
            f"quiz {quiz.quiz_id} lists question {quiz.question_ids[index]} that does not exist"
        )
    wanted = serving_of(quiz, question, index, at_ms)
    serving = store.serve(quiz.quiz_id, user_id, wanted)
    return Served(serving=serving, question=question, newly_served=serving == wanted)


def standing(store: QuizStore, quiz_id: str, user_id: str, score: int) -> messages.Standing:
    return messages.Standing(
        rank=store.rank_of(quiz_id, user_id),
        score=score,
        players=store.player_count(quiz_id),
    )


@dataclass(frozen=True)
class Snapshot:
    """A player's progress, read in one transaction."""

    served: list[Serving]
    answered: list[tuple[StoredAnswer, Question]]
    current: Served | None


def snapshot(store: QuizStore, quiz: Quiz, user_id: str, now_ms: int) -> Snapshot:
    """What the player has done and which question, if any, awaits them."""
    servings = store.servings(quiz.quiz_id, user_id)
    answers = {a.question_id: a for a in store.answers(quiz.quiz_id, user_id)}
    questions = {q.question_id: q for q in store.questions([s.question_id for s in servings])}
    answered = [
        (answers[s.question_id], questions[s.question_id])
        for s in servings
        if s.question_id in answers and s.question_id in questions
    ]
    current = None
    if quiz.phase(utc_from_epoch_ms(now_ms)) is QuizPhase.OPEN:
        unanswered = [s for s in servings if s.question_id not in answers]
        if unanswered and unanswered[-1].question_id in questions:
            current = Served(unanswered[-1], questions[unanswered[-1].question_id])
    return Snapshot(served=servings, answered=answered, current=current)


def question_message(quiz: Quiz, served: Served, now_ms: int) -> messages.Message:
    return messages.question(quiz, served.question, served.serving, now_ms)
