"""SQL for quizzes, users, questions, participants, servings and answers.

``QuizStore`` holds the statements, run on one connection inside one transaction;
``QuizRepository`` runs a unit of work (a function of a store) as one transaction, and
offers the single-statement reads as shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from quiz_core.models import (
    LeaderboardEntry,
    Participation,
    Progress,
    Question,
    Quiz,
    StoredAnswer,
    User,
)
from quiz_core.rules.answers import AnswerDecision, Serving
from quiz_core.storage.database import Connection, Database

T = TypeVar("T")
LEADERBOARD_SIZE = 10
# Ranking, in both queries below: score, then less total answer time, then user id.


class QuizRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def close(self) -> None:
        """Closes the database connection; the next call opens a new one."""
        self._database.close()

    def transaction(self, work: Callable[[QuizStore], T]) -> T:
        """Runs ``work`` in one transaction; it may run twice after a lost connection."""
        return self._database.run(lambda conn: work(QuizStore(conn)))

    def quiz_and_user(self, quiz_id: str, user_id: str) -> tuple[Quiz | None, User | None]:
        return self.transaction(lambda store: (store.quiz(quiz_id), store.user(user_id)))

    def join(
        self, quiz_id: str, user_id: str, max_players: int
    ) -> tuple[Participation, bool] | None:
        """Records the participation once; returns it and whether this call created it.

        None when the quiz already has ``max_players`` other players.
        """
        return self.transaction(lambda store: store.join(quiz_id, user_id, max_players))

    def ranking(self, quiz_id: str) -> list[LeaderboardEntry]:
        """Every participant of the quiz, best first."""
        return self.transaction(lambda store: store.ranking(quiz_id, None))


class QuizStore:
    """The statements of the quiz database, on one connection in one transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def quiz(self, quiz_id: str) -> Quiz | None:
        row = self._conn.execute(
            "SELECT quiz_id, name, start_time, end_time, questions FROM quizzes WHERE quiz_id = %s",
            (quiz_id,),
        ).fetchone()
        return _quiz_from_row(row) if row else None

    def quizzes_starting_or_ending(self, since: datetime, until: datetime) -> list[Quiz]:
        """Quizzes whose start or end falls in [since, until)."""
        rows = self._conn.execute(
            "SELECT quiz_id, name, start_time, end_time, questions FROM quizzes"
            " WHERE (start_time >= %(since)s AND start_time < %(until)s)"
            " OR (end_time >= %(since)s AND end_time < %(until)s)",
            {"since": _naive_utc(since), "until": _naive_utc(until)},
        ).fetchall()
        return [_quiz_from_row(row) for row in rows]

    def quizzes_due(self, now: datetime) -> list[tuple[Quiz, bool, bool]]:
        """Quizzes whose start or end has passed without being handled.

        Each comes with whether its start and its end are still to be handled.
        """
        rows = self._conn.execute(
            "SELECT q.quiz_id, q.name, q.start_time, q.end_time, q.questions,"
            " r.started_at IS NULL AS start_due, r.finalized_at IS NULL AS end_due"
            " FROM quizzes q LEFT JOIN quiz_runs r USING (quiz_id)"
            " WHERE (q.start_time <= %(now)s AND q.end_time > %(now)s AND r.started_at IS NULL)"
            " OR (q.end_time <= %(now)s AND r.finalized_at IS NULL"
            "     AND EXISTS (SELECT 1 FROM participants p WHERE p.quiz_id = q.quiz_id))",
            {"now": _naive_utc(now)},
        ).fetchall()
        return [(_quiz_from_row(row), bool(row["start_due"]), bool(row["end_due"])) for row in rows]

    def user(self, user_id: str) -> User | None:
        row = self._conn.execute(
            "SELECT id, username FROM users WHERE id = %s", (user_id,)
        ).fetchone()
        return User(user_id=row["id"], username=row["username"]) if row else None

    def credentials(self, username: str) -> tuple[str, str] | None:
        """The user id and password hash of a username."""
        row = self._conn.execute(
            "SELECT id, password_hash FROM users WHERE username = %s", (username,)
        ).fetchone()
        return (row["id"], row["password_hash"]) if row else None

    def join(
        self, quiz_id: str, user_id: str, max_players: int
    ) -> tuple[Participation, bool] | None:
        existing = self.participation(quiz_id, user_id)
        if existing is not None:
            return existing, False
        # Joins of one quiz queue on its row, so the player count cannot overshoot the cap;
        # NO KEY UPDATE leaves the foreign-key checks of other writes unblocked.
        self._conn.execute(
            "SELECT quiz_id FROM quizzes WHERE quiz_id = %s FOR NO KEY UPDATE", (quiz_id,)
        )
        # Looked up again under the lock: the same player's other join, committed while this
        # one waited, may have taken the last place.
        existing = self.participation(quiz_id, user_id)
        if existing is not None:
            return existing, False
        if self.player_count(quiz_id) >= max_players:
            return None
        inserted = self._conn.execute(
            "INSERT INTO participants (quiz_id, user_id) VALUES (%s, %s)"
            " ON CONFLICT (quiz_id, user_id) DO NOTHING"
            " RETURNING quiz_id, user_id, joined_at, score",
            (quiz_id, user_id),
        ).fetchone()
        if inserted:
            return _participation_from_row(inserted), True
        existing = self.participation(quiz_id, user_id)
        if existing is None:
            raise RuntimeError("participation vanished between insert and select")
        return existing, False

    def participation(self, quiz_id: str, user_id: str) -> Participation | None:
        row = self._conn.execute(
            "SELECT quiz_id, user_id, joined_at, score FROM participants"
            " WHERE quiz_id = %s AND user_id = %s",
            (quiz_id, user_id),
        ).fetchone()
        return _participation_from_row(row) if row else None

    def lock_progress(self, quiz_id: str, user_id: str) -> Progress | None:
        """The participant's totals, locked until the transaction ends.

        Every answer of a player takes this lock first, so a player's answers are scored
        one after another even when they arrive at once from two connections.
        """
        row = self._conn.execute(
            "SELECT score, streak, answer_time_ms FROM participants"
            " WHERE quiz_id = %s AND user_id = %s FOR UPDATE",
            (quiz_id, user_id),
        ).fetchone()
        if row is None:
            return None
        return Progress(row["score"], row["streak"], row["answer_time_ms"])

    def questions(self, question_ids: Sequence[str]) -> list[Question]:
        """The questions in the order of ``question_ids``; unknown ids are skipped."""
        rows = self._conn.execute(
            "SELECT question_id, category, prompt, choices, correct_choice, time_limit_ms,"
            " points FROM questions WHERE question_id = ANY(%s)",
            (list(question_ids),),
        ).fetchall()
        by_id = {row["question_id"]: _question_from_row(row) for row in rows}
        return [by_id[qid] for qid in question_ids if qid in by_id]

    def question(self, question_id: str) -> Question | None:
        found = self.questions([question_id])
        return found[0] if found else None

    def servings(self, quiz_id: str, user_id: str) -> list[Serving]:
        rows = self._conn.execute(
            "SELECT question_id, question_index, served_at_ms, closes_at_ms FROM servings"
            " WHERE quiz_id = %s AND user_id = %s ORDER BY question_index",
            (quiz_id, user_id),
        ).fetchall()
        return [_serving_from_row(row) for row in rows]

    def serving(self, quiz_id: str, user_id: str, question_id: str) -> Serving | None:
        row = self._conn.execute(
            "SELECT question_id, question_index, served_at_ms, closes_at_ms FROM servings"
            " WHERE quiz_id = %s AND user_id = %s AND question_id = %s",
            (quiz_id, user_id, question_id),
        ).fetchone()
        return _serving_from_row(row) if row else None

    def serve(self, quiz_id: str, user_id: str, serving: Serving) -> Serving:
        """Stores the serving unless that question was served already; returns the stored one."""
        inserted = self._conn.execute(
            "INSERT INTO servings"
            " (quiz_id, user_id, question_id, question_index, served_at_ms, closes_at_ms)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            " RETURNING question_id",
            (
                quiz_id,
                user_id,
                serving.question_id,
                serving.question_index,
                serving.served_at_ms,
                serving.closes_at_ms,
            ),
        ).fetchone()
        if inserted:
            return serving
        stored = self.serving(quiz_id, user_id, serving.question_id)
        if stored is None:
            raise RuntimeError("a question index was served twice with different questions")
        return stored

    def answers(self, quiz_id: str, user_id: str) -> list[StoredAnswer]:
        rows = self._conn.execute(
            "SELECT a.question_id, a.choice, a.status, a.is_correct, a.points_awarded,"
            " a.base_points, a.streak_bonus, a.elapsed_ms"
            " FROM answers a JOIN servings s USING (quiz_id, user_id, question_id)"
            " WHERE a.quiz_id = %s AND a.user_id = %s ORDER BY s.question_index",
            (quiz_id, user_id),
        ).fetchall()
        return [_answer_from_row(row) for row in rows]

    def answer(self, quiz_id: str, user_id: str, question_id: str) -> StoredAnswer | None:
        row = self._conn.execute(
            "SELECT question_id, choice, status, is_correct, points_awarded, base_points,"
            " streak_bonus, elapsed_ms FROM answers"
            " WHERE quiz_id = %s AND user_id = %s AND question_id = %s",
            (quiz_id, user_id, question_id),
        ).fetchone()
        return _answer_from_row(row) if row else None

    def record_answer(
        self,
        quiz_id: str,
        user_id: str,
        question_id: str,
        decision: AnswerDecision,
        answered_at_ms: int,
    ) -> tuple[StoredAnswer, Progress]:
        """Stores a decided answer and adds it to the player's totals.

        The caller holds the participant's lock (``lock_progress``) and has checked that no
        answer exists; the primary key would refuse a second one anyway.
        """
        score = decision.score
        self._conn.execute(
            "INSERT INTO answers (quiz_id, user_id, question_id, choice, is_correct,"
            " points_awarded, answered_at, status, elapsed_ms, base_points, streak_bonus)"
            " VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s / 1000.0), %s, %s, %s, %s)",
            (
                quiz_id,
                user_id,
                question_id,
                decision.choice,
                score.correct,
                score.points,
                answered_at_ms,
                decision.status.value,
                decision.elapsed_ms,
                score.base_points,
                score.streak_bonus,
            ),
        )
        row = self._conn.execute(
            "UPDATE participants SET score = score + %s, streak = %s,"
            " answer_time_ms = answer_time_ms + %s"
            " WHERE quiz_id = %s AND user_id = %s"
            " RETURNING score, streak, answer_time_ms",
            (score.points, score.streak, decision.elapsed_ms, quiz_id, user_id),
        ).fetchone()
        if row is None:
            raise RuntimeError("answer stored for a participation that does not exist")
        stored = StoredAnswer(
            question_id=question_id,
            choice=decision.choice,
            status=decision.status.value,
            correct=score.correct,
            points_awarded=score.points,
            base_points=score.base_points,
            streak_bonus=score.streak_bonus,
            elapsed_ms=decision.elapsed_ms,
        )
        return stored, Progress(row["score"], row["streak"], row["answer_time_ms"])

    def ranking(self, quiz_id: str, limit: int | None) -> list[LeaderboardEntry]:
        rows = self._conn.execute(
            "SELECT p.user_id, u.username, p.score FROM participants p"
            " JOIN users u ON u.id = p.user_id"
            " WHERE p.quiz_id = %s ORDER BY p.score DESC, p.answer_time_ms, p.user_id"
            " LIMIT %s",
            (quiz_id, limit),
        ).fetchall()
        return [
            LeaderboardEntry(
                rank=position,
                user_id=row["user_id"],
                username=row["username"],
                score=row["score"],
            )
            for position, row in enumerate(rows, start=1)
        ]

    def rank_of(self, quiz_id: str, user_id: str) -> int | None:
        row = self._conn.execute(
            "SELECT rank FROM (SELECT p.user_id,"
            " row_number() OVER (ORDER BY p.score DESC, p.answer_time_ms, p.user_id) AS rank"
            " FROM participants p WHERE p.quiz_id = %s) ranked WHERE user_id = %s",
            (quiz_id, user_id),
        ).fetchone()
        return int(row["rank"]) if row else None

    def claim_start(self, quiz_id: str) -> bool:
        """True for the one caller that gets to announce the quiz's start."""
        row = self._conn.execute(
            "INSERT INTO quiz_runs (quiz_id, started_at) VALUES (%s, now())"
            " ON CONFLICT (quiz_id) DO UPDATE SET started_at = now()"
            " WHERE quiz_runs.started_at IS NULL RETURNING quiz_id",
            (quiz_id,),
        ).fetchone()
        return row is not None

    def claim_finalization(self, quiz_id: str) -> bool:
        """True for the one caller that gets to send the quiz's final results."""
        row = self._conn.execute(
            "INSERT INTO quiz_runs (quiz_id, finalized_at) VALUES (%s, now())"
            " ON CONFLICT (quiz_id) DO UPDATE SET finalized_at = now()"
            " WHERE quiz_runs.finalized_at IS NULL RETURNING quiz_id",
            (quiz_id,),
        ).fetchone()
        return row is not None

    def player_count(self, quiz_id: str) -> int:
        row = self._conn.execute(
            "SELECT count(*) AS players FROM participants WHERE quiz_id = %s", (quiz_id,)
        ).fetchone()
        return int(row["players"]) if row else 0


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


def _serving_from_row(row: dict[str, Any]) -> Serving:
    return Serving(
        question_id=row["question_id"],
        question_index=row["question_index"],
        served_at_ms=row["served_at_ms"],
        closes_at_ms=row["closes_at_ms"],
    )


def _answer_from_row(row: dict[str, Any]) -> StoredAnswer:
    return StoredAnswer(
        question_id=row["question_id"],
        choice=row["choice"],
        status=row["status"],
        correct=row["is_correct"],
        points_awarded=row["points_awarded"],
        base_points=row["base_points"],
        streak_bonus=row["streak_bonus"],
        elapsed_ms=row["elapsed_ms"],
    )


def _as_utc(moment: datetime) -> datetime:
    """The quizzes table stores naive UTC timestamps, as the original demo did."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
