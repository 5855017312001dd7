"""WebSocket $connect through the ws_connect handler.

API Gateway runs the handler only after the authorizer admitted the connection, and passes
the authorizer's context on: the events carry ``requestContext.authorizer.user_id``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    WELCOME_FUNCTION_NAME,
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    now_ms,
)
from tests.support.events import new_connection_id, websocket_event


def _connect_event(
    connection_id: str, at_ms: int, quiz_id: str | None, user_id: str
) -> dict[str, object]:
    return websocket_event(
        "ws_connect",
        connection_id=connection_id,
        request_time_ms=at_ms,
        query={"quiz_id": quiz_id, "token": "checked-by-the-authorizer"},
        authorized_user_id=user_id,
    )


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed()


def test_a_participant_of_an_open_quiz_is_admitted_and_registered(
    ws_connect: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id, at_ms = new_connection_id(), now_ms()

    response = ws_connect(_connect_event(connection_id, at_ms, quiz.quiz_id, quiz.user_ids[0]))

    assert response == {"statusCode": 200}
    assert aws.connection_item(connection_id) == {
        "connection_id": connection_id,
        "quiz_id": quiz.quiz_id,
        "user_id": quiz.user_ids[0],
        "player_connection": f"{quiz.user_ids[0]}#{connection_id}",
        "connected_at": str(at_ms),
        # Two hours (API Gateway's longest connection) and ten minutes.
        "expires_at": str(at_ms // 1000 + 2 * 3600 + 600),
    }


def test_an_admitted_connection_asks_for_its_welcome_asynchronously(
    ws_connect: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id, at_ms = new_connection_id(), now_ms()

    ws_connect(_connect_event(connection_id, at_ms, quiz.quiz_id, quiz.user_ids[0]))

    (invocation,) = aws.invocations.invocations
    assert invocation.function_name == WELCOME_FUNCTION_NAME
    assert invocation.invocation_type == "Event"
    assert invocation.payload == {
        "connection_id": connection_id,
        "quiz_id": quiz.quiz_id,
        "user_id": quiz.user_ids[0],
        "endpoint": MANAGEMENT_API_ENDPOINT,
        "requested_at_ms": at_ms,
    }


def test_a_connection_whose_welcome_cannot_be_requested_fails_and_leaves_no_row(
    ws_connect: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = new_connection_id()
    aws.invocations.refuse()

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        ws_connect(_connect_event(connection_id, now_ms(), quiz.quiz_id, quiz.user_ids[0]))

    assert aws.connection_item(connection_id) is None
    assert aws.invocations.invocations == []


def test_a_participant_may_connect_in_the_lobby_before_the_start(
    ws_connect: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    later = quiz_db.seed(opened=-timedelta(minutes=10))
    connection_id = new_connection_id()

    response = ws_connect(_connect_event(connection_id, now_ms(), later.quiz_id, later.user_ids[0]))

    assert response == {"statusCode": 200}
    assert aws.connection_item(connection_id) is not None


def test_the_connection_is_the_authorized_users_whatever_the_query_string_says(
    ws_connect: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    player, other = quiz.user_ids[0], quiz.user_ids[1]
    connection_id = new_connection_id()
    event = websocket_event(
        "ws_connect",
        connection_id=connection_id,
        request_time_ms=now_ms(),
        query={"quiz_id": quiz.quiz_id, "user_id": other, "token": "for the player"},
        authorized_user_id=player,
    )

    assert ws_connect(event) == {"statusCode": 200}

    item = aws.connection_item(connection_id)
    assert item is not None
    assert (item["user_id"], item["player_connection"]) == (player, f"{player}#{connection_id}")
    (invocation,) = aws.invocations.invocations
    assert invocation.payload["user_id"] == player


QUIZ, PLAYER, OUTSIDER = "<quiz>", "<player>", "<outsider>"


@pytest.mark.parametrize(
    ("quiz_id", "user_id", "at"),
    [
        pytest.param(QUIZ, OUTSIDER, "during", id="user has not joined"),
        pytest.param(QUIZ, "no_such_user", "during", id="no such user"),
        pytest.param("no_such_quiz", PLAYER, "during", id="no such quiz"),
        pytest.param(QUIZ, PLAYER, "after end", id="quiz ended"),
        pytest.param(QUIZ, PLAYER, "at end", id="exactly at the end"),
        pytest.param(None, PLAYER, "during", id="no quiz_id"),
        pytest.param(QUIZ, None, "during", id="no authorizer context"),
        pytest.param(QUIZ, "", "during", id="empty authorized user"),
        pytest.param("quiz'; --", PLAYER, "during", id="malformed id"),
    ],
)
def test_a_refused_connection_gets_403_and_leaves_no_trace(
    quiz_id: str | None,
    user_id: str | None,
    at: str,
    ws_connect: Invoke,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    quiz = quiz_db.seed(players=1)
    names = {
        QUIZ: quiz.quiz_id,
        PLAYER: quiz.user_ids[0],
        OUTSIDER: quiz_db.seed(players=1, joined=False).user_ids[0],
    }
    at_ms = {"during": quiz.during_ms, "after end": quiz.end_ms + 60_000, "at end": quiz.end_ms}
    connection_id = new_connection_id()

    event = websocket_event(
        "ws_connect",
        connection_id=connection_id,
        request_time_ms=at_ms[at],
        query={"quiz_id": names.get(str(quiz_id), quiz_id), "token": "checked before"},
        authorized_user_id=None if user_id is None else names.get(user_id, user_id),
        unauthorized=user_id is None,
    )
    response = ws_connect(event)

    assert response == {"statusCode": 403}
    assert aws.connection_item(connection_id) is None
    assert aws.invocations.invocations == []


def test_a_message_routed_to_the_connect_function_registers_nothing(
    ws_connect: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = new_connection_id()
    event = _connect_event(connection_id, now_ms(), quiz.quiz_id, quiz.user_ids[0])
    event["requestContext"]["eventType"] = "MESSAGE"  # type: ignore[index]
    event["body"] = '{"action": "$connect"}'

    assert ws_connect(event) == {"statusCode": 200}
    assert aws.connection_item(connection_id) is None
    assert aws.invocations.invocations == []
