"""Fixtures of the handler tests: fresh AWS fakes, handler environments, seeded quizzes.

Each test starts moto with fake credentials, builds the template's tables and queues under
names of its own, and loads the handlers it needs from their files, each with the
environment the template gives its function. Where moto falls short the fakes of
``tests.support.fake_aws`` answer instead: Lambda's asynchronous Invoke always (moto runs
functions only in Docker), and the ``@connections`` API in tests that need a 410 Gone or
the order of every post.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from tests.integration.handlers.harness import REGION, Aws, Handlers, Invoke, QuizDatabase
from tests.support.fake_aws import FakeLambda, FakeManagementApi, SqsRequests
from tests.support.template import create_dynamodb_table, create_sqs_queue


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Aws]:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(name)
    fake_settings = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # Files that do not exist: no AWS configuration of this machine is read.
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name, value in fake_settings.items():
        monkeypatch.setenv(name, value)

    with mock_aws():
        # moto gives boto3 an empty default session for the duration; the handlers' clients
        # come from the one made here, so the fakes installed on it reach them.
        boto3.setup_default_session(region_name=REGION)
        session = boto3.DEFAULT_SESSION
        assert session is not None
        invocations = FakeLambda().install(session)
        sqs_requests = SqsRequests().install(session)
        dynamodb = session.client("dynamodb", region_name=REGION)
        sqs = session.client("sqs", region_name=REGION)
        # moto lets requests to endpoints it does not know through: make sure none is set.
        assert dynamodb.meta.endpoint_url == f"https://dynamodb.{REGION}.amazonaws.com"
        assert sqs.meta.endpoint_url == f"https://sqs.{REGION}.amazonaws.com"
        tag = secrets.token_hex(4)
        # The template has Secrets Manager generate the signing key: 64 characters, no
        # punctuation. This one is made the same way.
        alphabet = string.ascii_letters + string.digits
        signing_key = "".join(secrets.choice(alphabet) for _ in range(64))
        token_secret = session.client("secretsmanager", region_name=REGION).create_secret(
            Name=f"token-signing-{tag}", SecretString=signing_key
        )
        fakes = Aws(
            session=session,
            dynamodb=dynamodb,
            table_name=create_dynamodb_table(dynamodb, "ConnectionsTable", f"connections-{tag}"),
            push_marks_table=create_dynamodb_table(dynamodb, "PushMarksTable", f"push-marks-{tag}"),
            push_queue_url=create_sqs_queue(sqs, "LeaderboardPushQueue", f"pushes-{tag}"),
            lifecycle_queue_url=create_sqs_queue(sqs, "LifecycleQueue", f"lifecycle-{tag}"),
            token_secret_arn=token_secret["ARN"],
            token_secret=signing_key,
            invocations=invocations,
            sqs_requests=sqs_requests,
        )
        fakes.read_secrets_through_session()
        yield fakes
        # Secrets cached by Powertools must not outlive the test that made them.
        parameters.clear_caches()


@pytest.fixture
def gone_api(aws: Aws) -> FakeManagementApi:
    """Takes over the management API from moto for this test, to answer 410 where told.

    Clients made before it (the first post of a handler makes its client) keep moto's.
    """
    return FakeManagementApi().install(aws.session)


@pytest.fixture
def handlers_for(aws: Aws, database_url: str) -> Iterator[Callable[..., Handlers]]:
    """Handlers for other template parameters: ``handlers_for(MaxPlayersPerQuiz="3")``."""
    made: list[Handlers] = []

    def make(**parameters: str) -> Handlers:
        made.append(Handlers(aws.computed_values(database_url), parameters))
        return made[-1]

    yield make
    for loaded in made:
        loaded.close()


@pytest.fixture
def handlers(handlers_for: Callable[..., Handlers]) -> Handlers:
    """Handlers with the template's default parameters."""
    return handlers_for()


@pytest.fixture
def login(handlers: Handlers) -> Invoke:
    return handlers.invoker("login")


@pytest.fixture
def ws_authorizer(handlers: Handlers) -> Invoke:
    return handlers.invoker("ws_authorizer")


@pytest.fixture
def join_quiz(handlers: Handlers) -> Invoke:
    return handlers.invoker("join_quiz")


@pytest.fixture
def ws_connect(handlers: Handlers) -> Invoke:
    return handlers.invoker("ws_connect")


@pytest.fixture
def ws_welcome(handlers: Handlers) -> Invoke:
    return handlers.invoker("ws_welcome")


@pytest.fixture
def ws_message(handlers: Handlers) -> Invoke:
    return handlers.invoker("ws_message")


@pytest.fixture
def ws_disconnect(handlers: Handlers) -> Invoke:
    return handlers.invoker("ws_disconnect")


@pytest.fixture
def leaderboard_push(handlers: Handlers) -> Invoke:
    return handlers.invoker("leaderboard_push")


@pytest.fixture
def quiz_clock(handlers: Handlers) -> Invoke:
    return handlers.invoker("quiz_clock")


@pytest.fixture
def quiz_db(database_url: str) -> Iterator[QuizDatabase]:
    database = QuizDatabase(database_url)
    yield database
    database.close()
