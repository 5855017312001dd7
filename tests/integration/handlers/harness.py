"""What the handler tests share: the fakes of one test, handler loading, seeded quizzes.

A loaded handler module is one warm Lambda environment: loading a handler twice gives two
environments, each with its own clients and PostgreSQL connection. Each is loaded with the
environment variables ``infra/template.yaml`` gives its function, and only those, for the
template parameters the test chose (the defaults unless it says otherwise).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import psycopg
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from psycopg import sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from quiz_core import config
from quiz_core.models import ConnectionRecord, epoch_ms
from quiz_core.security.passwords import hash_password
from quiz_core.security.tokens import issue_token
from quiz_core.storage import push_marks
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.quiz_repository import QuizRepository, QuizStore
from tests.support.events import LambdaContextStub, new_connection_id, websocket_event
from tests.support.fake_aws import FakeLambda, SentMessage, SqsRequests, moto_posts
from tests.support.intrinsics import Intrinsics
from tests.support.template import REPO_ROOT, function_variables, load_template

REGION = "us-east-1"
# moto intercepts the management API only on endpoints of exactly this shape.
MANAGEMENT_API_ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/live"
WEBSOCKET_URL = "wss://abc123.execute-api.us-east-1.amazonaws.com/live"
WELCOME_FUNCTION_NAME = "quiz-backend-WelcomeFunction-Xk2LqP9s"
TTL_SECONDS = config.DEFAULT_CONNECTION_TTL_SECONDS
TIME_LIMIT_MS = 20_000

# The template's logical id of each function folder, used as the function's name.
FUNCTION_NAMES = {
    "login": "LoginFunction",
    "ws_authorizer": "AuthorizerFunction",
    "join_quiz": "JoinQuizFunction",
    "ws_connect": "ConnectFunction",
    "ws_welcome": "WelcomeFunction",
    "ws_message": "MessageFunction",
    "ws_disconnect": "DisconnectFunction",
    "leaderboard_push": "LeaderboardPushFunction",
    "quiz_clock": "QuizClockFunction",
}

Connection = psycopg.Connection[DictRow]
Invoke = Callable[[dict[str, Any]], Any]


def now_ms() -> int:
    return epoch_ms(datetime.now(UTC))


# ---------------------------------------------------------------- AWS


@dataclass
class Aws:
    """The AWS side of one test: moto's DynamoDB, SQS and management API, a Lambda recorder.

    The tables and queues are the template's, under names unique to the test.
    """

    session: boto3.session.Session
    dynamodb: Any
    table_name: str
    push_marks_table: str
    push_queue_url: str
    lifecycle_queue_url: str
    token_secret_arn: str
    token_secret: str
    invocations: FakeLambda
    sqs_requests: SqsRequests
    database_secret_arns: list[str] = field(default_factory=list)

    def read_secrets_through_session(self) -> None:
        """Powertools reads secrets with a client of this session, made now.

        NOTE: ``parameters.get_secret`` takes its provider from Powertools' module-level
        ``DEFAULT_PROVIDERS``, making one with a session of its own if none is there. A
        provider of ours there lets the fakes and recorders installed on this session see
        ``GetSecretValue``, and starts each test with an empty cache.
        """
        DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_session=self.session)

    def token_for(self, user_id: str, issued_at: int | None = None, ttl: int = 3600) -> str:
        """A token for the user, signed with this test's signing secret, as login issues."""
        now = now_ms() // 1000 if issued_at is None else issued_at
        return issue_token(user_id, self.token_secret.encode(), now, ttl)

    def database_secret(self, value: str) -> str:
        """A Secrets Manager secret holding ``value`` (a URL or RDS JSON); returns its ARN."""
        client = self.session.client("secretsmanager", region_name=REGION)
        name = f"quiz-database-{secrets.token_hex(4)}"
        arn: str = client.create_secret(Name=name, SecretString=value)["ARN"]
        self.database_secret_arns.append(arn)
        return arn

    def computed_values(self, database_url: str) -> dict[str, str]:
        """What CloudFormation would put in the variables it computes, for this test."""
        return {
            config.DATABASE_URL: database_url,
            config.CONNECTIONS_TABLE: self.table_name,
            config.PUSH_MARKS_TABLE: self.push_marks_table,
            config.LEADERBOARD_PUSH_QUEUE_URL: self.push_queue_url,
            config.LIFECYCLE_QUEUE_URL: self.lifecycle_queue_url,
            config.MANAGEMENT_API_ENDPOINT: MANAGEMENT_API_ENDPOINT,
            config.WELCOME_FUNCTION_NAME: WELCOME_FUNCTION_NAME,
            config.WEBSOCKET_URL: WEBSOCKET_URL,
            config.TOKEN_SECRET_ARN: self.token_secret_arn,
        }

    def logical_ids(self) -> dict[str, str]:
        """The template resource behind each name or URL this test gave a resource."""
        return {
            self.table_name: "ConnectionsTable",
            self.push_marks_table: "PushMarksTable",
            self.push_queue_url: "LeaderboardPushQueue",
            self.lifecycle_queue_url: "LifecycleQueue",
            self.token_secret_arn: "TokenSigningSecret",
            WELCOME_FUNCTION_NAME: "WelcomeFunction",
            # The template names the database secret by its parameter.
            **dict.fromkeys(self.database_secret_arns, "DatabaseSecretArn"),
        }

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

    def push_mark(self, quiz_id: str) -> int | None:
        """The due time of the quiz's pending leaderboard push, or None when none is."""
        reply = self.dynamodb.get_item(
            TableName=self.push_marks_table,
            Key={push_marks.QUIZ_ID: {"S": quiz_id}},
            ConsistentRead=True,
        )
        due = reply.get("Item", {}).get(push_marks.DUE_AT)
        return int(due["N"]) if due else None

    def queued_pushes(self) -> list[SentMessage]:
        return self.sqs_requests.to(self.push_queue_url)

    def queued_steps(self) -> list[SentMessage]:
        return self.sqs_requests.to(self.lifecycle_queue_url)


