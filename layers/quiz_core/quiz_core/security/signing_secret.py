"""The token signing secret, from Secrets Manager through Powertools, cached."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

# A rotated secret reaches every warm function within this many seconds.
SECRET_CACHE_SECONDS = 300
MIN_SECRET_BYTES = 32


class SigningSecretError(Exception):
    """The signing secret is missing or too short to be safe."""


def signing_secret(secret_id: str) -> bytes:
    value = parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS)
    raw = value.encode() if isinstance(value, str) else bytes(value)
    if len(raw) < MIN_SECRET_BYTES:
        raise SigningSecretError(
            f"the token signing secret {secret_id!r} has {len(raw)} bytes; "
            f"it needs at least {MIN_SECRET_BYTES}"
        )
    return raw
