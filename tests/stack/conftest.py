"""Stack tests: the deployed template, reached the way a client reaches it.

By default they target the local emulator that ``make dev`` started (stack
``quiz-backend-local``, endpoint from ``AWS_ENDPOINT_URL`` or ``LOCALSTACK_HOST``, else
127.0.0.1:4566, via localstack-client). ``QUIZ_STACK_ON_AWS=1`` with ``STACK_NAME`` runs the
same tests against a stack on AWS with the caller's own credentials. Test data is created
in PostgreSQL through ``DATABASE_URL``, unique per test, and removed afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import psycopg
import pytest
from localstack_client.session import Session as EmulatorSession

from quiz_core.security.passwords import hash_password
from tests.stack.client import post

DEFAULT_STACK_NAME = "quiz-backend-local"
# Every seeded player logs in with this password.
PLAYER_PASSWORD = "stack test password"
PASSWORD_HASH = hash_password(PLAYER_PASSWORD)


@dataclass(frozen=True)
class DeployedStack:
    http_api_url: str
    websocket_url: str
    connections_table: str
    quiz_clock_function: str
    dynamodb: Any
    lambda_client: Any

    def log_in(self, username: str, password: str = "") -> str:
        status, body = post(
            f"{self.http_api_url}/login",
            {"username": username, "password": password or PLAYER_PASSWORD},
        )
        assert status == 200, body
        return str(body["token"])

    def join(self, quiz_id: str, user_id: str, username: str = "", password: str = "") -> str:
        """Logs the player in, joins the quiz and returns the URL to connect to."""
        token = self.log_in(username or f"player {user_id}", password)
        status, body = post(f"{self.http_api_url}/join_quiz/{quiz_id}/{user_id}", token=token)
        assert status == 200, body
        return str(body["websocket_url"])

    def run_quiz_clock(self) -> None:
        """Runs the quiz clock now, as its every-minute schedule would."""
        reply = self.lambda_client.invoke(
            FunctionName=self.quiz_clock_function,
            Payload=b'{"source": "aws.events", "detail-type": "Scheduled Event"}',
        )
        assert "FunctionError" not in reply, reply["Payload"].read()


def _on_aws() -> bool:
    return os.environ.get("QUIZ_STACK_ON_AWS") == "1"


def _session() -> Any:
    if _on_aws():
        return boto3.session.Session()
    if not (os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("LOCALSTACK_HOST")):
        pytest.fail(
            "no stack to test: set AWS_ENDPOINT_URL (or LOCALSTACK_HOST), or run `make dev` "
            "and then `make test`, which reads .stack/stack.env; QUIZ_STACK_ON_AWS=1 targets AWS",
            pytrace=False,
        )
    return EmulatorSession(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )


@pytest.fixture(scope="session")
def stack() -> DeployedStack:
    session = _session()
    stack_name = os.environ.get("STACK_NAME", DEFAULT_STACK_NAME)
    cloudformation = session.client("cloudformation")
    try:
        described = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except Exception as exc:  # any failure here means the same thing to the user
        pytest.fail(
            f"stack {stack_name!r} is not reachable ({type(exc).__name__}: {exc}); "
            "start the local stack with `make dev` first",
            pytrace=False,
        )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return DeployedStack(
        http_api_url=outputs["HttpApiUrl"],
        websocket_url=outputs["WebSocketUrl"],
        connections_table=outputs["ConnectionsTableName"],
        quiz_clock_function=outputs["QuizClockFunctionName"],
        dynamodb=session.client("dynamodb"),
        lambda_client=session.client("lambda"),
    )


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail(
            "DATABASE_URL is not set; `make test` reads it from .stack/stack.env "
            "written by `make dev`",
            pytrace=False,
        )
    return url


@dataclass(frozen=True)
class SeededQuiz:
    quiz_id: str
    user_ids: tuple[str, ...]
    question_ids: tuple[str, ...]
    correct_choices: tuple[int, ...]


def _seed(
    conn: psycopg.Connection[Any], start: datetime, end: datetime, players: int
) -> SeededQuiz:
    tag = secrets.token_hex(4)
    quiz_id = f"stack_{tag}"
    user_ids = tuple(f"stack_{tag}_u{n}" for n in range(players))
    question_ids = tuple(f"stack_{tag}_q{n}" for n in range(3))
    correct = (1, 2, 0)
    for question_id, choice in zip(question_ids, correct, strict=True):
        conn.execute(
            "INSERT INTO questions (question_id, category, prompt, choices, correct_choice)"
            " VALUES (%s, 'vocabulary', %s, %s, %s)",
            (
                question_id,
                f"Prompt of {question_id}?",
                psycopg.types.json.Jsonb(["alpha", "beta", "gamma", "delta"]),
                choice,
            ),
        )
    conn.execute(
        "INSERT INTO quizzes (quiz_id, name, start_time, end_time, questions)"
        " VALUES (%s, %s, %s, %s, %s)",
        (
            quiz_id,
            f"Stack test {tag}",
            start.replace(tzinfo=None),
            end.replace(tzinfo=None),
            psycopg.types.json.Jsonb(list(question_ids)),
        ),
    )
    for user_id in user_ids:
        conn.execute(
            "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)",
            (user_id, f"player {user_id}", PASSWORD_HASH),
        )
    return SeededQuiz(quiz_id, user_ids, question_ids, correct)


def _remove(conn: psycopg.Connection[Any], seeded: SeededQuiz) -> None:
    conn.execute("DELETE FROM quizzes WHERE quiz_id = %s", (seeded.quiz_id,))
    conn.execute("DELETE FROM users WHERE id = ANY(%s)", (list(seeded.user_ids),))
    conn.execute("DELETE FROM answers WHERE question_id = ANY(%s)", (list(seeded.question_ids),))
    conn.execute("DELETE FROM questions WHERE question_id = ANY(%s)", (list(seeded.question_ids),))


def end_quiz_now(database_url: str, quiz_id: str) -> None:
    """Moves the quiz's end to a second ago, so the clock finds it overdue."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE quizzes SET end_time = (now() AT TIME ZONE 'UTC') - interval '1 second',"
            " start_time = LEAST(start_time, (now() AT TIME ZONE 'UTC') - interval '2 seconds')"
            " WHERE quiz_id = %s",
            (quiz_id,),
        )


@pytest.fixture
def seed_quiz(database_url: str) -> Iterator[Any]:
    """A factory of quizzes with players and questions, removed after the test."""
    created: list[SeededQuiz] = []

    def make(
        opens_in: timedelta = timedelta(seconds=-5),
        lasts: timedelta = timedelta(minutes=30),
        players: int = 3,
    ) -> SeededQuiz:
        start = datetime.now(UTC) + opens_in
        with psycopg.connect(database_url, autocommit=True) as conn:
            seeded = _seed(conn, start, start + lasts, players)
        created.append(seeded)
        return seeded

    yield make
    with psycopg.connect(database_url, autocommit=True) as conn:
        for seeded in created:
            _remove(conn, seeded)
