"""Versioned schema migrations for PostgreSQL.

Run ``python -m quiz_core.storage.migrate``; the connection comes from ``DATABASE_URL``
unless ``--database-url`` is given, and ``--status`` lists the migrations, applying none.

Migrations are the ``migrations/NNNN_name.sql`` files shipped with this package, applied
in version order. Each runs in its own transaction, together with the row that records
it in ``schema_migrations`` (version, name, checksum, applied_at): a failed migration
leaves no trace and the ones before it stay applied. Every transaction first takes the
same transaction-level advisory lock, so concurrent runs (two deploys, two developers)
queue up and the later one finds the work done. Re-running applies nothing new.

An applied migration must never change: if the SHA-256 of its file differs from the
recorded checksum, the run stops before applying anything. Versions recorded in the
database without a file here (a newer schema than this code) are left alone. Files must
not contain transaction control (``BEGIN``, ``COMMIT``) nor statements that cannot run
inside a transaction, such as ``CREATE INDEX CONCURRENTLY``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable

import psycopg
from psycopg.rows import DictRow, dict_row

from quiz_core.config import DATABASE_URL, ConfigError, DatabaseConfig
from quiz_core.storage.database import url_from_secret

logger = logging.getLogger(__name__)

Connection = psycopg.Connection[DictRow]

# Any fixed 64-bit number works, as long as nothing else in the database locks it.
MIGRATION_LOCK_ID = 7_310_452_001_118_806_017
_MIGRATIONS_PACKAGE = "quiz_core.storage"
_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql", re.ASCII)


class MigrationError(Exception):
    """The migrations cannot be applied as they are; the message says what to fix."""


class ChecksumMismatch(MigrationError):
    """An applied migration's file has been edited since it was applied."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"


