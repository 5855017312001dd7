"""Password hashes with scrypt from the standard library.

A hash is stored as one self-describing string,
``scrypt$n=16384,r=8,p=1$<salt>$<key>``, salt and key in unpadded standard base64.
Verification reads the cost parameters from the string itself, so raising them later
only affects new hashes; the old ones keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32

# Bounds for parameters read back from a stored string, so a corrupted or hostile row
# cannot make verification allocate gigabytes or spin for minutes.
_MAX_MEMORY_BYTES = 64 * 1024 * 1024
_MAX_P = 4
_KEY_LENGTHS = range(16, 65)

_ENCODED = re.compile(
    r"scrypt\$n=(?P<n>[1-9]\d{0,9}),r=(?P<r>[1-9]\d{0,3}),p=(?P<p>[1-9]\d{0,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<key>[A-Za-z0-9+/]+)",
    re.ASCII,
)


@dataclass(frozen=True)
class _Encoded:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``, ready to store."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    params = f"n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}"
    return f"scrypt${params}${_b64encode(salt)}${_b64encode(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``; False if ``encoded`` is malformed."""
    found = _decode(encoded)
    if found is None:
        return False

    try:
        key = _derive(password, found.salt, found.n, found.r, found.p, len(found.key))
    except ValueError:
        return False
    return hmac.compare_digest(key, found.key)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=length,
        maxmem=_MAX_MEMORY_BYTES + 1024 * 1024,
    )


def _decode(encoded: str) -> _Encoded | None:
    match = _ENCODED.fullmatch(encoded)
    if match is None:
        return None

    n, r, p = int(match["n"]), int(match["r"]), int(match["p"])
    salt, key = _b64decode(match["salt"]), _b64decode(match["key"])
    if salt is None or key is None or not _acceptable(n, r, p, key):
        return None
    return _Encoded(n=n, r=r, p=p, salt=salt, key=key)


def _acceptable(n: int, r: int, p: int, key: bytes) -> bool:
    power_of_two = n > 1 and n & (n - 1) == 0
    within_memory = 128 * n * r <= _MAX_MEMORY_BYTES
    return power_of_two and within_memory and p <= _MAX_P and len(key) in _KEY_LENGTHS


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes | None:
    if len(text) % 4 == 1:
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        return None
