"""Configuration read from the environment at cold start."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from quiz_core import config
from quiz_core.config import (
    ClockConfig,
    ConfigError,
    ConnectConfig,
    ConnectionsConfig,
    DatabaseConfig,
    DatabaseUrl,
    GameplayConfig,
    JoinQuizConfig,
    LeaderboardPushConfig,
    LoginConfig,
    ManagementApiConfig,
    MessagingConfig,
    TokenConfig,
)

SECRET = "s3cr3t-pa55"
DATABASE = f"postgresql://quiz:{SECRET}@db.internal:5432/quiz"
COMPLETE = {
    config.DATABASE_URL: DATABASE,
    config.CONNECTIONS_TABLE: "quiz-backend-ConnectionsTable-1X2Y3Z",
    config.MANAGEMENT_API_ENDPOINT: "https://abc123.execute-api.us-east-1.amazonaws.com/live",
    config.WEBSOCKET_URL: "wss://abc123.execute-api.us-east-1.amazonaws.com/live",
    config.WELCOME_FUNCTION_NAME: "quiz-backend-WelcomeFunction-4F5G6H",
    config.PUSH_MARKS_TABLE: "quiz-backend-PushMarksTable-7J8K9L",
    config.LEADERBOARD_PUSH_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/pushes",
    config.LIFECYCLE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/lifecycle",
    config.TOKEN_SECRET_ARN: (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenSigningSecret-a1B2c3"
    ),
}


Load = Callable[[Mapping[str, str]], object]


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in COMPLETE.items() if key != name}


def test_a_complete_environment_gives_every_function_its_configuration() -> None:
    connect = ConnectConfig.from_environ(COMPLETE)

    assert connect.database.url.value == DATABASE
    assert connect.connections == ConnectionsConfig(COMPLETE[config.CONNECTIONS_TABLE], 7800)
    assert connect.management_api == ManagementApiConfig(
        COMPLETE[config.MANAGEMENT_API_ENDPOINT], 32, 2
    )
    assert connect.welcome_function_name == COMPLETE[config.WELCOME_FUNCTION_NAME]
    assert JoinQuizConfig.from_environ(COMPLETE).websocket_url == COMPLETE[config.WEBSOCKET_URL]
    assert (
        MessagingConfig.from_environ(COMPLETE).connections.table_name
        == (COMPLETE[config.CONNECTIONS_TABLE])
    )


@pytest.mark.parametrize(
    ("load", "name"),
    [
        (DatabaseConfig.from_environ, config.DATABASE_URL),
        (ConnectionsConfig.from_environ, config.CONNECTIONS_TABLE),
        (JoinQuizConfig.from_environ, config.WEBSOCKET_URL),
        (JoinQuizConfig.from_environ, config.DATABASE_URL),
        (ConnectConfig.from_environ, config.WELCOME_FUNCTION_NAME),
        (ConnectConfig.from_environ, config.CONNECTIONS_TABLE),
        (MessagingConfig.from_environ, config.DATABASE_URL),
        (GameplayConfig.from_environ, config.PUSH_MARKS_TABLE),
        (GameplayConfig.from_environ, config.LEADERBOARD_PUSH_QUEUE_URL),
        (GameplayConfig.from_environ, config.CONNECTIONS_TABLE),
        (LeaderboardPushConfig.from_environ, config.PUSH_MARKS_TABLE),
        (ClockConfig.from_environ, config.LIFECYCLE_QUEUE_URL),
        (ClockConfig.from_environ, config.MANAGEMENT_API_ENDPOINT),
        (JoinQuizConfig.from_environ, config.TOKEN_SECRET_ARN),
        (LoginConfig.from_environ, config.TOKEN_SECRET_ARN),
        (LoginConfig.from_environ, config.DATABASE_URL),
        (TokenConfig.from_environ, config.TOKEN_SECRET_ARN),
    ],
)
@pytest.mark.parametrize("absent", ["missing", "empty", "blank"])
def test_a_required_variable_that_is_absent_is_named_in_the_error(
    load: Load, name: str, absent: str
) -> None:
    environ = _without(name)
    if absent != "missing":
        environ[name] = "" if absent == "empty" else "   "

    with pytest.raises(ConfigError, match=name):
        load(environ)


def test_the_gameplay_functions_get_their_tables_queues_and_intervals() -> None:
    gameplay = GameplayConfig.from_environ(COMPLETE)
    clock = ClockConfig.from_environ(COMPLETE)

    assert gameplay.push_marks_table == COMPLETE[config.PUSH_MARKS_TABLE]
    assert gameplay.push_queue_url == COMPLETE[config.LEADERBOARD_PUSH_QUEUE_URL]
    assert (gameplay.push_interval_seconds, gameplay.messages_per_second) == (1, 10)
    assert (
        LeaderboardPushConfig.from_environ(COMPLETE).push_marks_table
        == (COMPLETE[config.PUSH_MARKS_TABLE])
    )
    assert clock.lifecycle_queue_url == COMPLETE[config.LIFECYCLE_QUEUE_URL]
    assert clock.management_endpoint == COMPLETE[config.MANAGEMENT_API_ENDPOINT]


@pytest.mark.parametrize(
    ("value", "accepted"), [("1", True), ("900", True), ("0", False), ("901", False)]
)
def test_the_push_interval_is_one_second_to_sqs_longest_delay(value: str, accepted: bool) -> None:
    environ = {**COMPLETE, config.LEADERBOARD_PUSH_INTERVAL_SECONDS: value}

    if accepted:
        assert GameplayConfig.from_environ(environ).push_interval_seconds == int(value)
    else:
        with pytest.raises(ConfigError, match="1..900"):
            GameplayConfig.from_environ(environ)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (config.LEADERBOARD_PUSH_QUEUE_URL, "sqs.us-east-1.amazonaws.com/123456789012/pushes"),
        (config.LIFECYCLE_QUEUE_URL, "arn:aws:sqs:us-east-1:123456789012:lifecycle"),
    ],
)
def test_a_queue_given_as_anything_but_its_url_is_refused(name: str, value: str) -> None:
    load = GameplayConfig.from_environ if "PUSH" in name else ClockConfig.from_environ

    with pytest.raises(ConfigError, match=name):
        load({**COMPLETE, name: value})


def test_the_management_endpoint_is_optional_and_then_derived_from_each_event() -> None:
    assert (
        ManagementApiConfig.from_environ(_without(config.MANAGEMENT_API_ENDPOINT)).endpoint is None
    )


@pytest.mark.parametrize(
    ("load", "name", "value"),
    [
        (ConnectConfig.from_environ, config.MANAGEMENT_API_ENDPOINT, "ftp://abc123.example/live"),
        (ConnectConfig.from_environ, config.MANAGEMENT_API_ENDPOINT, "abc123.example/live"),
        (JoinQuizConfig.from_environ, config.WEBSOCKET_URL, "https://abc123.example/live"),
    ],
)
def test_a_url_with_the_wrong_scheme_is_refused_naming_variable_and_value(
    load: Load, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name) as refused:
        load({**COMPLETE, name: value})

    assert value in str(refused.value)


def test_a_trailing_slash_is_dropped_from_urls() -> None:
    environ = {**COMPLETE, config.MANAGEMENT_API_ENDPOINT: "http://127.0.0.1:4566/_aws/x/live/"}

    assert ManagementApiConfig.from_environ(environ).endpoint == "http://127.0.0.1:4566/_aws/x/live"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        (config.CONNECTION_TTL_SECONDS, "two hours"),
        (config.CONNECTION_TTL_SECONDS, "7800.5"),
        (config.BROADCAST_CONCURRENCY, "0x20"),
        (config.POST_TIMEOUT_SECONDS, "2s"),
    ],
)
def test_a_number_that_is_not_whole_is_refused_naming_variable_and_value(
    name: str, raw: str
) -> None:
    with pytest.raises(ConfigError, match=f"{name}='{raw}' is not a whole number"):
        ConnectConfig.from_environ({**COMPLETE, name: raw})


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        (config.CONNECTION_TTL_SECONDS, 59, "60..86400"),
        (config.CONNECTION_TTL_SECONDS, 86401, "60..86400"),
        (config.BROADCAST_CONCURRENCY, 0, "1..256"),
        (config.BROADCAST_CONCURRENCY, 257, "1..256"),
        (config.POST_TIMEOUT_SECONDS, 0, "1..10"),
        (config.POST_TIMEOUT_SECONDS, 11, "1..10"),
    ],
)
def test_a_number_out_of_range_is_refused_with_the_range(
    name: str, value: int, allowed: str
) -> None:
    with pytest.raises(ConfigError, match=f"{name}={value} is outside .* {allowed}"):
        ConnectConfig.from_environ({**COMPLETE, name: str(value)})


def _ttl(loaded: ConnectConfig) -> int:
    return loaded.connections.ttl_seconds


def _concurrency(loaded: ConnectConfig) -> int:
    return loaded.management_api.broadcast_concurrency


def _timeout(loaded: ConnectConfig) -> int:
    return loaded.management_api.post_timeout_seconds


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        (config.CONNECTION_TTL_SECONDS, 60, _ttl),
        (config.CONNECTION_TTL_SECONDS, 86400, _ttl),
        (config.BROADCAST_CONCURRENCY, 1, _concurrency),
        (config.BROADCAST_CONCURRENCY, 256, _concurrency),
        (config.POST_TIMEOUT_SECONDS, 1, _timeout),
        (config.POST_TIMEOUT_SECONDS, 10, _timeout),
    ],
)
def test_numbers_at_the_edges_of_their_range_are_accepted(
    name: str, value: int, read: Callable[[ConnectConfig], int]
) -> None:
    assert read(ConnectConfig.from_environ({**COMPLETE, name: f" {value} "})) == value


def test_a_connection_row_outlives_api_gateways_two_hour_limit_by_default() -> None:
    ttl = ConnectionsConfig.from_environ(COMPLETE).ttl_seconds

    assert 2 * 3600 < ttl <= 3 * 3600


@pytest.mark.parametrize(
    "url",
    [DATABASE, "postgres://quiz@db/quiz", f"host=db.internal dbname=quiz password={SECRET}"],
)
def test_urls_and_libpq_key_value_strings_are_accepted_as_database_url(url: str) -> None:
    assert DatabaseConfig.from_environ({config.DATABASE_URL: url}).url.value == url


def test_a_database_url_of_another_kind_is_refused_without_showing_it() -> None:
    mysql = f"mysql://quiz:{SECRET}@db.internal/quiz"

    with pytest.raises(ConfigError, match=config.DATABASE_URL) as refused:
        DatabaseConfig.from_environ({config.DATABASE_URL: mysql})

    assert SECRET not in str(refused.value)


def test_the_database_url_never_shows_in_a_repr_or_str() -> None:
    loaded = ConnectConfig.from_environ(COMPLETE)

    for shown in (repr(DatabaseUrl(DATABASE)), str(DatabaseUrl(DATABASE)), repr(loaded)):
        assert SECRET not in shown
        assert "db.internal" not in shown
    assert f"{loaded.database}" == "DatabaseConfig(url=DatabaseUrl(<hidden>), secret_id=None)"


DATABASE_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1a2b3c-XyZ"


def test_a_database_secret_is_used_instead_of_a_url_when_both_are_set() -> None:
    loaded = DatabaseConfig.from_environ({**COMPLETE, config.DATABASE_SECRET_ARN: DATABASE_SECRET})

    assert loaded == DatabaseConfig(url=None, secret_id=DATABASE_SECRET)


def test_a_function_without_url_or_secret_names_both_variables() -> None:
    with pytest.raises(ConfigError) as refused:
        LoginConfig.from_environ(_without(config.DATABASE_URL))

    assert config.DATABASE_URL in str(refused.value)
    assert config.DATABASE_SECRET_ARN in str(refused.value)


def test_the_token_settings_default_to_an_hour_and_the_player_cap_to_ten_thousand() -> None:
    join = JoinQuizConfig.from_environ(COMPLETE)

    assert join.tokens == TokenConfig(COMPLETE[config.TOKEN_SECRET_ARN], 3600)
    assert join.max_players == 10_000
    assert LoginConfig.from_environ(COMPLETE).tokens == join.tokens


@pytest.mark.parametrize(
    ("load", "name", "value", "allowed"),
    [
        (JoinQuizConfig.from_environ, config.MAX_PLAYERS_PER_QUIZ, "0", "1..1000000"),
        (GameplayConfig.from_environ, config.MESSAGES_PER_SECOND, "0", "1..1000"),
        (GameplayConfig.from_environ, config.MESSAGES_PER_SECOND, "1001", "1..1000"),
        (TokenConfig.from_environ, config.TOKEN_TTL_SECONDS, "59", "60..86400"),
        (TokenConfig.from_environ, config.TOKEN_TTL_SECONDS, "86401", "60..86400"),
    ],
)
def test_limits_out_of_range_are_refused_with_the_range(
    load: Load, name: str, value: str, allowed: str
) -> None:
    with pytest.raises(ConfigError, match=f"{name}={value} is outside .* {allowed}"):
        load({**COMPLETE, name: value})


def test_the_configured_limits_are_read() -> None:
    environ = {**COMPLETE, config.MAX_PLAYERS_PER_QUIZ: "3", config.MESSAGES_PER_SECOND: "25"}

    assert JoinQuizConfig.from_environ(environ).max_players == 3
    assert GameplayConfig.from_environ(environ).messages_per_second == 25
