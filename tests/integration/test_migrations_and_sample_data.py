from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from quiz_core.security.passwords import verify_password
from quiz_core.storage.migrate import (
    ChecksumMismatch,
    Migration,
    MigrationError,
    apply_migrations,
    bundled_migrations,
    main,
    migration_status,
)
from tools.load_sample_data import SAMPLE_DIR, SampleDataError, load_sample_data, read_users

NOW = datetime(2026, 3, 14, 15, 9, 26, 535_897, tzinfo=UTC)
NOW_TO_THE_SECOND = NOW.replace(microsecond=0)
SAMPLE_QUIZ_COUNT = 11

Window = tuple[datetime, datetime]
Offsets = tuple[timedelta, timedelta]


def _connect(url: str) -> psycopg.Connection[DictRow]:
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def _rows(url: str, query: LiteralString) -> list[dict[str, Any]]:
    with _connect(url) as conn:
        return conn.execute(query).fetchall()


def _exists(url: str, table: str) -> bool:
    with _connect(url) as conn:
        row = conn.execute("SELECT to_regclass(%s) AS found", (table,)).fetchone()
    return row is not None and row["found"] is not None


def _states(url: str, migrations: list[Migration] | None = None) -> list[str]:
    return [status.state for status in migration_status(url, migrations)]


def _read_windows(conn: psycopg.Connection[DictRow]) -> dict[str, Window]:
    rows = conn.execute("SELECT quiz_id, start_time, end_time FROM quizzes").fetchall()
    return {r["quiz_id"]: (_utc(r["start_time"]), _utc(r["end_time"])) for r in rows}


def _windows(url: str) -> dict[str, Window]:
    with _connect(url) as conn:
        return _read_windows(conn)


def _utc(stored: datetime) -> datetime:
    return stored.replace(tzinfo=UTC)


def _offsets(windows: dict[str, Window], origin: datetime) -> dict[str, Offsets]:
    return {qid: (start - origin, end - origin) for qid, (start, end) in windows.items()}


def _password_hashes(url: str) -> dict[str, str]:
    rows = _rows(url, "SELECT id, password_hash FROM users")
    return {row["id"]: row["password_hash"] for row in rows}


@pytest.fixture
def empty_tables(database_url: str) -> str:
    """The module's migrated database, every table emptied before the test."""
    with _connect(database_url) as conn:
        conn.execute("TRUNCATE quizzes, users, questions CASCADE")
    return database_url


@pytest.fixture
def demo_windows(empty_tables: str) -> dict[str, Window]:
    """The windows as the demo wrote them: its INSERT run as is, then rolled back."""
    with _connect(empty_tables) as conn, conn.transaction(force_rollback=True):
        conn.execute((SAMPLE_DIR / "quizzes.sql").read_bytes())
        return _read_windows(conn)


def test_migrations_create_the_schema_and_record_each_version(
    empty_database_url: str,
) -> None:
    applied = apply_migrations(empty_database_url)

    recorded = _rows(empty_database_url, "SELECT * FROM schema_migrations")
    expected = [(m.version, m.name, m.checksum) for m in bundled_migrations()]
    assert applied == [version for version, _, _ in expected]
    assert [(r["version"], r["name"], r["checksum"]) for r in recorded] == expected
    assert _exists(empty_database_url, "quizzes")


def test_running_the_migrations_again_applies_nothing(empty_database_url: str) -> None:
    apply_migrations(empty_database_url)

    assert apply_migrations(empty_database_url) == []
    assert set(_states(empty_database_url)) == {"applied"}


def test_concurrent_runs_apply_each_migration_once(empty_database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(apply_migrations, [empty_database_url] * 4))

    applied = sorted(version for result in results for version in result)
    assert applied == [migration.version for migration in bundled_migrations()]


def test_an_edited_applied_migration_is_refused_before_anything_is_applied(
    empty_database_url: str,
) -> None:
    apply_migrations(empty_database_url)
    first, *rest = bundled_migrations()
    edited = replace(first, sql=first.sql + "\n-- an afterthought\n")
    newer = Migration("9001", "newer", "CREATE TABLE newer_table (id INTEGER)")

    with pytest.raises(ChecksumMismatch, match=f"{first.label}.*new migration"):
        apply_migrations(empty_database_url, [edited, *rest, newer])
    assert _states(empty_database_url, [edited, newer]) == ["changed", "pending"]
    assert not _exists(empty_database_url, "newer_table")


