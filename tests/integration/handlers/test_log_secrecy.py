"""No secret reaches the logs: a whole session runs in-process and its logs are searched.

The session logs in, joins, passes the $connect authorizer, connects, is welcomed, answers,
receives a leaderboard push and disconnects, with a wrong password, a forged token and an
unreachable database on the way. Everything the handlers log is captured: the JSON lines
Powertools writes (its handler's stream is swapped for a buffer), every record reaching the
root logger with all its attributes, and anything printed. None of it may contain the
password, a token, the token signing secret, a database URL or its password, or a whole
event (each event carries a canary header).
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.integration.handlers.harness import Aws, Handlers, QuizDatabase, SeededQuiz, username
from tests.support.events import (
    authorizer_event,
    join_event,
    login_event,
    new_connection_id,
    sqs_event,
    websocket_event,
)
from tests.support.fake_aws import FakeManagementApi

SERVICE = "quiz-backend"
PASSWORD = f"pw-{secrets.token_hex(8)}"
DATABASE_PASSWORD = f"dbpw-{secrets.token_hex(8)}"
CANARY = f"canary-{secrets.token_hex(8)}"


class WrittenLogs:
    """What the Powertools handlers of the service write, while capturing."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._handlers = [
            handler
            for handler in logging.getLogger(SERVICE).handlers
            if isinstance(handler, logging.StreamHandler)
        ]
        self._streams: list[Any] = []

    def __enter__(self) -> WrittenLogs:
        assert self._handlers, "no Powertools handler yet: load a handler module first"
        self._streams = [handler.setStream(self._buffer) for handler in self._handlers]
        return self

    def __exit__(self, *_: object) -> None:
        for handler, stream in zip(self._handlers, self._streams, strict=True):
            handler.setStream(stream)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._buffer.getvalue().splitlines() if line]

    def text(self) -> str:
        return self._buffer.getvalue()


@pytest.fixture
def session_handlers(aws: Aws, database_url: str) -> Iterator[tuple[Handlers, Handlers, str]]:
    """Handlers whose database URL holds a password, and ones whose database is unreachable."""
    # A server that trusts local connections gets a made-up password it does not need; one
    # that checks passwords (the local stack's) keeps its own, which is then the one to find.
    password = database_password(database_url)
    with_password = make_conninfo(database_url, password=password)
    unreachable = make_conninfo(database_url, port="1", password=password)
    working = Handlers({**aws.computed_values(database_url), "DATABASE_URL": with_password})
    broken = Handlers({**aws.computed_values(database_url), "DATABASE_URL": unreachable})
    yield working, broken, with_password
    working.close()
    broken.close()


def database_password(database_url: str) -> str:
    return str(conninfo_to_dict(database_url).get("password") or DATABASE_PASSWORD)


def _records_in_full(records: list[logging.LogRecord]) -> str:
    """Every attribute of every record, extra keys and exception text included."""
    formatter = logging.Formatter()
    parts = []
    for record in records:
        parts.append(repr(vars(record)))
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


