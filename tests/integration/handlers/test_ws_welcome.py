"""The welcome: invoked asynchronously by $connect, it greets the new connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from quiz_core.config import DatabaseUrl, ManagementApiConfig
from quiz_core.delivery.management_api import Broadcaster, Delivery, ManagementApi
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.delivery.welcome_trigger import WelcomeRequest
from quiz_core.services.welcome import RETRY_DELAYS_SECONDS, deliver_welcome
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.database import Database
from quiz_core.storage.quiz_repository import QuizRepository
from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    now_ms,
    username,
)
from tests.support.events import new_connection_id, websocket_event, welcome_event
from tests.support.fake_aws import FakeManagementApi


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed()


def _registered(aws: Aws, quiz: SeededQuiz, user_id: str) -> WelcomeRequest:
    """A connection registered by $connect, and the welcome request it sent."""
    connection_id, at_ms = new_connection_id(), now_ms()
    aws.register(connection_id, quiz.quiz_id, user_id, at_ms)
    return WelcomeRequest(connection_id, quiz.quiz_id, user_id, MANAGEMENT_API_ENDPOINT, at_ms)


def _event(request: WelcomeRequest) -> dict[str, object]:
    return welcome_event(
        connection_id=request.connection_id,
        quiz_id=request.quiz_id,
        user_id=request.user_id,
        endpoint=request.endpoint,
        requested_at_ms=request.requested_at_ms,
    )


def test_the_welcome_greets_the_player_by_quiz_and_user_id(
    ws_welcome: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])

    assert ws_welcome(_event(request)) == {"delivery": "delivered"}

    welcome = aws.posts_to(request.connection_id)[0]
    assert welcome["type"] == "welcome"
    assert welcome["message"] == f"Welcome to quiz {quiz.quiz_id}, user {quiz.user_ids[0]}"
    assert welcome["user"] == {
        "user_id": quiz.user_ids[0],
        "username": username(quiz.user_ids[0]),
        "score": 0,
    }


def test_a_new_player_of_a_running_quiz_gets_the_welcome_then_the_first_question(
    ws_welcome: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])
    first = quiz.questions[0]

    ws_welcome(_event(request))

    welcome, question = aws.posts_to(request.connection_id)
    assert welcome["quiz"] == {
        "quiz_id": quiz.quiz_id,
        "name": quiz.name,
        "start_time": quiz.start.isoformat(),
        "end_time": quiz.end.isoformat(),
        "starts_at": quiz.start_ms,
        "ends_at": quiz.end_ms,
        "phase": "open",
        "question_count": len(quiz.questions),
    }
    served_at = welcome["now"]
    # Exactly these keys: no correct_choice, nor anything else that would give it away.
    assert question == {
        "type": "question",
        "quiz_id": quiz.quiz_id,
        "index": 0,
        "total": len(quiz.questions),
        "question_id": first.question_id,
        "category": "vocabulary",
        "prompt": f"Prompt of {first.question_id}?",
        "choices": list(first.choices),
        "points": first.points,
        "time_limit_ms": first.time_limit_ms,
        "opens_at": served_at,
        "closes_at": served_at + first.time_limit_ms,
        "now": served_at,
    }
    assert quiz_db.servings(quiz.quiz_id, quiz.user_ids[0]) == [
        {
            "question_id": first.question_id,
            "question_index": 0,
            "served_at_ms": served_at,
            "closes_at_ms": served_at + first.time_limit_ms,
        }
    ]


def test_the_welcome_carries_the_current_leaderboard_and_the_players_rank(
    ws_welcome: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    first, second, third = quiz.user_ids
    quiz_db.seed_answer(quiz, third, 2, points=300)
    request = _registered(aws, quiz, first)

    ws_welcome(_event(request))

    welcome = aws.posts_to(request.connection_id)[0]
    assert welcome["leaderboard"] == [
        {"rank": 1, "user_id": third, "username": username(third), "score": 300},
        {"rank": 2, "user_id": first, "username": username(first), "score": 0},
        {"rank": 3, "user_id": second, "username": username(second), "score": 0},
    ]
    assert welcome["you"] == {"rank": 2, "score": 0, "players": 3}


def test_a_player_connecting_in_the_lobby_gets_the_welcome_and_no_question(
    ws_welcome: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    lobby = quiz_db.seed(opened=-timedelta(minutes=10), players=1)
    request = _registered(aws, lobby, lobby.user_ids[0])

    assert ws_welcome(_event(request)) == {"delivery": "delivered"}

    (welcome,) = aws.posts_to(request.connection_id)
    assert welcome["type"] == "welcome"
    assert welcome["quiz"]["phase"] == "upcoming"
    assert quiz_db.servings(lobby.quiz_id, lobby.user_ids[0]) == []


def test_a_reconnect_in_the_middle_of_a_question_gets_its_window_and_the_time_left(
    ws_welcome: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    player = quiz.user_ids[0]
    first_connection = _registered(aws, quiz, player)
    ws_welcome(_event(first_connection))
    _, question = aws.posts_to(first_connection.connection_id)
    reconnection = _registered(aws, quiz, player)

    ws_welcome(_event(reconnection))

    welcome, state = aws.posts_to(reconnection.connection_id)
    assert (welcome["type"], state["type"]) == ("welcome", "state")
    assert state["current_question"] == {**question, "now": state["now"]}
    assert state["remaining_ms"] == question["closes_at"] - state["now"]
    assert state["answered"] == []
    assert state["you"] == {"rank": 1, "score": 0, "players": 3}


def test_the_welcome_asked_for_by_connect_reaches_the_new_connection(
    ws_connect: Invoke, ws_welcome: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = new_connection_id()
    ws_connect(
        websocket_event(
            "ws_connect",
            connection_id=connection_id,
            request_time_ms=now_ms(),
            query={"quiz_id": quiz.quiz_id, "token": aws.token_for(quiz.user_ids[1])},
            authorized_user_id=quiz.user_ids[1],
        )
    )
    (invocation,) = aws.invocations.invocations

    assert ws_welcome(invocation.payload) == {"delivery": "delivered"}
    welcome, question = aws.posts_to(connection_id)
    assert welcome["message"] == f"Welcome to quiz {quiz.quiz_id}, user {quiz.user_ids[1]}"
    assert question["question_id"] == quiz.questions[0].question_id


def test_the_welcome_is_retried_until_the_connection_is_open(
    ws_welcome: Invoke, gone_api: FakeManagementApi, quiz: SeededQuiz, aws: Aws
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])
    gone_api.make_gone(request.connection_id, posts=2)

    assert ws_welcome(_event(request)) == {"delivery": "delivered"}

    # Two refused welcomes, the delivered one, then the question.
    assert gone_api.attempts_to(request.connection_id) == 4
    assert [m["type"] for m in gone_api.messages_to(request.connection_id)] == [
        "welcome",
        "question",
    ]
    assert gone_api.endpoints == {MANAGEMENT_API_ENDPOINT}
    assert aws.connection_item(request.connection_id) is not None


@pytest.mark.parametrize("reason", ["not a participant", "quiz deleted"])
def test_a_player_no_longer_allowed_in_is_disconnected_instead_of_welcomed(
    reason: str,
    ws_welcome: Invoke,
    gone_api: FakeManagementApi,
    quiz: SeededQuiz,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])
    if reason == "not a participant":
        quiz_db.conn.execute("DELETE FROM participants WHERE quiz_id = %s", (quiz.quiz_id,))
    else:
        quiz_db.conn.execute("DELETE FROM quizzes WHERE quiz_id = %s", (quiz.quiz_id,))

    assert ws_welcome(_event(request)) == {"delivery": "refused"}

    assert gone_api.messages_to(request.connection_id) == []
    assert gone_api.deleted == [request.connection_id]
    assert aws.connection_item(request.connection_id) is None


# The handler sleeps for real between retries (about 12 s when every post is refused), so
# the exhausted-retries case runs the service it calls, with a sleep that only records.


@pytest.fixture
def channel(aws: Aws, gone_api: FakeManagementApi) -> QuizChannel:
    api = ManagementApi(ManagementApiConfig(MANAGEMENT_API_ENDPOINT, 4, 2))
    return QuizChannel(api, Broadcaster(api, 4), ConnectionRegistry(aws.table_name, aws.dynamodb))


@pytest.fixture
def repository(database_url: str) -> Iterator[QuizRepository]:
    database = Database(DatabaseUrl(database_url))
    yield QuizRepository(database)
    database.close()


def test_a_connection_that_never_opens_is_forgotten_after_the_last_retry(
    repository: QuizRepository,
    channel: QuizChannel,
    gone_api: FakeManagementApi,
    quiz: SeededQuiz,
    aws: Aws,
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])
    gone_api.make_gone(request.connection_id)
    slept: list[float] = []

    delivery = deliver_welcome(repository, channel, request, now_ms, sleep=slept.append)

    assert delivery is Delivery.GONE
    assert slept == list(RETRY_DELAYS_SECONDS)
    assert gone_api.attempts_to(request.connection_id) == len(RETRY_DELAYS_SECONDS) + 1
    assert aws.connection_item(request.connection_id) is None


def test_retries_wait_only_while_the_connection_is_not_open(
    repository: QuizRepository,
    channel: QuizChannel,
    gone_api: FakeManagementApi,
    quiz: SeededQuiz,
    aws: Aws,
) -> None:
    request = _registered(aws, quiz, quiz.user_ids[0])
    gone_api.make_gone(request.connection_id, posts=2)
    slept: list[float] = []

    delivery = deliver_welcome(repository, channel, request, now_ms, sleep=slept.append)

    assert delivery is Delivery.DELIVERED
    assert slept == list(RETRY_DELAYS_SECONDS[:2])
    assert aws.connection_item(request.connection_id) is not None
