"""Database, the warm PostgreSQL connection of a Lambda environment, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from quiz_core.config import DatabaseUrl
from quiz_core.storage.database import Connection, Database, DatabaseUnavailable


@pytest.fixture
def admin(database_url: str) -> Iterator[psycopg.Connection[DictRow]]:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS database_test_marks (mark TEXT NOT NULL)")
        conn.execute("TRUNCATE database_test_marks")
        yield conn
        conn.execute("DROP TABLE database_test_marks")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(DatabaseUrl(database_url))
    yield database
    database.close()


def _backend_pid(conn: Connection) -> int:
    row = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
    assert row is not None
    return int(row["pid"])


def _terminate(admin: psycopg.Connection[DictRow], pid: int) -> None:
    """Ends a server process as a restart or failover would, and waits until it is gone."""
    row = admin.execute("SELECT pg_terminate_backend(%s, 5000) AS ended", (pid,)).fetchone()
    assert row is not None
    assert row["ended"]


def test_the_connection_is_kept_across_units_of_work(database: Database) -> None:
    assert database.run(_backend_pid) == database.run(_backend_pid)


def test_a_unit_of_work_on_a_connection_the_server_dropped_is_run_again_on_a_new_one(
    database: Database, admin: psycopg.Connection[DictRow]
) -> None:
    first_pid = database.run(_backend_pid)
    _terminate(admin, first_pid)

    def mark(conn: Connection) -> int:
        conn.execute("INSERT INTO database_test_marks (mark) VALUES ('after restart')")
        return _backend_pid(conn)

    second_pid = database.run(mark)

    assert second_pid != first_pid
    marks = admin.execute("SELECT mark FROM database_test_marks").fetchall()
    assert marks == [{"mark": "after restart"}]


def test_a_failed_unit_of_work_is_rolled_back_and_the_connection_stays_usable(
    database: Database, admin: psycopg.Connection[DictRow]
) -> None:
    pid = database.run(_backend_pid)

    def fail_half_way(conn: Connection) -> None:
        conn.execute("INSERT INTO database_test_marks (mark) VALUES ('half done')")
        raise ValueError("the caller's own failure")

    with pytest.raises(ValueError, match="the caller's own failure"):
        database.run(fail_half_way)

    assert admin.execute("SELECT mark FROM database_test_marks").fetchall() == []
    assert database.run(_backend_pid) == pid


def test_a_server_that_cannot_be_reached_is_reported_unavailable(tmp_path: Path) -> None:
    # A socket directory with no server in it: the connection fails at once, locally.
    database = Database(DatabaseUrl(f"host={tmp_path} port=5432 dbname=quiz user=quiz"))

    with pytest.raises(DatabaseUnavailable):
        database.run(_backend_pid)


def test_an_operational_error_on_a_new_connection_is_not_retried(database: Database) -> None:
    calls: list[int] = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        raise psycopg.OperationalError("lost in the middle")

    with pytest.raises(DatabaseUnavailable):
        database.run(broken)

    assert len(calls) == 1


def test_an_operational_error_on_a_warm_connection_is_retried_once(database: Database) -> None:
    database.run(_backend_pid)
    calls: list[int] = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        raise psycopg.OperationalError("lost in the middle")

    with pytest.raises(DatabaseUnavailable):
        database.run(broken)

    assert len(calls) == 2
