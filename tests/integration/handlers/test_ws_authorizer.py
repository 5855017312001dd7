"""The $connect REQUEST authorizer: a valid ?token= admits the connection as its user."""

from __future__ import annotations

from typing import Any

import pytest

from quiz_core.security.tokens import issue_token
from tests.integration.handlers.harness import Aws, Invoke, now_ms
from tests.support.events import authorizer_event, new_connection_id

USER_ID = "user_7f3a"


def _authorize(ws_authorizer: Invoke, token: str | None, **query: str) -> dict[str, Any]:
    event = authorizer_event(
        connection_id=new_connection_id(),
        request_time_ms=now_ms(),
        query={"quiz_id": "quiz_1", "token": token, **query},
    )
    result: dict[str, Any] = ws_authorizer(event)
    assert result["policyDocument"]["Statement"][0]["Resource"] == event["methodArn"]
    return result


def _effect(result: dict[str, Any]) -> str:
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    return str(statement["Effect"])


def test_a_valid_token_is_allowed_with_its_user_in_the_context(
    ws_authorizer: Invoke, aws: Aws
) -> None:
    result = _authorize(ws_authorizer, aws.token_for(USER_ID))

    assert _effect(result) == "Allow"
    assert result["principalId"] == USER_ID
    assert result["context"] == {"user_id": USER_ID}


def test_the_user_comes_from_the_token_not_from_the_query_string(
    ws_authorizer: Invoke, aws: Aws
) -> None:
    result = _authorize(ws_authorizer, aws.token_for(USER_ID), user_id="someone_else")

    assert result["context"] == {"user_id": USER_ID}


def _tampered_signature(token: str) -> str:
    head, _, signature = token.rpartition(".")
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "a.b.c", "<tampered>", "<expired>", "<other secret>"],
    ids=[
        "missing",
        "empty",
        "not a token",
        "three parts",
        "tampered",
        "expired",
        "signed elsewhere",
    ],
)
def test_a_missing_or_bad_token_is_denied_without_a_context(
    token: str | None, ws_authorizer: Invoke, aws: Aws
) -> None:
    sent = {
        "<tampered>": _tampered_signature(aws.token_for(USER_ID)),
        "<expired>": aws.token_for(USER_ID, issued_at=now_ms() // 1000 - 7200),
        "<other secret>": issue_token(USER_ID, b"z" * 64, now_ms() // 1000),
    }.get(str(token), token)

    result = _authorize(ws_authorizer, sent)

    assert _effect(result) == "Deny"
    assert result["principalId"] == "anonymous"
    assert "context" not in result
