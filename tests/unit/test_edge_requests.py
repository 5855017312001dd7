"""Typed requests from untrusted input: quiz_core.edge.requests, and WebSocket bodies."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given

from quiz_core.edge.requests import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    LoginRequest,
    http_body,
    json_object,
    login_request,
    text_field,
)
from quiz_core.edge.websocket import parse_body
from quiz_core.errors import InvalidRequest
from tests.support.fuzz import FUZZ, hostile_bodies, nasty_text


def _refusal(call: Callable[..., object], *args: Any, **kwargs: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as refused:
        call(*args, **kwargs)
    return refused.value


def _login(body: str | None, *, encoded: bool = False) -> LoginRequest:
    return login_request({"body": body, "isBase64Encoded": encoded})


def test_a_login_body_becomes_a_typed_request() -> None:
    body = json.dumps({"username": "john_doe", "password": "pass word 123"})

    assert _login(body) == LoginRequest("john_doe", "pass word 123")


def test_a_base64_encoded_body_is_decoded_first() -> None:
    body = json.dumps({"username": "jörg", "password": "ünïcode"}).encode()

    assert _login(base64.b64encode(body).decode(), encoded=True) == LoginRequest("jörg", "ünïcode")


@pytest.mark.parametrize(
    "body",
    ["not base64!", base64.b64encode(b"\xff\xfe not utf-8").decode()],
    ids=["not base64", "not UTF-8"],
)
def test_a_base64_body_that_does_not_decode_to_text_is_refused(body: str) -> None:
    assert "UTF-8" in _refusal(_login, body, encoded=True).message


def _http_object(text: str, encode: bool) -> dict[str, Any]:
    body = base64.b64encode(text.encode()).decode() if encode else text
    return json_object(http_body({"body": body, "isBase64Encoded": encode}))


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_the_size_is_checked_before_parsing(encode: bool) -> None:
    # Not JSON at all, but too long: the complaint is the size, so nothing was parsed.
    oversized = "[" * (MAX_BODY_BYTES + 1)

    assert "larger than 4096 bytes" in _refusal(_http_object, oversized, encode).message


def test_a_base64_body_far_over_the_limit_is_refused_before_decoding() -> None:
    event = {"body": "A" * (MAX_BODY_BYTES * 2 + 4), "isBase64Encoded": True}

    assert "larger than" in _refusal(http_body, event).message


def test_the_size_limit_counts_bytes_not_characters() -> None:
    body = json.dumps({"p": "é" * (MAX_BODY_BYTES // 2 + 10)}, ensure_ascii=False)

    assert len(body) < MAX_BODY_BYTES < len(body.encode())
    assert "larger than" in _refusal(json_object, body).message


def test_a_body_of_exactly_the_size_limit_is_parsed() -> None:
    frame = json.dumps({"p": ""})
    body = json.dumps({"p": "x" * (MAX_BODY_BYTES - len(frame))})

    assert len(body.encode()) == MAX_BODY_BYTES
    assert json_object(body)["p"].startswith("x")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"username": "a", "username": "b"}', "username"),
        ('{"a": {"b": 1, "b": 2}}', "b"),
        ('{"a": [{"c": 1, "c": 1}]}', "c"),
        ('{"\\u0000": 1, "\\u0000": 2}', "\\x00"),
        ('{"\\ud800": 1, "\\ud800": 2}', "\\ud800"),
    ],
    ids=["top level", "nested", "inside a list", "control character", "lone surrogate"],
)
def test_a_duplicated_key_anywhere_is_refused_naming_a_printable_field(
    body: str, field: str
) -> None:
    refused = _refusal(json_object, body)

    assert "appears twice" in refused.message
    assert refused.details == {"field": field}
    assert refused.details["field"].isprintable()
    refused.details["field"].encode("utf-8")


def _nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_nesting_up_to_the_limit_is_accepted_and_one_level_more_is_refused() -> None:
    assert json_object(_nested(MAX_DEPTH))
    assert f"deeper than {MAX_DEPTH}" in _refusal(json_object, _nested(MAX_DEPTH + 1)).message
    assert "deeper" in _refusal(json_object, '{"a": ' + "[" * 9 + "]" * 9 + "}").message


def test_the_deepest_nesting_that_fits_the_size_limit_is_refused() -> None:
    depth = (MAX_BODY_BYTES - len('{"a":}')) // 2
    body = '{"a":' + "[" * depth + "]" * depth + "}"
    assert len(body) == MAX_BODY_BYTES

    # Refused as too deep, or as invalid JSON should the parser's recursion give up first.
    message = _refusal(json_object, body).message
    assert "deeper than" in message or "not valid JSON" in message


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (None, "empty"),
        ("", "empty"),
        ("[]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("1", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("{", "not valid JSON"),
        ("{'a': 1}", "not valid JSON"),
        ('{"a": NaN}', "not valid JSON"),
        ('{"a": -Infinity}', "not valid JSON"),
        ('{"a": 1} {"b": 2}', "not valid JSON"),
    ],
    ids=[
        "none",
        "empty",
        "array",
        "string",
        "number",
        "null",
        "truncated",
        "single quotes",
        "NaN",
        "infinity",
        "two objects",
    ],
)
def test_anything_but_one_json_object_is_refused(body: str | None, complaint: str) -> None:
    assert complaint in _refusal(json_object, body).message


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (None, "is required"),
        (42, "must be a string"),
        (True, "must be a string"),
        (["a"], "must be a string"),
        ({"a": 1}, "must be a string"),
        ("", "1 to 10 characters"),
        ("x" * 11, "1 to 10 characters"),
        ("a\x00b", "control characters"),
        ("a\nb", "control characters"),
        ("a\tb", "control characters"),
        ("a\x7fb", "control characters"),
        ("a\u2028b", "control characters"),
        ("a\u202eb", "control characters"),
        ("\ud800", "control characters"),
    ],
    ids=[
        "missing",
        "number",
        "boolean",
        "list",
        "object",
        "empty",
        "too long",
        "null byte",
        "newline",
        "tab",
        "delete",
        "line separator",
        "bidi override",
        "lone surrogate",
    ],
)
def test_a_text_field_of_the_wrong_type_or_content_is_refused_naming_it(
    value: Any, complaint: str
) -> None:
    payload = {"name": value} if value is not None else {}
    refused = _refusal(text_field, payload, "name", max_length=10)

    assert complaint in refused.message
    assert refused.details == {"field": "name"}


def test_a_text_field_takes_printable_unicode_up_to_its_length() -> None:
    assert text_field({"name": "Zoë 𝕦 ok"}, "name", max_length=10) == "Zoë 𝕦 ok"


@pytest.mark.parametrize(
    "body",
    ['{"action": "ping", "action": "state"}', '{"action": "ping", "x": ' + "[" * 9 + "]" * 9 + "}"],
    ids=["duplicated key", "nested too deep"],
)
def test_a_websocket_message_follows_the_same_rules_as_an_http_body(body: str) -> None:
    refused = _refusal(parse_body, body)

    assert refused.code == "invalid_request"


def test_a_websocket_message_with_lone_surrogates_is_refused_without_breaking() -> None:
    refused = _refusal(parse_body, "\ud800" * 3000)

    assert "larger than" in refused.message or "not valid JSON" in refused.message


@FUZZ
@given(hostile_bodies({"username": nasty_text(), "password": nasty_text()}))
def test_any_login_body_is_a_login_request_or_an_invalid_request(body: str | None) -> None:
    try:
        request = _login(body)
    except InvalidRequest as refused:
        # What goes back to the client can always be encoded.
        json.dumps(refused.details, ensure_ascii=False).encode("utf-8")
        refused.message.encode("utf-8")
        return
    assert request.username.isprintable()
    assert request.password.isprintable()
    assert 1 <= len(request.username) <= 100
    assert 1 <= len(request.password) <= 200


@FUZZ
@given(hostile_bodies({"action": nasty_text(), "question_id": nasty_text()}))
def test_any_websocket_message_is_one_small_object_or_an_invalid_request(
    body: str | None,
) -> None:
    try:
        payload = parse_body(body)
    except InvalidRequest as refused:
        json.dumps(refused.details, ensure_ascii=False).encode("utf-8")
        return
    assert isinstance(payload, dict)
    assert body is not None
    assert len(body.encode("utf-8", errors="surrogatepass")) <= 4096
