"""Load the sample users, questions and quizzes of ``db/sample`` into PostgreSQL.

    python tools/load_sample_data.py [--database-url URL] [--original-dates]
                                     [--reset-passwords]

Apply the migrations first (``python -m quiz_core.storage.migrate``). The connection
comes from ``DATABASE_URL`` unless ``--database-url`` is given. Everything runs in one
transaction; only the previous run of a reopened quiz (see the reload rule) is deleted.

Users are upserted by id, their sample passwords hashed with scrypt on the way in. A
user that already exists keeps its password hash unless ``--reset-passwords`` is given.

Questions are upserted by id; the sample's content replaces what was stored.

Quizzes come from ``quizzes.sql``, the original demo's INSERT statement, executed
unchanged into a temporary table that shadows ``quizzes`` for this transaction, then
copied into ``public.quizzes``. By default their windows are rebased: the earliest
sample quiz starts at the moment of loading, rounded down to the second, and every other
quiz keeps its offset from it, so the quizzes are live at once. ``--original-dates``
keeps the demo's 2024 dates.

Reload rule: a sample quiz that is already stored and has not ended at the moment of
loading (running or still to come) is left exactly as it is, window, name and questions,
so that its players are not disturbed and upcoming quizzes keep their offsets. A stored
quiz that has ended is reopened: rewritten with the sample's content and window, and its
previous run (participants, their servings and answers, its start and end marks) is
cleared, so the reopened quiz starts without players. A missing quiz is inserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from quiz_core.config import DATABASE_URL, ConfigError, DatabaseConfig
from quiz_core.models import Question, Quiz, QuizPhase
from quiz_core.security.passwords import hash_password

Connection = psycopg.Connection[DictRow]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "db" / "sample"
SHOWCASE_QUIZ_ID = "voc202411290900"
REQUIRED_TABLES = ("users", "questions", "quizzes")

_MISSING_TABLES = (
    "SELECT array_agg(name ORDER BY name) AS missing"
    " FROM unnest(%s::text[]) AS name WHERE to_regclass('public.' || name) IS NULL"
)
_INSERT_USER = (
    "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE"
    " SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash"
)
_UPSERT_QUESTION = (
    "INSERT INTO questions"
    " (question_id, category, prompt, choices, correct_choice, time_limit_ms, points)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (question_id) DO UPDATE SET category = EXCLUDED.category,"
    " prompt = EXCLUDED.prompt, choices = EXCLUDED.choices,"
    " correct_choice = EXCLUDED.correct_choice,"
    " time_limit_ms = EXCLUDED.time_limit_ms, points = EXCLUDED.points"
)
_SHADOW_QUIZZES = "CREATE TEMP TABLE quizzes (LIKE public.quizzes INCLUDING ALL) ON COMMIT DROP"
_UPSERT_QUIZ = (
    "INSERT INTO public.quizzes (quiz_id, name, start_time, end_time, questions)"
    " VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (quiz_id) DO UPDATE SET name = EXCLUDED.name,"
    " start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time,"
    " questions = EXCLUDED.questions"
)


class SampleDataError(Exception):
    """The sample files or the target database are not fit for loading."""


@dataclass(frozen=True)
class SampleUser:
    user_id: str
    username: str
    password: str


@dataclass(frozen=True)
class QuizPlan:
    """The sample quizzes to write, and those left alone because they are running."""

    to_write: tuple[Quiz, ...]
    left_in_place: tuple[str, ...]
    reopened: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    users: int
    new_users: int
    passwords_set: int
    questions: int
    quizzes_written: int
    quizzes_left_in_place: tuple[str, ...]
    showcase: Quiz | None


@dataclass(frozen=True)
class _UserCounts:
    new: int
    passwords_set: int


def load_sample_data(
    conninfo: str,
    now: datetime,
    original_dates: bool = False,
    *,
    reset_passwords: bool = False,
    sample_dir: Path = SAMPLE_DIR,
) -> Summary:
    """Loads the sample data in one transaction, as of ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware, for example datetime.now(UTC)")
    users = read_users(sample_dir / "users.json")
    questions = read_questions(sample_dir / "questions.json")
    quizzes_sql = (sample_dir / "quizzes.sql").read_bytes()

    with _connect(conninfo) as conn, conn.transaction():
        _require_schema(conn)
        counts = _upsert_users(conn, users, reset_passwords)
        _upsert_questions(conn, questions)
        plan = _load_quizzes(conn, quizzes_sql, now, original_dates)
        showcase = _stored_quizzes(conn, [SHOWCASE_QUIZ_ID]).get(SHOWCASE_QUIZ_ID)

    return Summary(
        users=len(users),
        new_users=counts.new,
        passwords_set=counts.passwords_set,
        questions=len(questions),
        quizzes_written=len(plan.to_write),
        quizzes_left_in_place=plan.left_in_place,
        showcase=showcase,
    )


