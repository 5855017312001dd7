"""The database named by a Secrets Manager secret (``DatabaseSecretArn``), as on AWS.

The secrets live in moto's Secrets Manager; the database they name is the module's scratch
database on the real PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from psycopg.conninfo import conninfo_to_dict

from quiz_core.config import ConfigError, DatabaseConfig
from quiz_core.storage.database import Database, url_from_secret
from tests.integration.handlers.harness import REGION, Aws, Handlers, QuizDatabase, now_ms
from tests.support.events import join_event


def _rds_secret(database_url: str, password: str | None = None) -> str:
    """The JSON RDS keeps for a database, naming the scratch database."""
    parts = conninfo_to_dict(database_url)
    password = parts.get("password", "") if password is None else password
    return json.dumps(
        {
            "engine": "postgres",
            "host": parts.get("host", "127.0.0.1"),
            "port": int(parts.get("port", 5432)),
            "username": parts.get("user", "postgres"),
            "password": password,
            "dbname": parts["dbname"],
            # The test server has no TLS; an RDS secret has no sslmode and gets "require".
            "sslmode": "disable",
        }
    )


def _current_database(database: Database) -> str:
    try:
        row = database.run(lambda conn: conn.execute("SELECT current_database() AS db").fetchone())
    finally:
        database.close()
    assert row is not None
    return str(row["db"])


def test_a_secret_holding_a_url_connects_to_that_database(aws: Aws, database_url: str) -> None:
    arn = aws.database_secret(database_url)

    url = url_from_secret(arn)

    assert url.value == database_url
    assert _current_database(Database(url)) == conninfo_to_dict(database_url)["dbname"]


def test_an_rds_secret_connects_to_the_database_it_describes(aws: Aws, database_url: str) -> None:
    arn = aws.database_secret(_rds_secret(database_url))

    url = url_from_secret(arn)

    parts = conninfo_to_dict(url.value)
    assert (parts["dbname"], parts["sslmode"]) == (
        conninfo_to_dict(database_url)["dbname"],
        "disable",
    )
    assert _current_database(Database(url)) == parts["dbname"]


def test_an_rds_secret_without_sslmode_requires_tls(aws: Aws, database_url: str) -> None:
    secret = {**json.loads(_rds_secret(database_url)), "port": "6543"}
    del secret["sslmode"]

    parts = conninfo_to_dict(url_from_secret(aws.database_secret(json.dumps(secret))).value)

    assert (parts["sslmode"], parts["port"]) == ("require", "6543")


def test_the_secret_is_read_when_the_first_connection_opens(aws: Aws, database_url: str) -> None:
    arn = aws.database_secret("postgresql://nobody@127.0.0.1:1/not_yet")
    lazy = Database.from_config(DatabaseConfig(url=None, secret_id=arn))
    # Changed after the cold start, before the first unit of work: that one sees it.
    aws.session.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=arn, SecretString=database_url
    )

    assert _current_database(lazy) == conninfo_to_dict(database_url)["dbname"]


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("mysql://quiz:hunter2@db/quiz", "postgresql:// URL"),
        ('{"host": "db", "username": "quiz", "password": "hunter2"', "not valid JSON"),
        ('{"host": "db", "password": "hunter2"}', "username"),
        ('{"host": "db", "username": "quiz", "password": 7}', "password"),
    ],
    ids=["another kind of url", "broken JSON", "no username", "password not text"],
)
def test_a_secret_of_neither_shape_is_refused_naming_the_secret_not_its_value(
    value: str, complaint: str, aws: Aws
) -> None:
    arn = aws.database_secret(value)

    with pytest.raises(ConfigError) as refused:
        url_from_secret(arn)

    assert arn in str(refused.value)
    assert complaint in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_handler_deployed_with_a_database_secret_reads_its_database_from_it(
    handlers_for: Callable[..., Handlers], quiz_db: QuizDatabase, aws: Aws, database_url: str
) -> None:
    arn = aws.database_secret(_rds_secret(database_url))
    handlers = handlers_for(DatabaseSecretArn=arn)
    assert "DATABASE_URL" not in handlers.environment("join_quiz")
    quiz = quiz_db.seed(players=1, joined=False)
    user_id = quiz.user_ids[0]

    event = join_event(quiz.quiz_id, user_id, time_ms=now_ms(), token=aws.token_for(user_id))
    response = handlers.invoker("join_quiz")(event)

    assert response["statusCode"] == 200
    assert [row["user_id"] for row in quiz_db.participants(quiz.quiz_id)] == [user_id]
