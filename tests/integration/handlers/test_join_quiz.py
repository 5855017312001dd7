"""POST /join_quiz/{quiz_id}/{user_id} through the join_quiz handler.

Every join carries a token for the user it names, signed with the test's signing secret,
unless the test is about the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from quiz_core.security.tokens import verify_token
from tests.integration.handlers.harness import (
    WEBSOCKET_URL,
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    now_ms,
)
from tests.support.events import join_event

Join = Callable[[str, str, int], tuple[int, Any]]


def _reply(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def join(join_quiz: Invoke, aws: Aws) -> Join:
    """Joins as the user named in the path, with a valid token for that user."""

    def invoke(quiz_id: str, user_id: str, at_ms: int) -> tuple[int, Any]:
        token = aws.token_for(user_id)
        return _reply(join_quiz(join_event(quiz_id, user_id, time_ms=at_ms, token=token)))

    return invoke


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed(joined=False)


def test_joining_an_open_quiz_returns_the_participation_and_where_to_connect(
    join: Join, quiz: SeededQuiz, aws: Aws
) -> None:
    user_id = quiz.user_ids[0]

    status, body = join(quiz.quiz_id, user_id, quiz.during_ms)

    assert status == 200
    participation = body["participation"]
    assert (participation["quiz_id"], participation["user_id"]) == (quiz.quiz_id, user_id)
    assert (participation["score"], participation["newly_joined"]) == (0, True)
    url = urlsplit(body["websocket_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == WEBSOCKET_URL
    query = parse_qs(url.query)
    assert set(query) == {"quiz_id", "token"}
    assert query["quiz_id"] == [quiz.quiz_id]
    # The caller's own token, which the $connect authorizer will read.
    (token,) = query["token"]
    assert verify_token(token, aws.token_secret.encode(), now_ms() // 1000).user_id == user_id
    assert body["quiz"]["quiz_id"] == quiz.quiz_id
    assert body["quiz"]["phase"] == "open"
    assert body["quiz"]["question_count"] == len(quiz.questions)


def test_joining_twice_keeps_one_participation(
    join: Join, quiz: SeededQuiz, quiz_db: QuizDatabase
) -> None:
    user_id = quiz.user_ids[0]

    first = join(quiz.quiz_id, user_id, quiz.during_ms)
    second = join(quiz.quiz_id, user_id, quiz.during_ms + 1000)

    assert first[1]["participation"]["newly_joined"] is True
    assert second[0] == 200
    assert second[1]["participation"]["newly_joined"] is False
    assert second[1]["participation"]["joined_at"] == first[1]["participation"]["joined_at"]
    assert quiz_db.participants(quiz.quiz_id) == [{"user_id": user_id, "score": 0}]


def test_a_quiz_can_be_joined_in_its_lobby_before_it_starts(
    join: Join, quiz_db: QuizDatabase
) -> None:
    later = quiz_db.seed(opened=-timedelta(minutes=10), joined=False)

    status, body = join(later.quiz_id, later.user_ids[0], now_ms())

    assert status == 200
    assert body["quiz"]["phase"] == "upcoming"


def test_an_unknown_quiz_is_not_found(join: Join, quiz: SeededQuiz) -> None:
    status, body = join("no_such_quiz", quiz.user_ids[0], quiz.during_ms)

    assert status == 404
    assert body["code"] == "quiz_not_found"
    assert "no_such_quiz" in body["message"]


def test_an_unknown_user_is_not_found(join: Join, quiz: SeededQuiz) -> None:
    status, body = join(quiz.quiz_id, "no_such_user", quiz.during_ms)

    assert status == 404
    assert body["code"] == "user_not_found"
    assert "no_such_user" in body["message"]


def test_an_ended_quiz_is_refused_with_its_end_time(
    join: Join, quiz: SeededQuiz, quiz_db: QuizDatabase
) -> None:
    status, body = join(quiz.quiz_id, quiz.user_ids[0], quiz.end_ms)

    assert status == 409
    assert body["code"] == "quiz_ended"
    assert body["end_time"] == quiz.end.isoformat()
    assert quiz_db.participants(quiz.quiz_id) == []


@pytest.mark.parametrize(
    ("quiz_id", "user_id", "field"),
    [
        ("voc.2024", "1a2b3c", "quiz_id"),
        ("voc2024", "x" * 65, "user_id"),
        ("voc2024", "j%C3%B6rg", "user_id"),
    ],
)
def test_a_malformed_id_is_a_bad_request(
    join: Join, quiz_id: str, user_id: str, field: str
) -> None:
    status, body = join(quiz_id, user_id, now_ms())

    assert status == 400
    assert (body["code"], body["field"]) == ("invalid_request", field)


def test_every_refusal_has_a_code_and_a_message(join: Join, quiz: SeededQuiz) -> None:
    refusals = [
        ("no_such_quiz", quiz.user_ids[0], quiz.during_ms),
        (quiz.quiz_id, "no_such_user", quiz.during_ms),
        (quiz.quiz_id, quiz.user_ids[0], quiz.end_ms + 1),
        ("bad.id", quiz.user_ids[0], quiz.during_ms),
    ]

    for quiz_id, user_id, at_ms in refusals:
        status, body = join(quiz_id, user_id, at_ms)
        assert status >= 400
        assert {type(body.get("code")), type(body.get("message"))} == {str}
        assert all(body[key] for key in ("code", "message"))


def test_a_join_after_the_database_dropped_the_connection_still_succeeds(
    join: Join, quiz: SeededQuiz, quiz_db: QuizDatabase
) -> None:
    before = set(quiz_db.backend_pids("quiz-backend"))
    assert join(quiz.quiz_id, quiz.user_ids[0], quiz.during_ms)[0] == 200
    (warm_connection,) = set(quiz_db.backend_pids("quiz-backend")) - before

    quiz_db.terminate(warm_connection)
    status, body = join(quiz.quiz_id, quiz.user_ids[1], quiz.during_ms)

    assert status == 200
    assert body["participation"]["newly_joined"] is True
    assert warm_connection not in quiz_db.backend_pids("quiz-backend")
