"""Credentials: password hashing for the users table."""

from __future__ import annotations

from quiz_core.security.passwords import hash_password, verify_password

__all__ = ["hash_password", "verify_password"]
