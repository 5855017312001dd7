"""Scratch PostgreSQL databases for integration tests.

Point ``TEST_DATABASE_ADMIN_URL`` (or, failing that, ``DATABASE_URL``) at a server where
the user may create databases, such as ``postgresql://postgres@127.0.0.1:5432/postgres``.
The database named in the URL only serves to create and drop uniquely named scratch
databases; nothing is written to it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from quiz_core.config import DATABASE_URL
from quiz_core.storage.migrate import apply_migrations

ADMIN_URL_VARIABLES = ("TEST_DATABASE_ADMIN_URL", DATABASE_URL)

# The shared assertions of the handler tests report values as the tests' own do.
pytest.register_assert_rewrite("tests.integration.handlers.harness")


@pytest.fixture(scope="session")
def admin_database_url() -> str:
    for name in ADMIN_URL_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    pytest.fail(
        "integration tests need PostgreSQL: set TEST_DATABASE_ADMIN_URL (or DATABASE_URL)"
        " to a server where this user may create databases, for example"
        " postgresql://postgres@127.0.0.1:5432/postgres",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def database_url(admin_database_url: str) -> Iterator[str]:
    """A freshly migrated database for the tests of one module, dropped afterwards."""
    with scratch_database(admin_database_url) as url:
        apply_migrations(url)
        yield url


@pytest.fixture
def empty_database_url(admin_database_url: str) -> Iterator[str]:
    """A database with no tables at all, for one test."""
    with scratch_database(admin_database_url) as url:
        yield url


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """Creates a uniquely named database, yields its conninfo, then drops it."""
    name = f"quiz_test_{secrets.token_hex(6)}"
    create = sql.SQL("CREATE DATABASE {}")
    _run_as_admin(admin_url, create.format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin_url, dbname=name)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _run_as_admin(admin_url, drop.format(sql.Identifier(name)))


def _run_as_admin(admin_url: str, statement: sql.Composed) -> None:
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(statement)
    except psycopg.OperationalError as exc:
        # The URL is left out of the message: it may hold a password.
        pytest.fail(
            f"could not use the PostgreSQL URL in {' or '.join(ADMIN_URL_VARIABLES)}"
            f" to create or drop a scratch database: {exc}",
            pytrace=False,
        )
