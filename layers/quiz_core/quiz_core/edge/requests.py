"""Typed requests parsed from untrusted input, with a field-level reason for every refusal.

Everything a client sends passes through here before any work is done: sizes are checked
before parsing, JSON must be one object without duplicated keys or deep nesting, and each
field has a declared type and bounds.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from quiz_core.errors import InvalidRequest

MAX_BODY_BYTES = 4096
MAX_DEPTH = 8


@dataclass(frozen=True)
class LoginRequest:
    username: str
    password: str


def login_request(event: dict[str, Any]) -> LoginRequest:
    payload = json_object(http_body(event))
    return LoginRequest(
        username=text_field(payload, "username", max_length=100),
        password=text_field(payload, "password", max_length=200),
    )


def http_body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(body) > MAX_BODY_BYTES * 2:
            raise InvalidRequest(f"The body is larger than {MAX_BODY_BYTES} bytes")
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest("The body is not UTF-8 text") from None
    return str(body)


def json_object(
    text: str | None, max_bytes: int = MAX_BODY_BYTES, what: str = "body"
) -> dict[str, Any]:
    """The text as one JSON object, or InvalidRequest saying what is wrong with it.

    ``what`` names the text in the refusals ("body", "message").
    """
    if not text:
        raise InvalidRequest(f"The {what} is empty; send a JSON object")
    if len(text.encode("utf-8", errors="surrogatepass")) > max_bytes:
        raise InvalidRequest(f"The {what} is larger than {max_bytes} bytes")
    try:
        payload = json.loads(
            text, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant
        )
    except _DuplicateKey as exc:
        raise InvalidRequest(f"The key {exc.key!r} appears twice", field=exc.field) from None
    except (ValueError, RecursionError):
        raise InvalidRequest(f"The {what} is not valid JSON") from None
    if not isinstance(payload, dict):
        raise InvalidRequest(f"The {what} must be a JSON object")
    if _depth(payload) > MAX_DEPTH:
        raise InvalidRequest(f"The JSON is nested deeper than {MAX_DEPTH} levels")
    return payload


def text_field(payload: dict[str, Any], name: str, *, max_length: int) -> str:
    value = payload.get(name)
    if value is None:
        raise InvalidRequest(f"{name} is required", field=name)
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string", field=name)
    if not 1 <= len(value) <= max_length:
        raise InvalidRequest(f"{name} must be 1 to {max_length} characters", field=name)
    if "\x00" in value or not value.isprintable():
        raise InvalidRequest(f"{name} must not contain control characters", field=name)
    return value


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key[:40]
        # The field goes back to the client as it is: a key with control characters or lone
        # surrogates (which cannot be encoded as UTF-8) is named by its escaped spelling.
        self.field = self.key if self.key.isprintable() else ascii(self.key)[1:-1]


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON, though Python's parser takes them by default."""
    raise ValueError(f"{name} is not a JSON value")


def _depth(value: object) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            pending.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            pending.extend((child, level + 1) for child in node)
    return deepest
