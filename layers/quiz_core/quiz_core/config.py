"""Typed configuration, read from the environment once per cold start.

Every variable name is defined here. A missing or malformed value raises ``ConfigError``
naming the variable, so a misconfigured function fails at its first invocation instead of
half-way through a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DATABASE_URL = "DATABASE_URL"
DATABASE_SECRET_ARN = "DATABASE_SECRET_ARN"  # noqa: S105 - the name of a variable
CONNECTIONS_TABLE = "CONNECTIONS_TABLE"
CONNECTION_TTL_SECONDS = "CONNECTION_TTL_SECONDS"
MANAGEMENT_API_ENDPOINT = "MANAGEMENT_API_ENDPOINT"
WEBSOCKET_URL = "WEBSOCKET_URL"
WELCOME_FUNCTION_NAME = "WELCOME_FUNCTION_NAME"
BROADCAST_CONCURRENCY = "BROADCAST_CONCURRENCY"
POST_TIMEOUT_SECONDS = "POST_TIMEOUT_SECONDS"
PUSH_MARKS_TABLE = "PUSH_MARKS_TABLE"
LEADERBOARD_PUSH_QUEUE_URL = "LEADERBOARD_PUSH_QUEUE_URL"
LEADERBOARD_PUSH_INTERVAL_SECONDS = "LEADERBOARD_PUSH_INTERVAL_SECONDS"
LIFECYCLE_QUEUE_URL = "LIFECYCLE_QUEUE_URL"
MESSAGES_PER_SECOND = "MESSAGES_PER_SECOND"
MAX_PLAYERS_PER_QUIZ = "MAX_PLAYERS_PER_QUIZ"
TOKEN_SECRET_ARN = "TOKEN_SECRET_ARN"  # noqa: S105 - the name of a variable, not a secret
TOKEN_TTL_SECONDS = "TOKEN_TTL_SECONDS"  # noqa: S105 - the name of a variable

# A connection lives at most two hours on API Gateway; the row outlives it a little so a
# missed $disconnect is cleaned up by the TTL soon after.
DEFAULT_CONNECTION_TTL_SECONDS = 2 * 3600 + 600


class ConfigError(Exception):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True, repr=False)
class DatabaseUrl:
    """A libpq connection string; never printed, since it may carry a password."""

    value: str

    def __repr__(self) -> str:
        return "DatabaseUrl(<hidden>)"


@dataclass(frozen=True)
class DatabaseConfig:
    """Either a connection string (local stacks) or a Secrets Manager secret holding one.

    On AWS the secret is the way: the template then never sees a password.
    """

    url: DatabaseUrl | None
    secret_id: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DatabaseConfig:
        secret_id = environ.get(DATABASE_SECRET_ARN, "").strip()
        if secret_id:
            return cls(url=None, secret_id=secret_id)
        url = environ.get(DATABASE_URL, "").strip()
        if not url:
            raise ConfigError(
                f"{DATABASE_SECRET_ARN} or {DATABASE_URL} is required and both are missing; "
                "set one on the function"
            )
        return cls(url=checked_database_url(url, DATABASE_URL))


def checked_database_url(url: str, source: str) -> DatabaseUrl:
    """The URL, if it is one libpq takes; ``source`` names where it came from for the error."""
    if not re.match(r"^(postgres(ql)?://|\w+=)", url):
        raise ConfigError(
            f"{source} must hold a postgresql:// URL or a libpq 'key=value' string; "
            "the value given is neither (not shown, it may hold a password)"
        )
    return DatabaseUrl(url)


@dataclass(frozen=True)
class ConnectionsConfig:
    table_name: str
    ttl_seconds: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ConnectionsConfig:
        return cls(
            table_name=_required(environ, CONNECTIONS_TABLE),
            ttl_seconds=_integer(
                environ, CONNECTION_TTL_SECONDS, DEFAULT_CONNECTION_TTL_SECONDS, 60, 86400
            ),
        )


@dataclass(frozen=True)
class ManagementApiConfig:
    """Where and how to post to WebSocket clients.

    ``endpoint`` is None on AWS without a custom domain: the endpoint then comes from each
    event's domain name and stage.
    """

    endpoint: str | None
    broadcast_concurrency: int
    post_timeout_seconds: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ManagementApiConfig:
        return cls(
            endpoint=_optional_url(environ, MANAGEMENT_API_ENDPOINT, ("http://", "https://")),
            broadcast_concurrency=_integer(environ, BROADCAST_CONCURRENCY, 32, 1, 256),
            post_timeout_seconds=_integer(environ, POST_TIMEOUT_SECONDS, 2, 1, 10),
        )


@dataclass(frozen=True)
class JoinQuizConfig:
    database: DatabaseConfig
    websocket_url: str
    tokens: TokenConfig
    max_players: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> JoinQuizConfig:
        websocket_url = _optional_url(environ, WEBSOCKET_URL, ("ws://", "wss://"))
        if websocket_url is None:
            raise ConfigError(f"{WEBSOCKET_URL} is required: the URL players connect to")
        return cls(
            database=DatabaseConfig.from_environ(environ),
            websocket_url=websocket_url,
            tokens=TokenConfig.from_environ(environ),
            max_players=_integer(environ, MAX_PLAYERS_PER_QUIZ, 10_000, 1, 1_000_000),
        )


@dataclass(frozen=True)
class ConnectConfig:
    database: DatabaseConfig
    connections: ConnectionsConfig
    management_api: ManagementApiConfig
    welcome_function_name: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ConnectConfig:
        return cls(
            database=DatabaseConfig.from_environ(environ),
            connections=ConnectionsConfig.from_environ(environ),
            management_api=ManagementApiConfig.from_environ(environ),
            welcome_function_name=_required(environ, WELCOME_FUNCTION_NAME),
        )


@dataclass(frozen=True)
class MessagingConfig:
    """What every function that talks to connected players needs."""

    database: DatabaseConfig
    connections: ConnectionsConfig
    management_api: ManagementApiConfig

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> MessagingConfig:
        return cls(
            database=DatabaseConfig.from_environ(environ),
            connections=ConnectionsConfig.from_environ(environ),
            management_api=ManagementApiConfig.from_environ(environ),
        )


@dataclass(frozen=True)
class GameplayConfig:
    """The message function: messaging plus the coalesced leaderboard pushes."""

    messaging: MessagingConfig
    push_marks_table: str
    push_queue_url: str
    push_interval_seconds: int
    messages_per_second: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GameplayConfig:
        return cls(
            messages_per_second=_integer(environ, MESSAGES_PER_SECOND, 10, 1, 1000),
            messaging=MessagingConfig.from_environ(environ),
            push_marks_table=_required(environ, PUSH_MARKS_TABLE),
            push_queue_url=_url(environ, LEADERBOARD_PUSH_QUEUE_URL),
            push_interval_seconds=_integer(environ, LEADERBOARD_PUSH_INTERVAL_SECONDS, 1, 1, 900),
        )


@dataclass(frozen=True)
class LeaderboardPushConfig:
    messaging: MessagingConfig
    push_marks_table: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LeaderboardPushConfig:
        return cls(
            messaging=MessagingConfig.from_environ(environ),
            push_marks_table=_required(environ, PUSH_MARKS_TABLE),
        )


@dataclass(frozen=True)
class ClockConfig:
    """The quiz clock posts without an incoming event, so it needs the endpoint itself."""

    messaging: MessagingConfig
    lifecycle_queue_url: str
    management_endpoint: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ClockConfig:
        messaging = MessagingConfig.from_environ(environ)
        if messaging.management_api.endpoint is None:
            raise ConfigError(
                f"{MANAGEMENT_API_ENDPOINT} is required by the quiz clock: it posts to players "
                "without an incoming WebSocket event to take the endpoint from"
            )
        return cls(
            messaging=messaging,
            lifecycle_queue_url=_url(environ, LIFECYCLE_QUEUE_URL),
            management_endpoint=messaging.management_api.endpoint,
        )


@dataclass(frozen=True)
class TokenConfig:
    """Where the token signing secret lives (a Secrets Manager id) and how long tokens last."""

    secret_id: str
    ttl_seconds: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TokenConfig:
        return cls(
            secret_id=_required(environ, TOKEN_SECRET_ARN),
            ttl_seconds=_integer(environ, TOKEN_TTL_SECONDS, 3600, 60, 86400),
        )


@dataclass(frozen=True)
class LoginConfig:
    database: DatabaseConfig
    tokens: TokenConfig

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LoginConfig:
        return cls(
            database=DatabaseConfig.from_environ(environ),
            tokens=TokenConfig.from_environ(environ),
        )


def _url(environ: Mapping[str, str], name: str) -> str:
    value = _optional_url(environ, name, ("http://", "https://"))
    if value is None:
        raise ConfigError(f"{name} is required and is missing or empty; set it on the function")
    return value


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required and is missing or empty; set it on the function")
    return value


def _optional_url(environ: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if not value.startswith(schemes):
        raise ConfigError(f"{name}={value!r} must start with one of {', '.join(schemes)}")
    return value.rstrip("/")


def _integer(
    environ: Mapping[str, str], name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is outside the allowed range {minimum}..{maximum}")
    return value
