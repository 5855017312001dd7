"""Who may join: POST /join_quiz/{quiz_id}/{user_id} needs a token for that same user."""

from __future__ import annotations

import json
from typing import Any

import pytest

from quiz_core.security.tokens import issue_token
from tests.integration.handlers.harness import Aws, Invoke, QuizDatabase, SeededQuiz, now_ms
from tests.support.events import join_event


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed(players=2, joined=False)


def _join(
    join_quiz: Invoke, quiz: SeededQuiz, authorization: str | None, user: int = 0
) -> tuple[int, dict[str, Any]]:
    event = join_event(quiz.quiz_id, quiz.user_ids[user], time_ms=now_ms(), token=None)
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    response = join_quiz(event)
    return response["statusCode"], json.loads(response["body"])


def _tampered(token: str, part: int) -> str:
    """The token with one character of one part changed, still base64url."""
    parts = token.split(".")
    parts[part] = ("B" if parts[part][0] == "A" else "A") + parts[part][1:]
    return ".".join(parts)


def test_a_join_with_the_users_own_token_is_accepted(
    join_quiz: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    status, body = _join(join_quiz, quiz, f"Bearer {aws.token_for(quiz.user_ids[0])}")

    assert status == 200
    assert body["participation"]["user_id"] == quiz.user_ids[0]
    assert [row["user_id"] for row in quiz_db.participants(quiz.quiz_id)] == [quiz.user_ids[0]]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "<token>",
        "Bearer not-a-token",
        "Bearer a.b.c",
        "Bearer <token>.extra",
    ],
    ids=[
        "no header",
        "empty header",
        "scheme only",
        "scheme and a space",
        "basic auth",
        "token without scheme",
        "not a token",
        "three empty-ish parts",
        "four parts",
    ],
)
def test_a_join_without_a_usable_token_is_unauthorized_and_writes_nothing(
    authorization: str | None,
    join_quiz: Invoke,
    quiz: SeededQuiz,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    token = aws.token_for(quiz.user_ids[0])
    sent = authorization.replace("<token>", token) if authorization else authorization

    status, body = _join(join_quiz, quiz, sent)

    assert (status, body["code"]) == (401, "unauthorized")
    # A request without a bearer token is told how to send one; a token that was sent but
    # is not valid is told to log in again.
    assert "Authorization: Bearer" in body["message"] or "log in again" in body["message"]
    assert quiz_db.participants(quiz.quiz_id) == []


@pytest.mark.parametrize("part", [0, 1, 2], ids=["header", "claims", "signature"])
def test_a_join_with_a_tampered_token_is_unauthorized(
    part: int, join_quiz: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    token = _tampered(aws.token_for(quiz.user_ids[0]), part)

    status, body = _join(join_quiz, quiz, f"Bearer {token}")

    assert (status, body["code"]) == (401, "unauthorized")
    assert quiz_db.participants(quiz.quiz_id) == []


def test_a_join_with_a_token_signed_by_another_secret_is_unauthorized(
    join_quiz: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase
) -> None:
    forged = issue_token(quiz.user_ids[0], b"k" * 64, now_ms() // 1000)

    status, body = _join(join_quiz, quiz, f"Bearer {forged}")

    assert (status, body["code"]) == (401, "unauthorized")
    assert quiz_db.participants(quiz.quiz_id) == []


def test_a_join_with_an_expired_token_is_unauthorized_and_says_it_expired(
    join_quiz: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    two_hours_ago = now_ms() // 1000 - 7200
    expired = aws.token_for(quiz.user_ids[0], issued_at=two_hours_ago, ttl=3600)

    status, body = _join(join_quiz, quiz, f"Bearer {expired}")

    assert (status, body["code"]) == (401, "token_expired")
    assert "POST /login" in body["message"]
    assert quiz_db.participants(quiz.quiz_id) == []


def test_a_join_for_another_user_than_the_tokens_is_forbidden(
    join_quiz: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    someone_else = aws.token_for(quiz.user_ids[1])

    status, body = _join(join_quiz, quiz, f"Bearer {someone_else}", user=0)

    assert (status, body["code"]) == (403, "forbidden")
    assert quiz.user_ids[0] in body["message"]
    assert quiz_db.participants(quiz.quiz_id) == []


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_read_in_any_case(
    scheme: str, join_quiz: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    status, _ = _join(join_quiz, quiz, f"{scheme} {aws.token_for(quiz.user_ids[0])}")

    assert status == 200


def test_the_token_is_checked_before_the_quiz_is_looked_up(
    join_quiz: Invoke, quiz: SeededQuiz
) -> None:
    event = join_event("no_such_quiz", quiz.user_ids[0], time_ms=now_ms(), token=None)

    response = join_quiz(event)

    # Without a token nobody learns which quizzes exist.
    assert response["statusCode"] == 401