def _with_canary(event: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("headers", {})["x-canary"] = CANARY
    return event


HANDLERS_USED = (
    "login",
    "join_quiz",
    "ws_authorizer",
    "ws_connect",
    "ws_welcome",
    "ws_message",
    "leaderboard_push",
    "ws_disconnect",
)


def _run_session(
    handlers: Handlers, broken: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi
) -> tuple[list[str], WrittenLogs]:
    """Plays one player's session through every handler; returns its tokens and its logs."""
    player, at = quiz.user_ids[0], quiz.during_ms
    invoke = {name: handlers.invoker(name) for name in HANDLERS_USED}
    unreachable_login = broken.invoker("login")

    written = WrittenLogs()
    with written:
        credentials = {"username": username(player), "password": PASSWORD}
        wrong = {**credentials, "password": PASSWORD + "!"}
        assert invoke["login"](_with_canary(login_event(wrong, time_ms=at)))["statusCode"] == 401
        assert (
            unreachable_login(_with_canary(login_event(credentials, time_ms=at)))["statusCode"]
            == 503
        )
        logged_in = invoke["login"](_with_canary(login_event(credentials, time_ms=at)))
        token = json.loads(logged_in["body"])["token"]

        forged = token[:-4] + "AAAA"
        refused = invoke["join_quiz"](
            _with_canary(join_event(quiz.quiz_id, player, time_ms=at, token=forged))
        )
        assert refused["statusCode"] == 401
        joined = invoke["join_quiz"](
            _with_canary(join_event(quiz.quiz_id, player, time_ms=at, token=token))
        )
        assert joined["statusCode"] == 200

        connection_id = new_connection_id()
        query: dict[str, str | None] = {"quiz_id": quiz.quiz_id, "token": token}
        allowed = invoke["ws_authorizer"](
            _with_canary(
                authorizer_event(connection_id=connection_id, request_time_ms=at, query=query)
            )
        )
        denied = invoke["ws_authorizer"](
            _with_canary(
                authorizer_event(
                    connection_id=new_connection_id(),
                    request_time_ms=at,
                    query={**query, "token": forged},
                )
            )
        )
        assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
        connect = websocket_event(
            "ws_connect",
            connection_id=connection_id,
            request_time_ms=at,
            query=query,
            authorized_user_id=allowed["context"]["user_id"],
        )
        assert invoke["ws_connect"](_with_canary(connect)) == {"statusCode": 200}

        (welcome,) = aws.invocations.invocations
        assert invoke["ws_welcome"](welcome.payload) == {"delivery": "delivered"}
        question = api.messages_to(connection_id)[-1]
        answer = {"action": "answer", "question_id": question["question_id"], "choice": 1}
        message = websocket_event(
            "ws_message_answer",
            connection_id=connection_id,
            request_time_ms=at + 1_000,
            body={**answer, "token": token, "password": PASSWORD},
        )
        assert invoke["ws_message"](_with_canary(message)) == {"statusCode": 200}

        (push,) = aws.queued_pushes()
        batch = sqs_event("sqs_leaderboard_push", [push.body], sent_at_ms=at + 1_000)
        assert invoke["leaderboard_push"](batch) == {"batchItemFailures": []}
        disconnect = websocket_event(
            "ws_disconnect", connection_id=connection_id, request_time_ms=at + 2_000
        )
        assert invoke["ws_disconnect"](_with_canary(disconnect)) == {"statusCode": 200}

    return [token, forged], written


def test_a_whole_session_logs_no_password_token_secret_database_url_or_event(
    session_handlers: tuple[Handlers, Handlers, str],
    quiz_db: QuizDatabase,
    aws: Aws,
    gone_api: FakeManagementApi,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handlers, broken, database_url = session_handlers
    quiz = quiz_db.seed(players=2, password=PASSWORD, joined=False)
    # The template's log level.
    caplog.set_level(logging.INFO)

    tokens, logs = _run_session(handlers, broken, quiz, aws, gone_api)

    lines = logs.lines()
    printed = capsys.readouterr()
    everything = "\n".join(
        [logs.text(), _records_in_full(caplog.records), printed.out, printed.err]
    )
    # The session was logged: a line at least per step, with ids as keys. Some lines come
    # from the layer's child loggers, which reach the root logger in any case.
    messages = {str(line["message"]) for line in lines} | {
        record.getMessage() for record in caplog.records
    }
    assert {"logged in", "quiz joined", "connection authorized", "connection opened"} <= messages
    assert {
        "welcome sent",
        "message handled",
        "leaderboard pushed",
        "connection closed",
    } <= messages
    assert {"database unavailable", "request refused", "connection denied"} <= messages
    assert any(line.get("user_id") == quiz.user_ids[0] for line in lines)

    forbidden = {
        "the password": PASSWORD,
        "the database password": database_password(database_url),
        "the database URL": database_url,
        "the signing secret": aws.token_secret,
        "an event": CANARY,
        **{f"token {n}": token for n, token in enumerate(tokens)},
        # A token's signature alone is as good as a leak of the token.
        **{f"signature of token {n}": token.rsplit(".", 1)[1] for n, token in enumerate(tokens)},
    }
    leaked = {name for name, value in forbidden.items() if value in everything}
    assert leaked == set()
