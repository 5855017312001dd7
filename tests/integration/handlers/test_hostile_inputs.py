"""Hostile input thrown at the handlers: never a 5xx, never a crash, never a stray write.

Hypothesis generates what an attacker would send (SQL and format-string fragments, null
bytes, lone surrogates and other odd Unicode, megabyte strings, deep nesting, wrong types,
duplicated keys, random JSON) as login bodies, join paths and Authorization headers,
authorizer query strings and WebSocket messages. Every reply must carry a code, no reply may
be a server error, and a checksum of every table must stay the same unless the request was
accepted. The examples are drawn deterministically (see ``tests.support.fuzz``).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.handlers.harness import (
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    connect,
    now_ms,
    send,
    username,
)
from tests.support.events import authorizer_event, join_event, login_event, new_connection_id
from tests.support.fake_aws import FakeManagementApi
from tests.support.fuzz import (
    altered,
    fuzz,
    hostile_bodies,
    huge_text,
    json_values,
    nasty_text,
    token_shaped,
)

PASSWORD = "the real password"
SERVER_ERRORS = {"internal_error", "service_unavailable"}


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    # Open long enough for one message a second over any number of examples.
    return quiz_db.seed(players=2, password=PASSWORD, lasts=timedelta(days=2))


class Checksums:
    """The database's checksum, compared after each example with the one before it."""

    def __init__(self, quiz_db: QuizDatabase) -> None:
        self._quiz_db = quiz_db
        self.last = quiz_db.checksum()

    def changed(self) -> bool:
        current = self._quiz_db.checksum()
        changed, self.last = current != self.last, current
        return changed


@pytest.fixture
def checksums(quiz: SeededQuiz, quiz_db: QuizDatabase) -> Checksums:
    return Checksums(quiz_db)


def _http_reply(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    for key in ("code", "message"):
        assert isinstance(body.get(key), str), body
        assert body[key], body
    # What goes back to the client is always valid UTF-8.
    response["body"].encode("utf-8")
    return response["statusCode"], body


# ---------------------------------------------------------------- POST /login


def _login_fields(quiz: SeededQuiz) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "username": st.one_of(st.just(username(quiz.user_ids[0])), nasty_text()),
        "password": st.one_of(st.just(PASSWORD.upper()), nasty_text()),
    }


@pytest.fixture
def login_bodies(quiz: SeededQuiz) -> st.SearchStrategy[str | None]:
    return hostile_bodies(_login_fields(quiz))


@fuzz(250)
@given(data=st.data(), encoded=st.booleans())
def test_hostile_login_bodies_get_a_coded_refusal_and_write_nothing(
    data: st.DataObject,
    encoded: bool,
    login: Invoke,
    login_bodies: st.SearchStrategy[str | None],
    checksums: Checksums,
) -> None:
    body = data.draw(login_bodies)
    event = login_event(body, time_ms=now_ms())
    if encoded and body is not None:
        raw = body.encode("utf-8", errors="surrogatepass")
        event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)

    status, reply = _http_reply(login(event))

    # The right password is never generated, so nobody logs in.
    assert (status, reply["code"]) in {(400, "invalid_request"), (401, "invalid_credentials")}
    assert not checksums.changed()


# ---------------------------------------------------------------- POST /join_quiz


def _identifiers(quiz: SeededQuiz) -> st.SearchStrategy[Any]:
    real = st.sampled_from([quiz.quiz_id, *quiz.user_ids, "no_such_id"])
    return st.one_of(real, nasty_text(), huge_text(), st.none())


TOKEN_KINDS = ("own", "other user", "expired", "forged", "truncated")