def test_a_failing_migration_is_rolled_back_and_the_earlier_ones_stay(
    empty_database_url: str,
) -> None:
    script = "CREATE TABLE half_done (id INTEGER); SELECT 1 / 0;"
    broken = Migration("9002", "broken", script)
    migrations = [*bundled_migrations(), broken]

    with pytest.raises(MigrationError, match="9002_broken failed and was rolled back"):
        apply_migrations(empty_database_url, migrations)

    earlier = ["applied"] * (len(migrations) - 1)
    assert _states(empty_database_url, migrations) == [*earlier, "pending"]
    assert not _exists(empty_database_url, "half_done")


def test_the_status_command_lists_pending_migrations_without_applying_them(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["--database-url", empty_database_url, "--status"], environ={})

    assert exit_code == 0
    assert "0001_initial" in capsys.readouterr().out
    assert set(_states(empty_database_url)) == {"pending"}


def test_the_migrate_command_names_the_variable_when_no_url_is_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([], environ={}) == 2
    assert "DATABASE_URL is required" in capsys.readouterr().err


def test_the_demo_quiz_insert_runs_unchanged_against_the_schema(
    demo_windows: dict[str, Window],
) -> None:
    assert len(demo_windows) == SAMPLE_QUIZ_COUNT
    assert demo_windows["voc202411290900"] == (
        datetime(2024, 11, 29, 9, 0, tzinfo=UTC),
        datetime(2024, 11, 29, 9, 30, tzinfo=UTC),
    )
    assert demo_windows["gra202412011415"] == (
        datetime(2024, 12, 1, 14, 15, tzinfo=UTC),
        datetime(2024, 12, 1, 14, 35, tzinfo=UTC),
    )


def test_rebasing_starts_the_first_quiz_now_and_keeps_every_offset(
    empty_tables: str, demo_windows: dict[str, Window]
) -> None:
    summary = load_sample_data(empty_tables, NOW)

    windows = _windows(empty_tables)
    demo_start = demo_windows["voc202411290900"][0]
    assert windows["voc202411290900"][0] == NOW_TO_THE_SECOND
    assert _offsets(windows, NOW_TO_THE_SECOND) == _offsets(demo_windows, demo_start)
    assert summary.showcase is not None
    assert summary.showcase.start_time == NOW_TO_THE_SECOND
    assert summary.showcase.end_time == NOW_TO_THE_SECOND + timedelta(minutes=30)


def test_the_summary_counts_what_was_loaded(empty_tables: str) -> None:
    summary = load_sample_data(empty_tables, NOW)

    assert (summary.users, summary.new_users, summary.passwords_set) == (11, 11, 11)
    assert summary.questions == 31
    assert summary.quizzes_written == SAMPLE_QUIZ_COUNT
    assert summary.quizzes_left_in_place == ()


def test_original_dates_keep_the_demo_windows(
    empty_tables: str, demo_windows: dict[str, Window]
) -> None:
    load_sample_data(empty_tables, NOW, original_dates=True)

    assert _windows(empty_tables) == demo_windows


def test_every_question_of_every_sample_quiz_is_loaded(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)

    missing = _rows(
        empty_tables,
        "SELECT DISTINCT q.id"
        " FROM quizzes, jsonb_array_elements_text(questions) AS q(id)"
        " WHERE q.id NOT IN (SELECT question_id FROM questions)",
    )
    categories = _rows(empty_tables, "SELECT DISTINCT category FROM questions")
    assert missing == []
    assert {r["category"] for r in categories} == {"vocabulary", "listening", "grammar"}


def test_reloading_keeps_the_players_of_a_quiz_that_has_not_ended(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)
    with _connect(empty_tables) as conn:
        conn.execute(
            "INSERT INTO participants (quiz_id, user_id, score)"
            " VALUES ('voc202411291200', '1a2b3c', 1000)"
        )

    load_sample_data(empty_tables, NOW + timedelta(minutes=40))

    participants = _rows(empty_tables, "SELECT user_id, score FROM participants")
    assert participants == [{"user_id": "1a2b3c", "score": 1000}]