def read_users(path: Path) -> list[SampleUser]:
    return [
        SampleUser(user_id=item["id"], username=item["username"], password=item["password"])
        for item in _read_json_list(path)
    ]


def read_questions(path: Path) -> list[Question]:
    return [
        Question(
            question_id=item["question_id"],
            category=item["category"],
            prompt=item["prompt"],
            choices=tuple(item["choices"]),
            correct_choice=item["correct_choice"],
            time_limit_ms=item["time_limit_ms"],
            points=item["points"],
        )
        for item in _read_json_list(path)
    ]


def plan_quizzes(
    samples: Sequence[Quiz], stored: Mapping[str, Quiz], now: datetime, original_dates: bool
) -> QuizPlan:
    """Applies the reload rule of the module docstring; pure, so testable alone."""
    wanted = list(samples) if original_dates else rebase(samples, now)
    not_ended = {qid for qid, quiz in stored.items() if quiz.phase(now) is not QuizPhase.ENDED}
    return QuizPlan(
        to_write=tuple(quiz for quiz in wanted if quiz.quiz_id not in not_ended),
        left_in_place=tuple(quiz.quiz_id for quiz in wanted if quiz.quiz_id in not_ended),
        reopened=tuple(
            quiz.quiz_id
            for quiz in wanted
            if quiz.quiz_id in stored and quiz.quiz_id not in not_ended
        ),
    )


def rebase(samples: Sequence[Quiz], now: datetime) -> list[Quiz]:
    """The quizzes shifted so the earliest starts at ``now``, to the second."""
    if not samples:
        return []
    anchor = now.astimezone(UTC).replace(microsecond=0)
    shift = anchor - min(quiz.start_time for quiz in samples)
    return [
        replace(quiz, start_time=quiz.start_time + shift, end_time=quiz.end_time + shift)
        for quiz in samples
    ]


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    content = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(content, list) or not all(isinstance(i, dict) for i in content):
        raise SampleDataError(f"{path} must hold a JSON array of objects; fix the file")
    return content


def _connect(conninfo: str) -> Connection:
    return psycopg.connect(
        conninfo, autocommit=True, row_factory=dict_row, application_name="quiz-sample"
    )


def _require_schema(conn: Connection) -> None:
    row = conn.execute(_MISSING_TABLES, (list(REQUIRED_TABLES),)).fetchone()
    if row is not None and row["missing"]:
        raise SampleDataError(
            f"tables missing from schema public: {', '.join(row['missing'])}; "
            "apply the migrations first with python -m quiz_core.storage.migrate"
        )


def _upsert_users(
    conn: Connection, users: Sequence[SampleUser], reset_passwords: bool
) -> _UserCounts:
    ids = [user.user_id for user in users]
    rows = conn.execute("SELECT id FROM users WHERE id = ANY(%s)", (ids,)).fetchall()
    known = {row["id"] for row in rows}
    keep = [user for user in users if user.user_id in known and not reset_passwords]
    rehash = [user for user in users if user.user_id not in known or reset_passwords]

    renamed = [(user.username, user.user_id) for user in keep]
    hashed = [(u.user_id, u.username, hash_password(u.password)) for u in rehash]
    with conn.cursor() as cur:
        cur.executemany("UPDATE users SET username = %s WHERE id = %s", renamed)
        cur.executemany(_INSERT_USER, hashed)
    return _UserCounts(new=len(users) - len(known), passwords_set=len(rehash))


def _upsert_questions(conn: Connection, questions: Sequence[Question]) -> None:
    with conn.cursor() as cur:
        cur.executemany(_UPSERT_QUESTION, [_question_params(q) for q in questions])


