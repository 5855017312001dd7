"""One PostgreSQL connection per Lambda environment, opened lazily and reused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import psycopg
from aws_lambda_powertools.utilities import parameters
from psycopg.conninfo import make_conninfo
from psycopg.rows import DictRow, dict_row

from quiz_core.config import ConfigError, DatabaseConfig, DatabaseUrl, checked_database_url

Connection = psycopg.Connection[DictRow]
T = TypeVar("T")
SECRET_CACHE_SECONDS = 300


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached; the request may be retried."""


class Database:
    """Runs units of work, one transaction each, on a connection kept across invocations.

    A warm Lambda environment may hold a connection that died while it slept (a database
    restart, a proxy idle timeout). The first unit of work on such a connection fails
    before anything is committed; it is then run once more on a fresh connection, so the
    restart costs a reconnect instead of a failed request. Units of work must therefore be
    safe to run twice, which the callers guarantee with keys and ``ON CONFLICT``.
    """

    def __init__(
        self,
        url: DatabaseUrl | Callable[[], DatabaseUrl],
        connect_timeout_seconds: int = 5,
    ) -> None:
        self._url = url
        self._connect_timeout_seconds = connect_timeout_seconds
        self._connection: Connection | None = None

    @classmethod
    def from_config(cls, config: DatabaseConfig) -> Database:
        """A database reached through the configured URL, or the secret's, read when needed."""
        if config.url is not None:
            return cls(config.url)
        secret_id = config.secret_id or ""
        return cls(lambda: url_from_secret(secret_id))

    def run(self, work: Callable[[Connection], T]) -> T:
        reused = self._connection is not None and not self._connection.closed
        try:
            return self._run_once(work)
        except psycopg.OperationalError as exc:
            self.close()
            if not reused:
                raise DatabaseUnavailable("PostgreSQL failed during a transaction") from exc
        try:
            return self._run_once(work)
        except psycopg.OperationalError as exc:
            self.close()
            raise DatabaseUnavailable("PostgreSQL failed during a transaction") from exc

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _run_once(self, work: Callable[[Connection], T]) -> T:
        connection = self._open_connection()
        with connection.transaction():
            return work(connection)

    def _open_connection(self) -> Connection:
        if self._connection is not None and not self._connection.closed:
            if not self._connection.broken:
                return self._connection
            self._connection.close()
        try:
            # NOTE: prepare_threshold=None keeps statements unprepared so that, behind RDS
            # Proxy, the session is never pinned; autocommit makes each transaction() block
            # exactly one transaction.
            url = self._url if isinstance(self._url, DatabaseUrl) else self._url()
            self._connection = psycopg.connect(
                url.value,
                autocommit=True,
                row_factory=dict_row,
                prepare_threshold=None,
                connect_timeout=self._connect_timeout_seconds,
                application_name="quiz-backend",
            )
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable("could not connect to PostgreSQL") from exc
        return self._connection


def url_from_secret(secret_id: str) -> DatabaseUrl:
    """The connection string in a Secrets Manager secret.

    The secret is either the string itself or the JSON that RDS keeps for a database
    (``host``, ``port``, ``username``, ``password``, ``dbname``). Powertools caches it, so a
    rotated password is picked up within the cache time on the next reconnect. A secret of
    neither shape raises ``ConfigError`` naming the secret, never showing its value.
    """
    value = str(parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS))
    source = f"the database secret {secret_id!r}"
    if not value.lstrip().startswith("{"):
        return checked_database_url(value.strip(), source)
    try:
        fields = json.loads(value)
    except ValueError:
        raise ConfigError(f"{source} starts like JSON but is not valid JSON") from None
    missing = [name for name in _RDS_SECRET_FIELDS if not isinstance(fields.get(name), str)]
    if missing:
        raise ConfigError(
            f"{source} is JSON without the text fields {', '.join(missing)}; store an RDS "
            "secret (host, username, password, optional port and dbname) or a postgresql:// URL"
        )
    return DatabaseUrl(
        make_conninfo(
            host=fields["host"],
            port=str(fields.get("port", 5432)),
            user=fields["username"],
            password=fields["password"],
            dbname=str(fields.get("dbname", "postgres")),
            sslmode=str(fields.get("sslmode", "require")),
        )
    )


_RDS_SECRET_FIELDS = ("host", "username", "password")
