from __future__ import annotations

import base64
import hashlib

import pytest

from quiz_core.security.passwords import hash_password, verify_password


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _encoding(n: int, r: int, p: int, salt: bytes, key: bytes) -> str:
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def test_a_hash_verifies_with_the_password_it_was_made_from() -> None:
    assert verify_password("password123", hash_password("password123"))


def test_a_hash_rejects_any_other_password() -> None:
    encoded = hash_password("password123")

    assert not verify_password("password124", encoded)
    assert not verify_password("", encoded)
    assert not verify_password("PASSWORD123", encoded)


def test_a_hash_names_its_algorithm_and_parameters_and_hides_the_password() -> None:
    encoded = hash_password("P@ssw0rd!")

    algorithm, params, salt, key = encoded.split("$")
    assert (algorithm, params) == ("scrypt", "n=16384,r=8,p=1")
    assert len(base64.b64decode(salt + "==")) == 16
    assert "P@ssw0rd!" not in encoded
    assert key


def test_hashing_the_same_password_twice_uses_fresh_salts() -> None:
    assert hash_password("sunshine321") != hash_password("sunshine321")


def test_non_ascii_passwords_round_trip() -> None:
    encoded = hash_password("pässwörd-密码")

    assert verify_password("pässwörd-密码", encoded)
    assert not verify_password("passwort-密码", encoded)


def test_verification_uses_the_parameters_stored_in_the_encoding() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"blueSky!23", salt=salt, n=1024, r=4, p=2, dklen=24)

    assert verify_password("blueSky!23", _encoding(1024, 4, 2, salt, key))


def test_a_tampered_key_is_rejected() -> None:
    head, key = hash_password("hunter2good").rsplit("$", 1)
    flipped = "A" if key[0] != "A" else "B"

    assert not verify_password("hunter2good", f"{head}${flipped}{key[1:]}")


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "password123",
        "scrypt",
        "scrypt$n=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA",
        "scrypt$n=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5$extra",
        "bcrypt$n=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$r=8,n=16384,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$n=16384,r=8$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$n=16384,r=8,p=1$not*base64!$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$n=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a",
        "scrypt$n=16384,r=8,p=1$$a2V5a2V5a2V5a2V5a2V5a2V5",
        " scrypt$n=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5",
    ],
    ids=[
        "empty",
        "plaintext",
        "algorithm only",
        "no key",
        "extra field",
        "other algorithm",
        "parameters out of order",
        "missing parameter",
        "salt not base64",
        "key not valid base64",
        "empty salt",
        "leading space",
    ],
)
def test_malformed_encodings_are_rejected(encoded: str) -> None:
    assert not verify_password("password123", encoded)


@pytest.mark.parametrize(
    ("n", "r", "p"),
    [(1000, 8, 1), (1, 8, 1), (2**20, 8, 1), (16384, 8, 64)],
    ids=["n not a power of two", "n too small", "memory too large", "p too large"],
)
def test_unsafe_or_invalid_cost_parameters_are_rejected(n: int, r: int, p: int) -> None:
    encoded = _encoding(n, r, p, b"0123456789abcdef", bytes(32))

    assert not verify_password("password123", encoded)


def test_a_key_outside_the_accepted_lengths_is_rejected() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"abcDEF123", salt=salt, n=1024, r=8, p=1, dklen=8)

    assert not verify_password("abcDEF123", _encoding(1024, 8, 1, salt, key))
