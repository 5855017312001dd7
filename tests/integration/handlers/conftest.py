"""Fixtures of the handler tests: fresh AWS fakes, handler environments, seeded quizzes.

Each test starts moto with fake credentials, builds the connections table from
``infra/template.yaml`` and loads the handlers it needs from their files, with the
environment the template gives them. Where moto falls short the fakes of
``tests.support.fake_aws`` answer instead: Lambda's asynchronous Invoke always (moto runs
functions only in Docker), and the ``@connections`` API in tests that need a 410 Gone.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from quiz_core import config
from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    REGION,
    WEBSOCKET_URL,
    WELCOME_FUNCTION_NAME,
    Aws,
    Handlers,
    Invoke,
    QuizDatabase,
)
from tests.support.fake_aws import FakeLambda, FakeManagementApi
from tests.support.template import create_dynamodb_table


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
        dynamodb = session.client("dynamodb", region_name=REGION)
        # moto lets requests to endpoints it does not know through: make sure none is set.
        assert dynamodb.meta.endpoint_url == f"https://dynamodb.{REGION}.amazonaws.com"
        table = f"connections-{secrets.token_hex(4)}"
        create_dynamodb_table(dynamodb, "ConnectionsTable", table)
        yield Aws(session, dynamodb, table, invocations)


@pytest.fixture
def gone_api(aws: Aws) -> FakeManagementApi:
    """Takes over the management API from moto for this test, to answer 410 where told.

    Clients made before it (the first post of a handler makes its client) keep moto's.
    """
    return FakeManagementApi().install(aws.session)


@pytest.fixture
def function_environment(
    monkeypatch: pytest.MonkeyPatch, aws: Aws, database_url: str
) -> dict[str, str]:
    """The variables the template gives the functions, pointing at this test's fakes."""
    environment = {
        config.DATABASE_URL: database_url,
        config.CONNECTIONS_TABLE: aws.table_name,
        config.MANAGEMENT_API_ENDPOINT: MANAGEMENT_API_ENDPOINT,
        config.WELCOME_FUNCTION_NAME: WELCOME_FUNCTION_NAME,
        config.WEBSOCKET_URL: WEBSOCKET_URL,
        "POWERTOOLS_SERVICE_NAME": "quiz-backend",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def handlers(function_environment: dict[str, str]) -> Iterator[Handlers]:
    loaded = Handlers()
    yield loaded
    loaded.close()


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
def quiz_db(database_url: str) -> Iterator[QuizDatabase]:
    database = QuizDatabase(database_url)
    yield database
    database.close()
