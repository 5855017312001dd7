"""What a quiz, user or question id may look like, checked before any lookup."""

from __future__ import annotations

import re

from quiz_core.errors import InvalidRequest

_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def ensure_identifier(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string", field=field)
    if not _IDENTIFIER.fullmatch(value):
        raise InvalidRequest(f"{field} must be 1 to 64 letters, digits, '-' or '_'", field=field)
    return value