def test_answers_stored_before_gameplay_get_a_serving_at_their_position_in_the_quiz(
    empty_database_url: str,
) -> None:
    initial, gameplay, *later = bundled_migrations()
    assert gameplay.name == "gameplay"
    apply_migrations(empty_database_url, [initial])
    with _connect(empty_database_url) as conn:
        conn.execute("INSERT INTO users VALUES ('u1', 'ann', 'unusable')")
        conn.execute(
            "INSERT INTO questions (question_id, category, prompt, choices, correct_choice)"
            " SELECT id, 'vocabulary', 'Prompt?', '[\"a\", \"b\"]', 0"
            " FROM unnest(ARRAY['q1', 'q2', 'elsewhere']) AS id"
        )
        conn.execute(
            "INSERT INTO quizzes VALUES ('quiz1', 'Quiz', '2024-11-29 09:00', '2024-11-29 09:30',"
            ' \'["q1", "q2"]\')'
        )
        conn.execute("INSERT INTO participants (quiz_id, user_id, score) VALUES ('quiz1', 'u1', 7)")
        conn.execute(
            "INSERT INTO answers (quiz_id, user_id, question_id, choice, is_correct,"
            " points_awarded, answered_at) VALUES"
            " ('quiz1', 'u1', 'q2', 0, true, 5, '2024-11-29 09:01:00+00'),"
            " ('quiz1', 'u1', 'elsewhere', 1, false, 2, '2024-11-29 09:02:00+00')"
        )

    apply_migrations(empty_database_url, [gameplay, *later])

    servings = _rows(
        empty_database_url,
        "SELECT question_id, question_index, closes_at_ms - served_at_ms AS window_ms"
        " FROM servings ORDER BY question_index",
    )
    assert servings == [
        {"question_id": "q2", "question_index": 1, "window_ms": 1},
        # A question the quiz does not list goes after every listed one.
        {"question_id": "elsewhere", "question_index": 1002, "window_ms": 1},
    ]
    answers = _rows(
        empty_database_url,
        "SELECT question_id, status, points_awarded, base_points, streak_bonus FROM answers"
        " ORDER BY question_id",
    )
    assert answers == [
        {
            "question_id": "elsewhere",
            "status": "answered",
            "points_awarded": 2,
            "base_points": 2,
            "streak_bonus": 0,
        },
        {
            "question_id": "q2",
            "status": "answered",
            "points_awarded": 5,
            "base_points": 5,
            "streak_bonus": 0,
        },
    ]


def test_reloading_leaves_running_and_upcoming_quizzes_where_they_are(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)
    before = _windows(empty_tables)
    later = NOW_TO_THE_SECOND + timedelta(minutes=10)

    summary = load_sample_data(empty_tables, later)

    after = _windows(empty_tables)
    assert "voc202411290900" in summary.quizzes_left_in_place
    assert after["voc202411290900"] == before["voc202411290900"]
    assert after["voc202411291200"] == before["voc202411291200"]


def test_reloading_moves_quizzes_that_have_ended(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)
    much_later = NOW_TO_THE_SECOND + timedelta(days=2)

    before = _windows(empty_tables)

    summary = load_sample_data(empty_tables, much_later)

    assert "gra202412011415" in summary.quizzes_left_in_place  # still to come
    assert _windows(empty_tables)["gra202412011415"] == before["gra202412011415"]
    assert _windows(empty_tables)["voc202411290900"][0] == much_later


def test_passwords_are_stored_hashed_and_verify(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)

    hashes = _password_hashes(empty_tables)
    for user in read_users(SAMPLE_DIR / "users.json"):
        stored = hashes[user.user_id]
        assert user.password not in stored
        assert stored.startswith("scrypt$")
        assert verify_password(user.password, stored)
        assert not verify_password(user.password + "x", stored)


def test_reloading_keeps_password_hashes_unless_told_to_reset(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)
    first = _password_hashes(empty_tables)

    kept = load_sample_data(empty_tables, NOW)
    unchanged = _password_hashes(empty_tables)
    reset = load_sample_data(empty_tables, NOW, reset_passwords=True)
    renewed = _password_hashes(empty_tables)

    assert (kept.passwords_set, reset.passwords_set) == (0, 11)
    assert unchanged == first
    assert all(renewed[user_id] != first[user_id] for user_id in first)


def test_loading_into_an_unmigrated_database_says_to_migrate_first(
    empty_database_url: str,
) -> None:
    with pytest.raises(SampleDataError, match="quiz_core.storage.migrate"):
        load_sample_data(empty_database_url, NOW)


def test_loading_refuses_a_naive_now(empty_tables: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        load_sample_data(empty_tables, NOW.replace(tzinfo=None))


def test_a_reopened_quiz_starts_without_its_previous_players(empty_tables: str) -> None:
    load_sample_data(empty_tables, NOW)
    with psycopg.connect(empty_tables, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO participants (quiz_id, user_id) VALUES ('voc202411290900', '1a2b3c')"
        )

    load_sample_data(empty_tables, NOW_TO_THE_SECOND + timedelta(days=2))

    assert _rows(empty_tables, "SELECT user_id FROM participants") == []
