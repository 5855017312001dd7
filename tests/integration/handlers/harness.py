"""What the handler tests share: the fakes of one test, handler loading, seeded quizzes.

A loaded handler module is one warm Lambda environment: loading a handler twice gives two
environments, each with its own clients and PostgreSQL connection.
"""

from __future__ import annotations

import importlib.util
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from quiz_core import config
from quiz_core.models import ConnectionRecord, epoch_ms
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.quiz_repository import QuizRepository
from tests.support.events import LambdaContextStub
from tests.support.fake_aws import FakeLambda, moto_posts
from tests.support.template import REPO_ROOT

REGION = "us-east-1"
# moto intercepts the management API only on endpoints of exactly this shape.
MANAGEMENT_API_ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/live"
WEBSOCKET_URL = "wss://abc123.execute-api.us-east-1.amazonaws.com/live"
WELCOME_FUNCTION_NAME = "quiz-backend-WelcomeFunction-Xk2LqP9s"
TTL_SECONDS = config.DEFAULT_CONNECTION_TTL_SECONDS

# The template's logical id of each function folder, used as the function's name.
FUNCTION_NAMES = {
    "join_quiz": "JoinQuizFunction",
    "ws_connect": "ConnectFunction",
    "ws_welcome": "WelcomeFunction",
    "ws_message": "MessageFunction",
    "ws_disconnect": "DisconnectFunction",
}

Connection = psycopg.Connection[DictRow]
Invoke = Callable[[dict[str, Any]], Any]


def now_ms() -> int:
    return epoch_ms(datetime.now(UTC))


# ---------------------------------------------------------------- AWS