def _token(kind: str, aws: Aws, quiz: SeededQuiz) -> str:
    player = quiz.user_ids[0]
    return {
        "own": lambda: aws.token_for(player),
        "other user": lambda: aws.token_for(quiz.user_ids[1]),
        "expired": lambda: aws.token_for(player, issued_at=now_ms() // 1000 - 7200),
        "forged": lambda: aws.token_for(player)[:-6] + "AAAAAA",
        "truncated": lambda: aws.token_for(player)[:-1],
    }[kind]()


@fuzz(600)
@given(data=st.data())
def test_hostile_join_paths_and_authorization_headers_never_fail_or_write(
    data: st.DataObject,
    join_quiz: Invoke,
    quiz: SeededQuiz,
    aws: Aws,
    checksums: Checksums,
) -> None:
    identifiers = _identifiers(quiz)
    path = data.draw(
        st.fixed_dictionaries({}, optional={"quiz_id": identifiers, "user_id": identifiers})
    )
    token = _token(data.draw(st.sampled_from(TOKEN_KINDS)), aws, quiz)
    authorization = data.draw(
        st.one_of(
            st.none(),
            st.just(f"Bearer {token}"),
            st.builds(lambda scheme: f"{scheme} {token}", nasty_text(10)),
            st.one_of(token_shaped(), altered(token)).map(lambda text: f"Bearer {text}"),
            nasty_text().map(lambda text: f"Bearer {text}"),
            nasty_text(),
            huge_text().map(lambda text: f"Bearer {text}"),
        )
    )
    event = join_event("placeholder", "placeholder", time_ms=now_ms(), token=None)
    event["pathParameters"] = path or data.draw(st.sampled_from([None, {}]))
    header = data.draw(st.sampled_from(["authorization", "Authorization", "AUTHORIZATION"]))
    if authorization is not None:
        event["headers"][header] = authorization

    status, reply = _http_reply(join_quiz(event))

    assert status < 500, reply
    assert reply["code"] not in SERVER_ERRORS
    # Every player of the quiz has joined already: even an accepted join writes nothing.
    assert not checksums.changed()


# ---------------------------------------------------------------- $connect authorizer


@fuzz(300)
@given(data=st.data())
def test_hostile_tokens_in_the_query_string_are_denied_without_failing(
    data: st.DataObject, ws_authorizer: Invoke, aws: Aws
) -> None:
    valid = aws.token_for("user_7f3a")
    token = data.draw(
        st.one_of(
            st.none(),
            token_shaped(),
            altered(valid),
            nasty_text(300),
            huge_text(),
            json_values().map(json.dumps),
        )
    )
    event = authorizer_event(
        connection_id=new_connection_id(),
        request_time_ms=now_ms(),
        query={"quiz_id": "quiz_1", "token": token},
    )

    result = ws_authorizer(event)

    (statement,) = result["policyDocument"]["Statement"]
    assert (statement["Effect"], result["principalId"]) == ("Deny", "anonymous")
    assert "context" not in result


# ---------------------------------------------------------------- WebSocket messages

ACTIONS = ("answer", "next", "leaderboard", "state", "ping", "dance", "")


@pytest.fixture
def message_bodies(quiz: SeededQuiz) -> st.SearchStrategy[str | None]:
    question_ids = [q.question_id for q in quiz.questions]
    return hostile_bodies(
        {
            "action": st.one_of(st.sampled_from(ACTIONS), nasty_text()),
            "question_id": st.one_of(st.sampled_from(question_ids), nasty_text()),
            "choice": st.one_of(st.integers(-3, 9), json_values(3)),
            "user_id": st.sampled_from(quiz.user_ids),
            "quiz_id": st.one_of(st.just(quiz.quiz_id), nasty_text()),
        }
    )


@pytest.fixture
def player_connection(
    quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws, gone_api: FakeManagementApi
) -> str:
    """The first player's connection, with the first question in front of them."""
    quiz_db.serve(quiz, quiz.user_ids[0], 0, quiz.during_ms)
    return connect(aws, quiz, quiz.user_ids[0])


@pytest.fixture
def other_connection(quiz: SeededQuiz, aws: Aws, gone_api: FakeManagementApi) -> str:
    """Another player's connection, which must hear nothing of the first player's messages."""
    return connect(aws, quiz, quiz.user_ids[1])


@pytest.fixture
def seconds(quiz: SeededQuiz) -> Iterator[int]:
    """One new second per message, so the rate limit never decides an example."""
    return itertools.count(quiz.during_ms, 1000)


@fuzz(900)
@given(data=st.data())
def test_hostile_messages_get_a_reply_with_a_type_and_only_accepted_ones_write(
    data: st.DataObject,
    ws_message: Invoke,
    message_bodies: st.SearchStrategy[str | None],
    player_connection: str,
    other_connection: str,
    gone_api: FakeManagementApi,
    checksums: Checksums,
    seconds: Iterator[int],
) -> None:
    body = data.draw(message_bodies)
    before = len(gone_api.messages_to(player_connection))

    response = send(ws_message, player_connection, next(seconds), body if body else "")

    assert response == {"statusCode": 200}
    replies = gone_api.messages_to(player_connection)[before:]
    assert replies, "every message gets an answer"
    for reply in replies:
        assert isinstance(reply.get("type"), str), reply
        if reply["type"] == "error":
            assert isinstance(reply.get("code"), str), reply
            assert reply["code"] not in SERVER_ERRORS, reply
    refused = any(reply["type"] == "error" for reply in replies)
    changed = checksums.changed()
    assert not (refused and changed), replies
    # Nothing a player sends reaches another player directly.
    assert gone_api.messages_to(other_connection) == []
