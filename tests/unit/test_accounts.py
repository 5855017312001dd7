"""Accounts: reading the bearer token of a request, checking who it names, logging in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from quiz_core.errors import Forbidden, InvalidCredentials, Unauthorized
from quiz_core.security.passwords import hash_password
from quiz_core.security.tokens import TokenClaims, issue_token, verify_token
from quiz_core.services.accounts import bearer_token, claims_of, ensure_acting_as, log_in

SECRET = b"s" * 64
NOW = 1_732_870_650
T = TypeVar("T")


def _event(headers: dict[str, Any] | None) -> dict[str, Any]:
    return {"headers": headers}


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({"authorization": "Bearer abc.def.ghi"}, "abc.def.ghi"),
        ({"Authorization": "Bearer abc.def.ghi"}, "abc.def.ghi"),
        ({"AUTHORIZATION": "bearer abc.def.ghi"}, "abc.def.ghi"),
        ({"authorization": "BEARER abc.def.ghi"}, "abc.def.ghi"),
        ({"authorization": "  Bearer abc.def.ghi  "}, "abc.def.ghi"),
        ({"authorization": "Bearer   abc.def.ghi"}, "abc.def.ghi"),
    ],
    ids=["lower case", "canonical", "upper case name", "upper case scheme", "padded", "spaces"],
)
def test_a_bearer_token_is_read_whatever_the_case_and_spacing(
    headers: dict[str, Any], token: str
) -> None:
    assert bearer_token(_event(headers)) == token


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"authorization": ""},
        {"authorization": "   "},
        {"authorization": "Bearer"},
        {"authorization": "Bearer    "},
        {"authorization": "abc.def.ghi"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Token abc.def.ghi"},
        {"authorization": "Bearer\tabc.def.ghi"},
        {"authorization": "Bearerabc.def.ghi"},
        {"x-authorization": "Bearer abc.def.ghi"},
        {"authorization": None},
    ],
    ids=[
        "no headers",
        "empty headers",
        "empty",
        "blank",
        "scheme only",
        "scheme and spaces",
        "no scheme",
        "basic",
        "other scheme",
        "tab",
        "no separator",
        "other header",
        "null value",
    ],
)
def test_a_request_without_a_bearer_token_is_unauthorized(headers: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthorized) as refused:
        bearer_token(_event(headers))

    assert refused.value.code == "unauthorized"


def test_the_claims_of_a_valid_token_name_its_user() -> None:
    token = issue_token("1a2b3c", SECRET, NOW)

    assert claims_of(token, SECRET, NOW + 10) == TokenClaims("1a2b3c", NOW, NOW + 3600)
    moment = datetime.fromtimestamp(NOW + 10, tz=UTC)
    assert claims_of(token, SECRET, moment).user_id == "1a2b3c"


def test_an_invalid_token_is_unauthorized_and_an_expired_one_says_so() -> None:
    token = issue_token("1a2b3c", SECRET, NOW, ttl_seconds=60)

    with pytest.raises(Unauthorized) as invalid:
        claims_of(token[:-2], SECRET, NOW)
    with pytest.raises(Unauthorized) as expired:
        claims_of(token, SECRET, NOW + 60)

    assert invalid.value.code == "unauthorized"
    assert expired.value.code == "token_expired"
    # The reason stays in the chained error, for the log; the client sees only the code.
    assert "expired" not in invalid.value.message
    assert expired.value.__cause__ is not None


def test_acting_as_the_tokens_own_user_is_allowed_and_as_anyone_else_forbidden() -> None:
    claims = TokenClaims("1a2b3c", NOW, NOW + 3600)

    ensure_acting_as(claims, "1a2b3c")
    for other in ("4d5e6f", "1A2B3C", "1a2b3c ", ""):
        with pytest.raises(Forbidden):
            ensure_acting_as(claims, other)


class FakeRepository:
    """Answers ``credentials`` from a dict, as QuizRepository does from the users table."""

    def __init__(self, users: dict[str, tuple[str, str]]) -> None:
        self._users = users
        self.lookups: list[str] = []

    def transaction(self, work: Callable[[FakeRepository], T]) -> T:
        return work(self)

    def credentials(self, username: str) -> tuple[str, str] | None:
        self.lookups.append(username)
        return self._users.get(username)


@pytest.fixture(scope="module")
def repository() -> FakeRepository:
    return FakeRepository({"john_doe": ("1a2b3c", hash_password("password123"))})


def _log_in(repository: FakeRepository, username: str, password: str) -> Any:
    return log_in(repository, username, password, SECRET, NOW, 600)  # type: ignore[arg-type]


def test_logging_in_with_the_right_password_gives_a_token_for_the_user(
    repository: FakeRepository,
) -> None:
    login = _log_in(repository, "john_doe", "password123")

    assert (login.user_id, login.username, login.expires_at) == ("1a2b3c", "john_doe", NOW + 600)
    assert verify_token(login.token, SECRET, NOW) == TokenClaims("1a2b3c", NOW, NOW + 600)


@pytest.mark.parametrize(
    ("username", "password"),
    [("john_doe", "password124"), ("john_doe", ""), ("nobody", "password123"), ("", "")],
    ids=["wrong password", "empty password", "unknown user", "nothing"],
)
def test_a_wrong_password_and_an_unknown_user_fail_alike(
    username: str, password: str, repository: FakeRepository
) -> None:
    with pytest.raises(InvalidCredentials) as refused:
        _log_in(repository, username, password)

    assert refused.value.message == InvalidCredentials().message
    assert repository.lookups[-1] == username


def test_a_token_that_was_sent_but_is_not_valid_is_told_to_log_in_again() -> None:
    with pytest.raises(Unauthorized) as sent:
        claims_of("not.a.token", SECRET, NOW)
    with pytest.raises(Unauthorized) as missing:
        bearer_token({"headers": {}})

    assert "log in again" in sent.value.message
    assert "Authorization: Bearer" in missing.value.message