@dataclass
class Aws:
    """The AWS side of one test: moto's DynamoDB and management API, a Lambda recorder."""

    session: boto3.session.Session
    dynamodb: Any
    table_name: str
    invocations: FakeLambda

    def connection_item(self, connection_id: str) -> dict[str, Any] | None:
        """The connection's row with plain values (numbers as strings), or None."""
        reply = self.dynamodb.get_item(
            TableName=self.table_name,
            Key={"connection_id": {"S": connection_id}},
            ConsistentRead=True,
        )
        item = reply.get("Item")
        return {key: next(iter(value.values())) for key, value in item.items()} if item else None

    def connection_ids(self) -> set[str]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name)
        return {item["connection_id"]["S"] for page in pages for item in page["Items"]}

    def register(
        self, connection_id: str, quiz_id: str, user_id: str, at_ms: int, ttl: int = 60
    ) -> None:
        """A connection row as ``$connect`` writes it, expiring ``ttl`` seconds later."""
        registry = ConnectionRegistry(self.table_name, client=self.dynamodb)
        record = ConnectionRecord(connection_id, quiz_id, user_id, at_ms, at_ms // 1000 + ttl)
        registry.add(record)

    def posts_to(self, connection_id: str) -> list[dict[str, Any]]:
        """What moto's management API received for a connection, message by message."""
        return moto_posts(connection_id, REGION)


# ---------------------------------------------------------------- handlers


class Handlers:
    """Loads handler modules from ``functions/<name>/app.py``, each a fresh environment."""

    def __init__(self) -> None:
        self._loaded: list[ModuleType] = []

    def load(self, function_dir: str) -> ModuleType:
        path = REPO_ROOT / "functions" / function_dir / "app.py"
        spec = importlib.util.spec_from_file_location(
            f"{function_dir}_app_{secrets.token_hex(4)}", path
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load a module from {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self._loaded.append(module)
        return module

    def invoker(self, function_dir: str) -> Invoke:
        """A fresh environment's handler, called as Lambda calls it."""
        module = self.load(function_dir)

        def invoke(event: dict[str, Any]) -> Any:
            return module.handler(event, LambdaContextStub(FUNCTION_NAMES[function_dir]))

        return invoke

    def close(self) -> None:
        for module in self._loaded:
            repository = _repository_of(module)
            if repository is not None:
                # NOTE: neither the handlers nor QuizRepository expose their Database, so the
                # warm connection is closed through the private attribute; left open, it
                # raises ResourceWarning (an error under our pytest settings) when collected.
                repository._database.close()


def _repository_of(module: ModuleType) -> QuizRepository | None:
    if hasattr(module, "messaging"):
        repository: QuizRepository = module.messaging.repository
        return repository
    return getattr(module, "repository", None)


# ---------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class SeededQuestion:
    question_id: str
    choices: tuple[str, ...]
    correct_choice: int
    points: int

    @property
    def wrong_choice(self) -> int:
        return (self.correct_choice + 1) % len(self.choices)


@dataclass(frozen=True)
class SeededQuiz:
    quiz_id: str
    name: str
    start: datetime
    end: datetime
    user_ids: tuple[str, ...]
    questions: tuple[SeededQuestion, ...]

    @property
    def start_ms(self) -> int:
        return epoch_ms(self.start)

    @property
    def end_ms(self) -> int:
        return epoch_ms(self.end)

    @property
    def during_ms(self) -> int:
        """A moment inside the window, a minute after it opened."""
        return self.start_ms + 60_000


def username(user_id: str) -> str:
    return f"name of {user_id}"


@dataclass
class QuizDatabase:
    """Seeds quizzes with unique ids, reads what the handlers stored, and cleans up."""

    url: str
    _seeded: list[SeededQuiz] = field(default_factory=list)
    _connection: Connection | None = None

    @property
    def conn(self) -> Connection:
        if self._connection is None:
            self._connection = psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
        return self._connection

    def seed(
        self,
        *,
        opened: timedelta = timedelta(minutes=5),
        lasts: timedelta = timedelta(minutes=30),
        players: int = 3,
        questions: int = 3,
        joined: bool = True,
    ) -> SeededQuiz:
        """A quiz that opened ``opened`` ago (negative: opens later), and its players.

        The players have joined unless ``joined`` is false. Question ``n`` is worth
        ``100 * (n + 1)`` points and its correct choice is ``n % 4``.
        """
        tag = secrets.token_hex(4)
        start = datetime.fromtimestamp(now_ms() // 1000, tz=UTC) - opened
        seeded = SeededQuiz(
            quiz_id=f"quiz_{tag}",
            name=f"Integration quiz {tag}",
            start=start,
            end=start + lasts,
            user_ids=tuple(f"user_{tag}_{n}" for n in range(players)),
            questions=tuple(
                SeededQuestion(
                    f"q_{tag}_{n}", ("alpha", "beta", "gamma", "delta"), n % 4, 100 * (n + 1)
                )
                for n in range(questions)
            ),
        )
        self._insert(seeded)
        self._seeded.append(seeded)
        if joined:
            for user_id in seeded.user_ids:
                self.add_participant(seeded.quiz_id, user_id)
        return seeded

    def add_participant(self, quiz_id: str, user_id: str) -> None:
        self.conn.execute(
            "INSERT INTO participants (quiz_id, user_id) VALUES (%s, %s)", (quiz_id, user_id)
        )

    def participants(self, quiz_id: str) -> list[dict[str, Any]]:
        return self.conn.execute(
            "SELECT user_id, score FROM participants WHERE quiz_id = %s ORDER BY user_id",
            (quiz_id,),
        ).fetchall()

    def score(self, quiz_id: str, user_id: str) -> int | None:
        row = self.conn.execute(
            "SELECT score FROM participants WHERE quiz_id = %s AND user_id = %s",
            (quiz_id, user_id),
        ).fetchone()
        return row["score"] if row else None

    def answers(self, quiz_id: str) -> list[dict[str, Any]]:
        return self.conn.execute(
            "SELECT user_id, question_id, choice, is_correct, points_awarded FROM answers"
            " WHERE quiz_id = %s ORDER BY user_id, question_id",
            (quiz_id,),
        ).fetchall()

    def backend_pids(self, application_name: str) -> list[int]:
        """Server processes of this database's clients that gave this application name."""
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            (application_name,),
        ).fetchall()
        return [row["pid"] for row in rows]

    def terminate(self, pid: int) -> None:
        """Ends a server process, as a database restart or failover would, and waits."""
        row = self.conn.execute("SELECT pg_terminate_backend(%s, 5000) AS ended", (pid,)).fetchone()
        assert row is not None
        assert row["ended"], f"server process {pid} did not end within 5 s"

    def close(self) -> None:
        with self.conn.transaction():
            for seeded in self._seeded:
                question_ids = [q.question_id for q in seeded.questions]
                # Participants and answers go with their quiz (ON DELETE CASCADE).
                self.conn.execute("DELETE FROM quizzes WHERE quiz_id = %s", (seeded.quiz_id,))
                self.conn.execute("DELETE FROM users WHERE id = ANY(%s)", (list(seeded.user_ids),))
                self.conn.execute(
                    "DELETE FROM questions WHERE question_id = ANY(%s)", (question_ids,)
                )
        self.conn.close()

    def _insert(self, seeded: SeededQuiz) -> None:
        with self.conn.transaction():
            for question in seeded.questions:
                self.conn.execute(
                    "INSERT INTO questions"
                    " (question_id, category, prompt, choices, correct_choice, points)"
                    " VALUES (%s, 'vocabulary', %s, %s, %s, %s)",
                    (
                        question.question_id,
                        f"Prompt of {question.question_id}?",
                        Jsonb(list(question.choices)),
                        question.correct_choice,
                        question.points,
                    ),
                )
            self.conn.execute(
                "INSERT INTO quizzes (quiz_id, name, start_time, end_time, questions)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    seeded.quiz_id,
                    seeded.name,
                    seeded.start.replace(tzinfo=None),
                    seeded.end.replace(tzinfo=None),
                    Jsonb([q.question_id for q in seeded.questions]),
                ),
            )
            for user_id in seeded.user_ids:
                self.conn.execute(
                    "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, 'unusable')",
                    (user_id, username(user_id)),
                )
