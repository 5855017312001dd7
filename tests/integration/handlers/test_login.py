"""POST /login through the login handler: a username and password in, a token out."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from quiz_core.security.tokens import verify_token
from tests.integration.handlers.harness import (
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    now_ms,
    username,
)
from tests.support.events import login_event

PASSWORD = "correct horse battery staple"


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed(players=1, password=PASSWORD)


def _log_in(login: Invoke, body: dict[str, Any] | str | None) -> tuple[int, dict[str, Any]]:
    response = login(login_event(body, time_ms=now_ms()))
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_the_right_password_gives_a_token_for_that_user(
    login: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    user_id = quiz.user_ids[0]
    before = now_ms() // 1000

    status, body = _log_in(login, {"username": username(user_id), "password": PASSWORD})

    assert status == 200
    assert (body["user_id"], body["username"], body["token_type"]) == (
        user_id,
        username(user_id),
        "Bearer",
    )
    claims = verify_token(body["token"], aws.token_secret.encode(), now_ms() // 1000)
    assert claims.user_id == user_id
    # The template's default lifetime, an hour.
    assert before + 3600 <= body["expires_at"] == claims.expires_at <= now_ms() // 1000 + 3600


def test_a_base64_encoded_body_is_read_like_a_plain_one(login: Invoke, quiz: SeededQuiz) -> None:
    text = json.dumps({"username": username(quiz.user_ids[0]), "password": PASSWORD})
    event = login_event(base64.b64encode(text.encode()).decode(), time_ms=now_ms())
    event["isBase64Encoded"] = True

    assert login(event)["statusCode"] == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_reply(
    login: Invoke, quiz: SeededQuiz
) -> None:
    wrong_password = _log_in(login, {"username": username(quiz.user_ids[0]), "password": "no"})
    unknown_user = _log_in(login, {"username": "nobody at all", "password": "no"})
    right_password_other_case = _log_in(
        login, {"username": username(quiz.user_ids[0]).upper(), "password": PASSWORD}
    )

    assert wrong_password == unknown_user == right_password_other_case
    assert wrong_password[0] == 401
    assert wrong_password[1]["code"] == "invalid_credentials"
    assert "token" not in wrong_password[1]


def test_an_account_without_a_usable_password_cannot_log_in(
    login: Invoke, quiz_db: QuizDatabase
) -> None:
    locked = quiz_db.seed(players=1)

    status, body = _log_in(login, {"username": username(locked.user_ids[0]), "password": ""})
    again = _log_in(login, {"username": username(locked.user_ids[0]), "password": "unusable"})

    assert (status, body["code"]) == (400, "invalid_request")
    assert again[0] == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "someone"}, "password"),
        ({"username": None, "password": PASSWORD}, "username"),
        ({"username": 42, "password": PASSWORD}, "username"),
        ({"username": ["someone"], "password": PASSWORD}, "username"),
        ({"username": "someone", "password": {"value": PASSWORD}}, "password"),
        ({"username": "someone", "password": True}, "password"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": "x" * 101, "password": PASSWORD}, "username"),
        ({"username": "someone", "password": "p" * 201}, "password"),
        ({"username": "some\x00one", "password": PASSWORD}, "username"),
        ({"username": "some\none", "password": PASSWORD}, "username"),
        ({"username": "someone", "password": "pass\x07word"}, "password"),
        ({"username": "someone", "password": "pass\u202eword"}, "password"),
        ('{"username": "a", "username": "b", "password": "c"}', "username"),
    ],
    ids=[
        "no username",
        "no password",
        "null username",
        "number username",
        "list username",
        "object password",
        "boolean password",
        "empty username",
        "long username",
        "long password",
        "null byte",
        "newline",
        "bell",
        "bidi override",
        "duplicated key",
    ],
)
def test_a_malformed_field_is_a_bad_request_naming_the_field(
    body: dict[str, Any] | str, field: str, login: Invoke, quiz: SeededQuiz
) -> None:
    status, reply = _log_in(login, body)

    assert (status, reply["code"], reply["field"]) == (400, "invalid_request", field)


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "not json",
        "[]",
        '"username"',
        "null",
        '{"username": "a", "password": "b"',
        "{" * 20 + "}" * 20,
        json.dumps({"username": "a", "password": "b", "pad": "x" * 5000}),
        json.dumps({"username": "a", "password": "b", "deep": [[[[[[[[["x"]]]]]]]]]}),
    ],
    ids=[
        "no body",
        "empty",
        "not JSON",
        "array",
        "string",
        "null",
        "truncated",
        "keys without values",
        "over 4 KB",
        "nested too deep",
    ],
)
def test_a_body_that_is_not_one_small_json_object_is_a_bad_request(
    body: str | None, login: Invoke, quiz: SeededQuiz
) -> None:
    status, reply = _log_in(login, body)

    assert (status, reply["code"]) == (400, "invalid_request")
    assert reply["message"]