@dataclass(frozen=True)
class AppliedMigration:
    version: str
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class MigrationStatus:
    migration: Migration
    applied: AppliedMigration | None

    @property
    def state(self) -> str:
        if self.applied is None:
            return "pending"
        if self.applied.checksum != self.migration.checksum:
            return "changed"
        return "applied"


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in this package, in version order."""
    return load_migrations(resources.files(_MIGRATIONS_PACKAGE) / "migrations")


def load_migrations(directory: Traversable) -> list[Migration]:
    """Every ``NNNN_name.sql`` file of ``directory``, in version order."""
    files = [entry for entry in directory.iterdir() if entry.name.endswith(".sql")]
    migrations = sorted((_read_migration(file) for file in files), key=_version)
    _refuse_duplicate_versions(migrations)
    return migrations


def apply_migrations(conninfo: str, migrations: Sequence[Migration] | None = None) -> list[str]:
    """Applies the pending migrations and returns their versions, oldest first.

    ``migrations`` defaults to the bundled ones; tests pass their own.
    """
    wanted = bundled_migrations() if migrations is None else list(migrations)
    with _connect(conninfo) as conn:
        with conn.transaction():
            _lock(conn)
            _create_history_table(conn)
            _refuse_changed(wanted, _applied_migrations(conn))
        return [m.version for m in wanted if _apply_if_pending(conn, m)]


def migration_status(
    conninfo: str, migrations: Sequence[Migration] | None = None
) -> list[MigrationStatus]:
    """Where each migration stands, without changing the database."""
    wanted = bundled_migrations() if migrations is None else list(migrations)
    with _connect(conninfo) as conn, conn.transaction():
        applied = _applied_migrations(conn) if _history_table_exists(conn) else {}
    return [MigrationStatus(m, applied.get(m.version)) for m in wanted]


def _version(migration: Migration) -> str:
    return migration.version


def _read_migration(file: Traversable) -> Migration:
    match = _FILE_NAME.fullmatch(file.name)
    if match is None:
        raise MigrationError(
            f"migration file {file.name!r} is not named NNNN_name.sql (four digits, "
            "an underscore, then lowercase letters, digits or underscores); rename it"
        )
    return Migration(match["version"], match["name"], file.read_text(encoding="utf-8"))


def _refuse_duplicate_versions(migrations: Sequence[Migration]) -> None:
    for before, after in zip(migrations, migrations[1:], strict=False):
        if before.version == after.version:
            raise MigrationError(
                f"migrations {before.label} and {after.label} share a version; "
                "give the newer one the next free number"
            )


def _connect(conninfo: str) -> Connection:
    return psycopg.connect(
        conninfo, autocommit=True, row_factory=dict_row, application_name="quiz-migrate"
    )


def _lock(conn: Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))


def _create_history_table(conn: Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version VARCHAR PRIMARY KEY,"
        " name VARCHAR NOT NULL,"
        " checksum CHAR(64) NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


def _history_table_exists(conn: Connection) -> bool:
    query = "SELECT to_regclass('schema_migrations') IS NOT NULL AS found"
    row = conn.execute(query).fetchone()
    return row is not None and bool(row["found"])


def _applied_migrations(conn: Connection) -> dict[str, AppliedMigration]:
    rows = conn.execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()
    return {row["version"]: AppliedMigration(**row) for row in rows}


def _refuse_changed(
    migrations: Iterable[Migration], applied: Mapping[str, AppliedMigration]
) -> None:
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded.checksum != migration.checksum:
            raise ChecksumMismatch(
                f"migration {migration.label} was applied on "
                f"{recorded.applied_at:%Y-%m-%d} with checksum {recorded.checksum[:12]}, "
                f"but its file now has {migration.checksum[:12]}; restore the applied "
                "file and put the change in a new migration"
            )


def _apply_if_pending(conn: Connection, migration: Migration) -> bool:
    """Applies one migration in its own transaction; False if it was already applied."""
    with conn.transaction():
        _lock(conn)
        # Another run may have applied it while this one waited for the lock.
        applied = _applied_migrations(conn)
        _refuse_changed([migration], applied)
        if migration.version in applied:
            return False

        _run_script(conn, migration)
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (migration.version, migration.name, migration.checksum),
        )
    facts = {"version": migration.version, "name": migration.name}
    logger.info("migration applied", extra=facts)
    return True


def _run_script(conn: Connection, migration: Migration) -> None:
    try:
        # NOTE: bytes, not str: the file is trusted SQL, run as is, and psycopg accepts
        # bytes as a query without treating it as a format string.
        conn.execute(migration.sql.encode())
    except psycopg.OperationalError:
        raise
    except psycopg.DatabaseError as exc:
        raise MigrationError(
            f"migration {migration.label} failed and was rolled back ({exc}); "
            "fix the file and run the migrations again"
        ) from exc


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m quiz_core.storage.migrate",
        description="Apply the pending schema migrations to PostgreSQL.",
    )
    parser.add_argument(
        "--database-url", help=f"libpq connection string; defaults to ${DATABASE_URL}"
    )
    parser.add_argument(
        "--status", action="store_true", help="list the migrations and their state only"
    )
    return parser.parse_args(argv)


def _conninfo(database_url: str | None, environ: Mapping[str, str]) -> str:
    if database_url is not None:
        environ = {**environ, DATABASE_URL: database_url}
    config = DatabaseConfig.from_environ(environ)
    if config.url is not None:
        return config.url.value
    return url_from_secret(config.secret_id or "").value


def _print_status(statuses: Sequence[MigrationStatus]) -> None:
    for status in statuses:
        applied = status.applied
        when = f"  {applied.applied_at:%Y-%m-%d %H:%M:%S%z}" if applied else ""
        print(f"{status.migration.label:<40} {status.state}{when}")


def _print_applied(versions: Sequence[str]) -> None:
    if not versions:
        print("schema is up to date; no migration applied")
    for version in versions:
        print(f"applied migration {version}")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    args = _parse_args(argv)
    try:
        conninfo = _conninfo(args.database_url, environ)
        if args.status:
            _print_status(migration_status(conninfo))
        else:
            _print_applied(apply_migrations(conninfo))
    except (ConfigError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    except psycopg.OperationalError as exc:
        print(f"error: PostgreSQL failed or could not be reached: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