def _question_params(question: Question) -> tuple[object, ...]:
    return (
        question.question_id,
        question.category,
        question.prompt,
        Jsonb(list(question.choices)),
        question.correct_choice,
        question.time_limit_ms,
        question.points,
    )


def _load_quizzes(
    conn: Connection, quizzes_sql: bytes, now: datetime, original_dates: bool
) -> QuizPlan:
    samples = _sample_quizzes(conn, quizzes_sql)
    stored = _stored_quizzes(conn, [quiz.quiz_id for quiz in samples])
    plan = plan_quizzes(samples, stored, now, original_dates)

    with conn.cursor() as cur:
        cur.execute("DELETE FROM participants WHERE quiz_id = ANY(%s)", (list(plan.reopened),))
        cur.execute("DELETE FROM quiz_runs WHERE quiz_id = ANY(%s)", (list(plan.reopened),))
        cur.executemany(_UPSERT_QUIZ, [_quiz_params(quiz) for quiz in plan.to_write])
    return plan


def _sample_quizzes(conn: Connection, quizzes_sql: bytes) -> list[Quiz]:
    """Runs the demo's INSERT as it is, into a temporary table shadowing ``quizzes``."""
    conn.execute(_SHADOW_QUIZZES)
    # NOTE: bytes, so the trusted file runs as written, with no placeholder parsing.
    conn.execute(quizzes_sql)
    rows = conn.execute(
        "SELECT quiz_id, name, start_time, end_time, questions FROM pg_temp.quizzes"
        " ORDER BY start_time, quiz_id"
    ).fetchall()
    return [_quiz_from_row(row) for row in rows]


def _stored_quizzes(conn: Connection, quiz_ids: Sequence[str]) -> dict[str, Quiz]:
    rows = conn.execute(
        "SELECT quiz_id, name, start_time, end_time, questions FROM public.quizzes"
        " WHERE quiz_id = ANY(%s)",
        (list(quiz_ids),),
    ).fetchall()
    return {row["quiz_id"]: _quiz_from_row(row) for row in rows}


def _quiz_params(quiz: Quiz) -> tuple[object, ...]:
    return (
        quiz.quiz_id,
        quiz.name,
        _naive_utc(quiz.start_time),
        _naive_utc(quiz.end_time),
        Jsonb(list(quiz.question_ids)),
    )


def _quiz_from_row(row: DictRow) -> Quiz:
    return Quiz(
        quiz_id=row["quiz_id"],
        name=row["name"],
        start_time=row["start_time"].replace(tzinfo=UTC),
        end_time=row["end_time"].replace(tzinfo=UTC),
        question_ids=tuple(str(question_id) for question_id in row["questions"]),
    )


def _naive_utc(moment: datetime) -> datetime:
    """The table holds UTC without a zone; a naive value skips the session TimeZone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load the sample data of db/sample.")
    parser.add_argument(
        "--database-url", help=f"libpq connection string; defaults to ${DATABASE_URL}"
    )
    parser.add_argument(
        "--original-dates", action="store_true", help="keep the demo's 2024 quiz dates"
    )
    parser.add_argument(
        "--reset-passwords",
        action="store_true",
        help="hash the sample passwords again for users that already exist",
    )
    return parser.parse_args(argv)


def _print_summary(summary: Summary) -> None:
    users = f"{summary.users} ({summary.new_users} new"
    print(f"users: {users}, {summary.passwords_set} passwords hashed)")
    print(f"questions: {summary.questions}")
    left = ", ".join(summary.quizzes_left_in_place) or "none"
    print(f"quizzes: {summary.quizzes_written} written; not ended, so untouched: {left}")
    if summary.showcase is not None:
        start, end = summary.showcase.start_time, summary.showcase.end_time
        window = f"{start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC"
        print(f"{SHOWCASE_QUIZ_ID}: {window}")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    args = _parse_args(argv)
    if args.database_url is not None:
        environ = {**environ, DATABASE_URL: args.database_url}
    try:
        conninfo = DatabaseConfig.from_environ(environ).url.value
        summary = load_sample_data(
            conninfo,
            datetime.now(UTC),
            args.original_dates,
            reset_passwords=args.reset_passwords,
        )
    except (ConfigError, SampleDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    except psycopg.OperationalError as exc:
        print(f"error: PostgreSQL failed or could not be reached: {exc}", file=sys.stderr)
        return 1

    _print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
