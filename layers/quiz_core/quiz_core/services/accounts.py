"""Logging in, and checking that a token names the user a request acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from quiz_core.errors import Forbidden, InvalidCredentials, Unauthorized
from quiz_core.security.passwords import hash_password, verify_password
from quiz_core.security.tokens import InvalidToken, TokenClaims, issue_token, verify_token
from quiz_core.storage.quiz_repository import QuizRepository


@dataclass(frozen=True)
class Login:
    user_id: str
    username: str
    token: str
    expires_at: int


def log_in(
    repository: QuizRepository,
    username: str,
    password: str,
    secret: bytes,
    now: int,
    ttl_seconds: int,
) -> Login:
    """A token for the user whose password this is; InvalidCredentials otherwise.

    An unknown username costs the same hash as a wrong password, so response times do
    not tell which usernames exist.
    """
    found = repository.transaction(lambda store: store.credentials(username))
    encoded = found[1] if found else _unknown_user_hash()
    if not verify_password(password, encoded) or found is None:
        raise InvalidCredentials()

    user_id = found[0]
    token = issue_token(user_id, secret, now, ttl_seconds)
    return Login(user_id=user_id, username=username, token=token, expires_at=now + ttl_seconds)


def bearer_token(event: dict[str, Any]) -> str:
    """The token of an HTTP event's ``Authorization: Bearer <token>``; Unauthorized if none."""
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    scheme, _, token = str(headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def claims_of(token: str, secret: bytes, now: datetime | int) -> TokenClaims:
    """The claims of a valid token; Unauthorized (saying whether it expired) otherwise."""
    seconds = int(now.timestamp()) if isinstance(now, datetime) else now
    try:
        return verify_token(token, secret, seconds)
    except InvalidToken as exc:
        raise Unauthorized(expired=exc.expired, presented=True) from exc


def ensure_acting_as(claims: TokenClaims, user_id: str) -> None:
    if claims.user_id != user_id:
        raise Forbidden(user_id)


@cache
def _unknown_user_hash() -> str:
    return hash_password("not the password of any user")
