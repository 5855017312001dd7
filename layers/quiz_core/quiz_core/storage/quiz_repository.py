"""SQL for quizzes, users, questions, participants and answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from quiz_core.models import (
    AnswerOutcome,
    LeaderboardEntry,
    Participation,
    Question,
    Quiz,
    User,
)
from quiz_core.rules.scoring import Score
from quiz_core.storage.database import Connection, Database

LEADERBOARD_SIZE = 10


@dataclass(frozen=True)
class PlayerView:
    """What a player sees on arrival, read in one transaction."""

    quiz: Quiz | None
    user: User | None
    participation: Participation | None
    questions: list[Question]
    leaderboard: list[LeaderboardEntry]


class QuizRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def quiz(self, quiz_id: str) -> Quiz | None:
        return self._database.run(lambda conn: _select_quiz(conn, quiz_id))

    def user(self, user_id: str) -> User | None:
        return self._database.run(lambda conn: _select_user(conn, user_id))

    def quiz_and_user(self, quiz_id: str, user_id: str) -> tuple[Quiz | None, User | None]:
        """Both in one transaction, since joining and connecting need both."""
        return self._database.run(
            lambda conn: (_select_quiz(conn, quiz_id), _select_user(conn, user_id))
        )

    def join(self, quiz_id: str, user_id: str) -> tuple[Participation, bool]:
        """Records the participation once; returns it and whether this call created it."""
        return self._database.run(lambda conn: _insert_participation(conn, quiz_id, user_id))

    def participation(self, quiz_id: str, user_id: str) -> Participation | None:
        return self._database.run(lambda conn: _select_participation(conn, quiz_id, user_id))

    def questions(self, question_ids: Sequence[str]) -> list[Question]:
        """The questions in the order of ``question_ids``; unknown ids are skipped."""
        return self._database.run(lambda conn: _select_questions(conn, question_ids))

    def quiz_with_question(
        self, quiz_id: str, question_id: str
    ) -> tuple[Quiz | None, Question | None]:
        return self._database.run(
            lambda conn: _select_quiz_with_question(conn, quiz_id, question_id)
        )

    def player_view(self, quiz_id: str, user_id: str) -> PlayerView:
        return self._database.run(lambda conn: _select_player_view(conn, quiz_id, user_id))

    def record_answer(
        self,
        quiz_id: str,
        user_id: str,
        question_id: str,
        choice: int,
        score: Score,
        answered_at: datetime,
    ) -> tuple[AnswerOutcome, list[LeaderboardEntry]]:
        """Stores the first answer of a player to a question; later ones change nothing.

        Returns the answer's outcome and the leaderboard as this transaction left it.
        """

        def work(conn: Connection) -> tuple[AnswerOutcome, list[LeaderboardEntry]]:
            outcome = _insert_answer(
                conn, quiz_id, user_id, question_id, choice, score, answered_at
            )
            return outcome, _select_leaderboard(conn, quiz_id, LEADERBOARD_SIZE)

        return self._database.run(work)

    def leaderboard(self, quiz_id: str, limit: int = LEADERBOARD_SIZE) -> list[LeaderboardEntry]:
        return self._database.run(lambda conn: _select_leaderboard(conn, quiz_id, limit))


def _select_quiz(conn: Connection, quiz_id: str) -> Quiz | None:
    row = conn.execute(
        "SELECT quiz_id, name, start_time, end_time, questions FROM quizzes WHERE quiz_id = %s",
        (quiz_id,),
    ).fetchone()
    return _quiz_from_row(row) if row else None


def _select_quiz_with_question(
    conn: Connection, quiz_id: str, question_id: str
) -> tuple[Quiz | None, Question | None]:
    quiz = _select_quiz(conn, quiz_id)
    if quiz is None or question_id not in quiz.question_ids:
        return quiz, None
    found = _select_questions(conn, [question_id])
    return quiz, (found[0] if found else None)


def _select_player_view(conn: Connection, quiz_id: str, user_id: str) -> PlayerView:
    quiz = _select_quiz(conn, quiz_id)
    return PlayerView(
        quiz=quiz,
        user=_select_user(conn, user_id),
        participation=_select_participation(conn, quiz_id, user_id),
        questions=_select_questions(conn, quiz.question_ids) if quiz else [],
        leaderboard=_select_leaderboard(conn, quiz_id, LEADERBOARD_SIZE),
    )


def _select_user(conn: Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT id, username FROM users WHERE id = %s", (user_id,)).fetchone()
    return User(user_id=row["id"], username=row["username"]) if row else None


def _insert_participation(
    conn: Connection, quiz_id: str, user_id: str
) -> tuple[Participation, bool]:
    inserted = conn.execute(
        "INSERT INTO participants (quiz_id, user_id) VALUES (%s, %s)"
        " ON CONFLICT (quiz_id, user_id) DO NOTHING"
        " RETURNING quiz_id, user_id, joined_at, score",
        (quiz_id, user_id),
    ).fetchone()
    if inserted:
        return _participation_from_row(inserted), True
    existing = _select_participation(conn, quiz_id, user_id)
    if existing is None:
        raise RuntimeError("participation vanished between insert and select")
    return existing, False


def _select_participation(conn: Connection, quiz_id: str, user_id: str) -> Participation | None:
    row = conn.execute(
        "SELECT quiz_id, user_id, joined_at, score FROM participants"
        " WHERE quiz_id = %s AND user_id = %s",
        (quiz_id, user_id),
    ).fetchone()
    return _participation_from_row(row) if row else None


def _select_questions(conn: Connection, question_ids: Sequence[str]) -> list[Question]:
    rows = conn.execute(
        "SELECT question_id, category, prompt, choices, correct_choice, time_limit_ms, points"
        " FROM questions WHERE question_id = ANY(%s)",
        (list(question_ids),),
    ).fetchall()
    by_id = {row["question_id"]: _question_from_row(row) for row in rows}
    return [by_id[qid] for qid in question_ids if qid in by_id]


def _insert_answer(
    conn: Connection,
    quiz_id: str,
    user_id: str,
    question_id: str,
    choice: int,
    score: Score,
    answered_at: datetime,
) -> AnswerOutcome:
    inserted = conn.execute(
        "INSERT INTO answers"
        " (quiz_id, user_id, question_id, choice, is_correct, points_awarded, answered_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (quiz_id, user_id, question_id) DO NOTHING"
        " RETURNING choice, is_correct, points_awarded",
        (quiz_id, user_id, question_id, choice, score.correct, score.points, answered_at),
    ).fetchone()
    if inserted:
        total = conn.execute(
            "UPDATE participants SET score = score + %s"
            " WHERE quiz_id = %s AND user_id = %s RETURNING score",
            (score.points, quiz_id, user_id),
        ).fetchone()
        if total is None:
            raise RuntimeError("answer stored for a participation that does not exist")
        return _outcome(question_id, inserted, total["score"], already_answered=False)

    first = conn.execute(
        "SELECT a.choice, a.is_correct, a.points_awarded, p.score"
        " FROM answers a JOIN participants p USING (quiz_id, user_id)"
        " WHERE a.quiz_id = %s AND a.user_id = %s AND a.question_id = %s",
        (quiz_id, user_id, question_id),
    ).fetchone()
    if first is None:
        raise RuntimeError("conflicting answer vanished before it could be read")
    return _outcome(question_id, first, first["score"], already_answered=True)


def _select_leaderboard(conn: Connection, quiz_id: str, limit: int) -> list[LeaderboardEntry]:
    rows = conn.execute(
        "SELECT p.user_id, u.username, p.score FROM participants p"
        " JOIN users u ON u.id = p.user_id"
        " WHERE p.quiz_id = %s ORDER BY p.score DESC, p.user_id LIMIT %s",
        (quiz_id, limit),
    ).fetchall()
    return [
        LeaderboardEntry(
            rank=position, user_id=row["user_id"], username=row["username"], score=row["score"]
        )
        for position, row in enumerate(rows, start=1)
    ]


def _quiz_from_row(row: dict[str, Any]) -> Quiz:
    return Quiz(
        quiz_id=row["quiz_id"],
        name=row["name"],
        start_time=_as_utc(row["start_time"]),
        end_time=_as_utc(row["end_time"]),
        question_ids=tuple(str(qid) for qid in row["questions"]),
    )


def _participation_from_row(row: dict[str, Any]) -> Participation:
    return Participation(
        quiz_id=row["quiz_id"],
        user_id=row["user_id"],
        joined_at=row["joined_at"],
        score=row["score"],
    )


def _question_from_row(row: dict[str, Any]) -> Question:
    return Question(
        question_id=row["question_id"],
        category=row["category"],
        prompt=row["prompt"],
        choices=tuple(row["choices"]),
        correct_choice=row["correct_choice"],
        time_limit_ms=row["time_limit_ms"],
        points=row["points"],
    )


def _outcome(
    question_id: str, row: dict[str, Any], total_score: int, *, already_answered: bool
) -> AnswerOutcome:
    return AnswerOutcome(
        question_id=question_id,
        choice=row["choice"],
        correct=row["is_correct"],
        points_awarded=row["points_awarded"],
        total_score=total_score,
        already_answered=already_answered,
    )


def _as_utc(moment: datetime) -> datetime:
    """The quizzes table stores naive UTC timestamps, as the original demo did."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