# ---------------------------------------------------------------- handlers


def environment_of(
    logical_id: str, computed: Mapping[str, str], parameters: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The function's variables from the template, with this test's computed values.

    Conditions are decided for ``parameters`` (the rest at their defaults), so a variable
    the template leaves out (``AWS::NoValue``) is not set. A variable that is neither a
    literal, nor a parameter, nor one of ``computed`` raises LookupError naming it, so the
    template cannot give a function a variable these tests leave unset.
    """
    variables = Intrinsics(load_template(), parameters).decide(function_variables(logical_id))
    environment = {}
    for name, value in variables.items():
        if name in computed:
            environment[name] = computed[name]
        elif isinstance(value, str | int | float):
            environment[name] = str(value)
        else:
            raise LookupError(
                f"{logical_id}'s variable {name} is computed by CloudFormation ({value}); "
                "give it a value in Aws.computed_values of tests/integration/handlers/harness.py"
            )
    return environment


def _every_function_variable() -> set[str]:
    return {
        name for logical_id in FUNCTION_NAMES.values() for name in function_variables(logical_id)
    }


@contextmanager
def _function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` as the function sees it while its module is imported."""
    saved = dict(os.environ)
    for name in _every_function_variable():
        os.environ.pop(name, None)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Handlers:
    """Loads handler modules from ``functions/<name>/app.py``, each a fresh environment."""

    def __init__(
        self, computed: Mapping[str, str], parameters: Mapping[str, str] | None = None
    ) -> None:
        self._computed = dict(computed)
        self.parameters = dict(parameters or {})
        self._loaded: list[ModuleType] = []

    def environment(self, function_dir: str) -> dict[str, str]:
        return environment_of(FUNCTION_NAMES[function_dir], self._computed, self.parameters)

    def load(self, function_dir: str) -> ModuleType:
        path = REPO_ROOT / "functions" / function_dir / "app.py"
        spec = importlib.util.spec_from_file_location(
            f"{function_dir}_app_{secrets.token_hex(4)}", path
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load a module from {path}")
        module = importlib.util.module_from_spec(spec)
        with _function_environment(self.environment(function_dir)):
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
                # Left open, the warm connection raises ResourceWarning (an error under our
                # pytest settings) when it is collected.
                repository.close()


def _repository_of(module: ModuleType) -> QuizRepository | None:
    if hasattr(module, "messaging"):
        repository: QuizRepository = module.messaging.repository
        return repository
    return getattr(module, "repository", None)


# ---------------------------------------------------------------- WebSocket messages

# The event file of each route a message can take; anything else goes to $default.
EVENT_OF_ACTION = {
    "answer": "ws_message_answer",
    "next": "ws_message_next",
    "leaderboard": "ws_message_leaderboard",
    "state": "ws_message_state",
    "ping": "ws_message_ping",
}


def connect(aws: Aws, quiz: SeededQuiz, user_id: str) -> str:
    """A new connection of the player, registered as ``$connect`` registers it."""
    connection_id = new_connection_id()
    aws.register(connection_id, quiz.quiz_id, user_id, quiz.start_ms)
    return connection_id


def send(
    ws_message: Invoke, connection_id: str, at_ms: int, body: dict[str, Any] | str
) -> dict[str, Any]:
    """Sends a message on the route API Gateway would pick for it, received at ``at_ms``."""
    action = body.get("action") if isinstance(body, dict) else None
    event = websocket_event(
        EVENT_OF_ACTION.get(str(action), "ws_message_default"),
        connection_id=connection_id,
        request_time_ms=at_ms,
        body=body,
    )
    response: dict[str, Any] = ws_message(event)
    return response


def answer(question_id: str, choice: object, **extra: object) -> dict[str, Any]:
    return {"action": "answer", "question_id": question_id, "choice": choice, **extra}


def types(messages: list[dict[str, Any]]) -> list[str]:
    return [message["type"] for message in messages]


# ---------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class SeededQuestion:
    question_id: str
    choices: tuple[str, ...]
    correct_choice: int
    points: int
    time_limit_ms: int = TIME_LIMIT_MS

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


# Every table of the quiz database, for checksums: fixed names, never input.
CHECKSUMMED_TABLES = (
    "users",
    "quizzes",
    "questions",
    "participants",
    "servings",
    "answers",
    "quiz_runs",
)


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
        password: str | None = None,
    ) -> SeededQuiz:
        """A quiz that opened ``opened`` ago (negative: opens later), and its players.

        The players have joined unless ``joined`` is false. Question ``n`` is worth
        ``100 * (n + 1)`` points, lasts 20 s and its correct choice is ``n % 4``. With a
        ``password``, every player can log in with it as ``username(user_id)``; without,
        no password opens their accounts.
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
        self._insert(seeded, hash_password(password) if password else "unusable")
        self._seeded.append(seeded)
        if joined:
            for user_id in seeded.user_ids:
                self.add_participant(seeded.quiz_id, user_id)
        return seeded

    def add_participant(self, quiz_id: str, user_id: str) -> None:
        self.conn.execute(
            "INSERT INTO participants (quiz_id, user_id) VALUES (%s, %s)", (quiz_id, user_id)
        )

    def serve(self, quiz: SeededQuiz, user_id: str, index: int, at_ms: int) -> int:
        """Puts question ``index`` in front of the player at ``at_ms``; returns its closing time.

        The window is the one the product gives: the time limit, cut at the quiz's end.
        """
        question = quiz.questions[index]
        closes_at = min(at_ms + question.time_limit_ms, quiz.end_ms)
        self.conn.execute(
            "INSERT INTO servings"
            " (quiz_id, user_id, question_id, question_index, served_at_ms, closes_at_ms)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (quiz.quiz_id, user_id, question.question_id, index, at_ms, closes_at),
        )
        return closes_at

    def seed_answer(
        self, quiz: SeededQuiz, user_id: str, index: int, points: int, elapsed_ms: int = 1000
    ) -> None:
        """A final answer stored as a played one would be, with the player's totals."""
        question = quiz.questions[index]
        served_at = quiz.start_ms + index * question.time_limit_ms
        with self.conn.transaction():
            self.serve(quiz, user_id, index, served_at)
            self.conn.execute(
                "INSERT INTO answers (quiz_id, user_id, question_id, choice, is_correct,"
                " points_awarded, answered_at, status, elapsed_ms, base_points, streak_bonus)"
                " VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s / 1000.0), 'answered',"
                " %s, %s, 0)",
                (
                    quiz.quiz_id,
                    user_id,
                    question.question_id,
                    question.correct_choice if points else question.wrong_choice,
                    points > 0,
                    points,
                    served_at + elapsed_ms,
                    elapsed_ms,
                    points,
                ),
            )
            self.conn.execute(
                "UPDATE participants SET score = score + %s, answer_time_ms = answer_time_ms + %s"
                " WHERE quiz_id = %s AND user_id = %s",
                (points, elapsed_ms, quiz.quiz_id, user_id),
            )

    def start_now(self, quiz: SeededQuiz) -> None:
        """Moves the quiz's start to the current second, as if the lobby's wait were over.

        NOTE: handlers that read the clock themselves (the welcome, the quiz clock) cannot be
        given a time, so tests move the quiz instead, as an organizer editing it would.
        """
        self.conn.execute(
            "UPDATE quizzes SET start_time = date_trunc('second', now() AT TIME ZONE 'UTC')"
            " WHERE quiz_id = %s",
            (quiz.quiz_id,),
        )

    def end_now(self, quiz: SeededQuiz) -> None:
        """Moves the quiz's end to the past second, as if its time had run out."""
        self.conn.execute(
            "UPDATE quizzes SET end_time = date_trunc('second', now() AT TIME ZONE 'UTC')"
            " - interval '1 second' WHERE quiz_id = %s",
            (quiz.quiz_id,),
        )

    def participants(self, quiz_id: str) -> list[dict[str, Any]]:
        return self.conn.execute(
            "SELECT user_id, score FROM participants WHERE quiz_id = %s ORDER BY user_id",
            (quiz_id,),
        ).fetchall()

    def progress(self, quiz_id: str, user_id: str) -> dict[str, Any] | None:
        """The player's stored totals: score, streak and answer time."""
        row: dict[str, Any] | None = self.conn.execute(
            "SELECT score, streak, answer_time_ms FROM participants"
            " WHERE quiz_id = %s AND user_id = %s",
            (quiz_id, user_id),
        ).fetchone()
        return row

    def totals(self, quiz_id: str) -> dict[str, tuple[int, int]]:
        """Each participant's stored (score, answer time)."""
        rows = self.conn.execute(
            "SELECT user_id, score, answer_time_ms FROM participants WHERE quiz_id = %s",
            (quiz_id,),
        ).fetchall()
        return {row["user_id"]: (row["score"], row["answer_time_ms"]) for row in rows}

    def score(self, quiz_id: str, user_id: str) -> int | None:
        row = self.progress(quiz_id, user_id)
        return row["score"] if row else None

    def answers(self, quiz_id: str) -> list[dict[str, Any]]:
        return self.conn.execute(
            "SELECT user_id, question_id, choice, is_correct, points_awarded FROM answers"
            " WHERE quiz_id = %s ORDER BY user_id, question_id",
            (quiz_id,),
        ).fetchall()

    def scored_answers(self, quiz_id: str) -> list[dict[str, Any]]:
        """Every stored answer with how it was scored, in the order each player got them."""
        return self.conn.execute(
            "SELECT a.user_id, a.question_id, a.status, a.choice, a.is_correct,"
            " a.points_awarded, a.base_points, a.streak_bonus, a.elapsed_ms"
            " FROM answers a JOIN servings s USING (quiz_id, user_id, question_id)"
            " WHERE a.quiz_id = %s ORDER BY a.user_id, s.question_index",
            (quiz_id,),
        ).fetchall()

    def servings(self, quiz_id: str, user_id: str) -> list[dict[str, Any]]:
        return self.conn.execute(
            "SELECT question_id, question_index, served_at_ms, closes_at_ms FROM servings"
            " WHERE quiz_id = %s AND user_id = %s ORDER BY question_index",
            (quiz_id, user_id),
        ).fetchall()

    def leaderboard(self, quiz_id: str) -> list[tuple[int, str, int]]:
        """The whole leaderboard as the product reads it: (rank, user id, score)."""
        with self.conn.transaction():
            ranking = QuizStore(self.conn).ranking(quiz_id, None)
        return [(entry.rank, entry.user_id, entry.score) for entry in ranking]

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
                # Participants, servings, answers and runs go with their quiz (ON DELETE
                # CASCADE).
                self.conn.execute("DELETE FROM quizzes WHERE quiz_id = %s", (seeded.quiz_id,))
                self.conn.execute("DELETE FROM users WHERE id = ANY(%s)", (list(seeded.user_ids),))
                self.conn.execute(
                    "DELETE FROM questions WHERE question_id = ANY(%s)", (question_ids,)
                )
        self.conn.close()

    def checksum(self) -> dict[str, str]:
        """An MD5 of every row of each table a request could change, by table."""
        part = sql.SQL(
            "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
            " FROM {table} t) AS {table}"
        )
        parts = [part.format(table=sql.Identifier(table)) for table in CHECKSUMMED_TABLES]
        row = self.conn.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(parts))).fetchone()
        assert row is not None
        return dict(row)

    def _insert(self, seeded: SeededQuiz, password_hash: str) -> None:
        with self.conn.transaction():
            for question in seeded.questions:
                self.conn.execute(
                    "INSERT INTO questions (question_id, category, prompt, choices,"
                    " correct_choice, time_limit_ms, points)"
                    " VALUES (%s, 'vocabulary', %s, %s, %s, %s, %s)",
                    (
                        question.question_id,
                        f"Prompt of {question.question_id}?",
                        Jsonb(list(question.choices)),
                        question.correct_choice,
                        question.time_limit_ms,
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
                    "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)",
                    (user_id, username(user_id), password_hash),
                )


def assert_totals_match_answers(quiz_db: QuizDatabase, quiz_id: str) -> None:
    """Every player's stored totals are the sums of their stored answers, and the stored
    leaderboard is the ranking those sums give: score down, answer time up, then user id.
    """
    sums: dict[str, tuple[int, int]] = {}
    for row in quiz_db.scored_answers(quiz_id):
        assert row["points_awarded"] == row["base_points"] + row["streak_bonus"], row
        score, answer_time = sums.get(row["user_id"], (0, 0))
        sums[row["user_id"]] = (score + row["points_awarded"], answer_time + row["elapsed_ms"])
    stored = quiz_db.totals(quiz_id)
    recomputed = {user_id: sums.get(user_id, (0, 0)) for user_id in stored}

    assert stored == recomputed
    order = sorted(recomputed, key=lambda u: (-recomputed[u][0], recomputed[u][1], u))
    assert quiz_db.leaderboard(quiz_id) == [
        (rank, user_id, recomputed[user_id][0]) for rank, user_id in enumerate(order, start=1)
    ]
