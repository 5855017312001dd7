"""Signed, expiring access tokens: compact JWTs signed with HMAC-SHA256 (HS256).

A token names one user (``sub``) until ``exp``. Anything else about it (a wrong signature,
another algorithm, a malformed part, a missing claim) makes it invalid; the reason is kept
for the logs, never shown to the client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

ISSUER = "quiz-backend"
DEFAULT_TTL_SECONDS = 3600
_HEADER = {"alg": "HS256", "typ": "JWT"}
# A token longer than this is refused before any decoding.
MAX_TOKEN_LENGTH = 2048


class InvalidToken(Exception):
    """The token is not one this service issued, or is no longer valid."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    issued_at: int
    expires_at: int


def issue_token(
    user_id: str, secret: bytes, now: int, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> str:
    claims = {"sub": user_id, "iat": now, "exp": now + ttl_seconds, "iss": ISSUER}
    signing_input = f"{_encode_part(_HEADER)}.{_encode_part(claims)}"
    return f"{signing_input}.{_b64url(_sign(secret, signing_input))}"


def verify_token(token: str, secret: bytes, now: int) -> TokenClaims:
    """The claims of a valid token; raises InvalidToken otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("empty or oversized token")
    if not token.isascii():
        # The signing input is ASCII by construction; anything else is not ours.
        raise InvalidToken("not ASCII")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not three dot-separated parts")
    header_part, claims_part, signature_part = parts

    expected = _sign(secret, f"{header_part}.{claims_part}")
    if not hmac.compare_digest(expected, _b64url_decode(signature_part)):
        raise InvalidToken("bad signature")
    if _decode_part(header_part) != _HEADER:
        raise InvalidToken("unexpected header")
    return _claims(_decode_part(claims_part), now)


def _claims(claims: object, now: int) -> TokenClaims:
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER:
        raise InvalidToken("unexpected claims")
    user_id, issued_at, expires_at = claims.get("sub"), claims.get("iat"), claims.get("exp")
    if not isinstance(user_id, str) or not user_id:
        raise InvalidToken("no subject")
    if not isinstance(issued_at, int) or not isinstance(expires_at, int):
        raise InvalidToken("times are not whole numbers")
    if now >= expires_at:
        raise InvalidToken("expired", expired=True)
    return TokenClaims(user_id=user_id, issued_at=issued_at, expires_at=expires_at)


def _sign(secret: bytes, signing_input: str) -> bytes:
    return hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()


def _encode_part(value: Mapping[str, object]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def _decode_part(part: str) -> object:
    try:
        return json.loads(_b64url_decode(part))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("a part is not JSON") from None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """Strict: one spelling per value, so a token cannot be altered and stay valid."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidToken("a part is not base64url") from None
    if _b64url(raw) != text:
        raise InvalidToken("a part is not canonical base64url")
    return raw
