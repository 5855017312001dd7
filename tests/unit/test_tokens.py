"""Access tokens: quiz_core.security.tokens issues HS256 JWTs and refuses anything else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz_core.security.tokens import (
    ISSUER,
    MAX_TOKEN_LENGTH,
    InvalidToken,
    TokenClaims,
    issue_token,
    verify_token,
)
from tests.support.fuzz import FUZZ, altered, nasty_text, token_shaped

SECRET = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
NOW = 1_732_870_650


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _part(value: Any) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _signed(header: Any, claims: Any, secret: bytes = SECRET) -> str:
    """A token of our own making, signed correctly, whatever it says."""
    signing_input = f"{_part(header)}.{_part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


HEADER = {"alg": "HS256", "typ": "JWT"}
CLAIMS = {"sub": "1a2b3c", "iat": NOW, "exp": NOW + 3600, "iss": ISSUER}


def _reason(token: str, now: int = NOW + 60, secret: bytes = SECRET) -> str:
    with pytest.raises(InvalidToken) as refused:
        verify_token(token, secret, now)
    return refused.value.reason


def test_an_issued_token_verifies_as_its_user_until_it_expires() -> None:
    token = issue_token("1a2b3c", SECRET, NOW, ttl_seconds=600)

    assert verify_token(token, SECRET, NOW) == TokenClaims("1a2b3c", NOW, NOW + 600)
    assert verify_token(token, SECRET, NOW + 599).user_id == "1a2b3c"


def test_an_issued_token_is_a_compact_jwt_of_the_documented_shape() -> None:
    header, claims, signature = issue_token("1a2b3c", SECRET, NOW).split(".")

    assert json.loads(base64.urlsafe_b64decode(header + "==")) == HEADER
    assert json.loads(base64.urlsafe_b64decode(claims + "==")) == CLAIMS
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32
    assert "=" not in f"{header}{claims}{signature}"


def test_a_token_made_the_same_way_elsewhere_verifies() -> None:
    assert verify_token(_signed(HEADER, CLAIMS), SECRET, NOW).user_id == "1a2b3c"


def test_a_token_at_its_expiry_time_is_expired() -> None:
    token = issue_token("1a2b3c", SECRET, NOW, ttl_seconds=600)

    with pytest.raises(InvalidToken) as refused:
        verify_token(token, SECRET, NOW + 600)

    assert refused.value.expired
    assert refused.value.reason == "expired"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token("1a2b3c", b"another secret of enough length, 32+ bytes", NOW)

    assert _reason(token) == "bad signature"


@pytest.mark.parametrize("part", [0, 1, 2], ids=["header", "claims", "signature"])
def test_a_tampered_part_is_refused(part: int) -> None:
    parts = issue_token("1a2b3c", SECRET, NOW).split(".")
    parts[part] = ("A" if parts[part][0] != "A" else "B") + parts[part][1:]

    assert _reason(".".join(parts)) in ("bad signature", "a part is not canonical base64url")


def test_claims_swapped_in_from_another_users_token_are_refused() -> None:
    mine = issue_token("1a2b3c", SECRET, NOW).split(".")
    theirs = issue_token("4d5e6f", SECRET, NOW).split(".")

    assert _reason(f"{mine[0]}.{theirs[1]}.{mine[2]}") == "bad signature"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "typ": "JWT"},
        {"alg": "HS512", "typ": "JWT"},
        {"alg": "RS256", "typ": "JWT"},
        {"alg": "HS256"},
        {"alg": "HS256", "typ": "JWT", "kid": "other"},
        ["HS256"],
    ],
    ids=["none", "HS512", "RS256", "no typ", "extra kid", "not an object"],
)
def test_a_correctly_signed_token_with_another_header_is_refused(header: Any) -> None:
    assert _reason(_signed(header, CLAIMS)) == "unexpected header"


def test_an_unsigned_token_is_refused() -> None:
    unsigned = f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(CLAIMS)}."

    assert _reason(unsigned) == "bad signature"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({k: v for k, v in CLAIMS.items() if k != "sub"}, "no subject"),
        ({**CLAIMS, "sub": ""}, "no subject"),
        ({**CLAIMS, "sub": 42}, "no subject"),
        ({k: v for k, v in CLAIMS.items() if k != "exp"}, "times are not whole numbers"),
        ({**CLAIMS, "exp": "never"}, "times are not whole numbers"),
        ({**CLAIMS, "exp": NOW + 3600.5}, "times are not whole numbers"),
        ({k: v for k, v in CLAIMS.items() if k != "iat"}, "times are not whole numbers"),
        ({k: v for k, v in CLAIMS.items() if k != "iss"}, "unexpected claims"),
        ({**CLAIMS, "iss": "someone-else"}, "unexpected claims"),
        (["1a2b3c"], "unexpected claims"),
    ],
    ids=[
        "no sub",
        "empty sub",
        "number sub",
        "no exp",
        "text exp",
        "fractional exp",
        "no iat",
        "no iss",
        "other iss",
        "not an object",
    ],
)
def test_a_correctly_signed_token_with_missing_or_odd_claims_is_refused(
    claims: Any, reason: str
) -> None:
    assert _reason(_signed(HEADER, claims)) == reason


def test_an_oversized_token_is_refused_before_any_decoding() -> None:
    huge = _signed(HEADER, {**CLAIMS, "pad": "x" * MAX_TOKEN_LENGTH})

    assert _reason(huge) == "empty or oversized token"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "empty or oversized token"),
        ("abc", "not three dot-separated parts"),
        ("a.b", "not three dot-separated parts"),
        ("a.b.c.d", "not three dot-separated parts"),
        ("é.b.c", "not ASCII"),
        ("a.b.\x00", "a part is not base64url"),
        ("a.b.c", "a part is not base64url"),
        ("a.b.c+/", "a part is not canonical base64url"),
    ],
)
def test_a_token_of_the_wrong_shape_is_refused(token: str, reason: str) -> None:
    assert _reason(token) == reason


def test_a_non_canonical_spelling_of_the_signature_is_refused() -> None:
    token = issue_token("1a2b3c", SECRET, NOW)
    header, claims, signature = token.split(".")
    # 32 bytes take 43 characters; the last one carries 2 unused bits, which a lenient
    # decoder ignores, so another last character would decode to the same signature.
    assert len(signature) == 43
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(signature[-1]) ^ 1]
    variants = [f"{signature[:-1]}{twin}", f"{signature}=", signature.replace("-", "+")]

    for variant in {v for v in variants if v != signature}:
        assert _reason(f"{header}.{claims}.{variant}") in (
            "a part is not canonical base64url",
            "a part is not base64url",
        )


def test_padding_in_a_part_is_refused() -> None:
    header, claims, signature = issue_token("1a2b3c", SECRET, NOW).split(".")

    # Padding changes what was signed, or is a second spelling of the signature.
    assert _reason(f"{header}==.{claims}.{signature}") == "bad signature"
    assert _reason(f"{header}.{claims}.{signature}=") == "a part is not canonical base64url"


@FUZZ
@given(st.one_of(st.text(max_size=300), nasty_text(300), token_shaped()))
def test_no_text_is_taken_for_a_token_or_breaks_verification(text: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(text, SECRET, NOW)


TOKEN = issue_token("1a2b3c", SECRET, NOW)


@FUZZ
@given(altered(TOKEN))
def test_changing_any_character_of_a_token_invalidates_it(changed: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(changed, SECRET, NOW)
