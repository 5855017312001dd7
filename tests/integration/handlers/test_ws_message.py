"""WebSocket messages (answer, leaderboard, ping, $default) through the ws_message handler."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.handlers.harness import (
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    username,
)
from tests.support.events import new_connection_id, websocket_event
from tests.support.fake_aws import FakeManagementApi

EVENT_OF_ACTION = {
    "answer": "ws_message_answer",
    "leaderboard": "ws_message_leaderboard",
    "ping": "ws_message_ping",
}


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed()


def _connected(aws: Aws, quiz: SeededQuiz, user_id: str) -> str:
    connection_id = new_connection_id()
    aws.register(connection_id, quiz.quiz_id, user_id, quiz.start_ms)
    return connection_id


def _send(
    ws_message: Invoke, connection_id: str, at_ms: int, body: dict[str, Any] | str
) -> dict[str, Any]:
    """Sends a message on the route API Gateway would pick for it."""
    action = body.get("action") if isinstance(body, dict) else None
    event = websocket_event(
        EVENT_OF_ACTION.get(str(action), "ws_message_default"),
        connection_id=connection_id,
        request_time_ms=at_ms,
        body=body,
    )
    response: dict[str, Any] = ws_message(event)
    return response


def _answer(question_id: str, choice: object, **extra: object) -> dict[str, Any]:
    return {"action": "answer", "question_id": question_id, "choice": choice, **extra}


def _types(messages: list[dict[str, Any]]) -> list[str]:
    return [message["type"] for message in messages]


def test_a_correct_answer_is_stored_scored_and_confirmed(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[1]
    connection_id = _connected(aws, quiz, player)

    response = _send(ws_message, connection_id, quiz.during_ms, _answer(question.question_id, 1))

    assert response == {"statusCode": 200}
    result = aws.posts_to(connection_id)[0]
    assert result == {
        "type": "answer_result",
        "question_id": question.question_id,
        "choice": 1,
        "correct": True,
        "points": 200,
        "total_score": 200,
        "already_answered": False,
    }
    assert quiz_db.answers(quiz.quiz_id) == [
        {
            "user_id": player,
            "question_id": question.question_id,
            "choice": 1,
            "is_correct": True,
            "points_awarded": 200,
        }
    ]
    assert quiz_db.score(quiz.quiz_id, player) == 200


def test_a_wrong_answer_is_stored_with_no_points(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = _connected(aws, quiz, player)

    _send(ws_message, connection_id, quiz.during_ms, _answer(question.question_id, 3))

    result = aws.posts_to(connection_id)[0]
    assert (result["correct"], result["points"], result["total_score"]) == (False, 0, 0)
    assert [row["is_correct"] for row in quiz_db.answers(quiz.quiz_id)] == [False]


def test_answering_again_replies_the_first_result_and_changes_nothing(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = _connected(aws, quiz, player)
    first = _answer(question.question_id, question.correct_choice)
    _send(ws_message, connection_id, quiz.during_ms, first)

    again = _answer(question.question_id, question.wrong_choice)
    _send(ws_message, connection_id, quiz.during_ms + 5_000, again)

    replies = aws.posts_to(connection_id)
    assert _types(replies) == ["answer_result", "leaderboard", "answer_result"]
    assert replies[2] == {**replies[0], "already_answered": True}
    assert len(quiz_db.answers(quiz.quiz_id)) == 1
    assert quiz_db.score(quiz.quiz_id, player) == question.points


def test_a_scored_answer_sends_the_leaderboard_to_every_connection_of_the_quiz(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connections = [_connected(aws, quiz, user_id) for user_id in quiz.user_ids]
    elsewhere = quiz_db.seed(players=1)
    other_quiz_connection = _connected(aws, elsewhere, elsewhere.user_ids[0])
    question = quiz.questions[2]

    _send(ws_message, connections[1], quiz.during_ms, _answer(question.question_id, 2))

    expected_entries = [
        {
            "rank": 1,
            "user_id": quiz.user_ids[1],
            "username": username(quiz.user_ids[1]),
            "score": 300,
        },
        {
            "rank": 2,
            "user_id": quiz.user_ids[0],
            "username": username(quiz.user_ids[0]),
            "score": 0,
        },
        {
            "rank": 3,
            "user_id": quiz.user_ids[2],
            "username": username(quiz.user_ids[2]),
            "score": 0,
        },
    ]
    for connection_id in connections:
        (update,) = [m for m in aws.posts_to(connection_id) if m["type"] == "leaderboard"]
        assert update == {
            "type": "leaderboard",
            "quiz_id": quiz.quiz_id,
            "entries": expected_entries,
            "server_time": quiz.during_ms,
        }
    assert aws.posts_to(other_quiz_connection) == []


def test_a_connection_gone_during_a_broadcast_is_forgotten_and_the_others_still_receive(
    ws_message: Invoke, gone_api: FakeManagementApi, quiz: SeededQuiz, aws: Aws
) -> None:
    sender, gone, listener = (_connected(aws, quiz, user_id) for user_id in quiz.user_ids)
    gone_api.make_gone(gone)

    _send(ws_message, sender, quiz.during_ms, _answer(quiz.questions[0].question_id, 0))

    assert gone_api.attempts_to(gone) == 1
    assert aws.connection_item(gone) is None
    assert _types(gone_api.messages_to(sender)) == ["answer_result", "leaderboard"]
    assert _types(gone_api.messages_to(listener)) == ["leaderboard"]
    assert aws.connection_ids() >= {sender, listener}


def test_the_leaderboard_action_replies_the_leaderboard_to_the_sender_only(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    asker, listener = (_connected(aws, quiz, user_id) for user_id in quiz.user_ids[:2])
    quiz_db.conn.execute(
        "UPDATE participants SET score = 500 WHERE quiz_id = %s AND user_id = %s",
        (quiz.quiz_id, quiz.user_ids[2]),
    )

    _send(ws_message, asker, quiz.during_ms, {"action": "leaderboard"})

    (reply,) = aws.posts_to(asker)
    assert reply["type"] == "leaderboard"
    assert reply["quiz_id"] == quiz.quiz_id
    assert [(e["rank"], e["user_id"], e["score"]) for e in reply["entries"]] == [
        (1, quiz.user_ids[2], 500),
        (2, quiz.user_ids[0], 0),
        (3, quiz.user_ids[1], 0),
    ]
    assert aws.posts_to(listener) == []


def test_a_ping_is_answered_with_pong_and_keeps_the_connection_row_alive(
    ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = _connected(aws, quiz, quiz.user_ids[0])
    at_ms = quiz.during_ms + 90 * 60_000

    _send(ws_message, connection_id, at_ms, {"action": "ping"})

    assert aws.posts_to(connection_id) == [{"type": "pong", "server_time": at_ms}]
    item = aws.connection_item(connection_id)
    assert item is not None
    assert int(item["expires_at"]) == at_ms // 1000 + 2 * 3600 + 600


@pytest.mark.parametrize(
    "body",
    [{"action": "dance"}, {"question_id": "q1", "choice": 0}, {"action": None}],
    ids=["unknown action", "no action", "null action"],
)
def test_a_message_with_no_known_action_is_answered_with_the_valid_actions(
    body: dict[str, Any], ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = _connected(aws, quiz, quiz.user_ids[0])

    response = _send(ws_message, connection_id, quiz.during_ms, body)

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "invalid_request")
    for action in ("answer", "leaderboard", "ping"):
        assert f'"action": "{action}"' in reply["message"]


@pytest.mark.parametrize(
    "body",
    ['{"action": "answer", "question_id": "q1", "choice": ', "", "[1, 2]", '"answer"', "null"],
    ids=["truncated JSON", "empty", "array", "string", "null"],
)
def test_a_message_that_is_not_a_json_object_is_answered_with_invalid_request(
    body: str, ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = _connected(aws, quiz, quiz.user_ids[0])

    response = _send(ws_message, connection_id, quiz.during_ms, body)

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "invalid_request")
    assert quiz_db.answers(quiz.quiz_id) == []


@pytest.mark.parametrize(
    ("question", "choice", "at", "code"),
    [
        ("of another quiz", 0, "during", "question_not_in_quiz"),
        ("unknown", 0, "during", "question_not_in_quiz"),
        ("of this quiz", 4, "during", "invalid_choice"),
        ("of this quiz", -1, "during", "invalid_choice"),
        ("of this quiz", True, "during", "invalid_request"),
        ("of this quiz", "0", "during", "invalid_request"),
        ("of this quiz", 0, "before start", "quiz_not_started"),
        ("of this quiz", 0, "at end", "quiz_ended"),
        ("of this quiz", 0, "after end", "quiz_ended"),
    ],
)
def test_a_refused_answer_gets_its_error_code_and_stores_nothing(
    question: str,
    choice: object,
    at: str,
    code: str,
    ws_message: Invoke,
    quiz: SeededQuiz,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    sender, listener = (_connected(aws, quiz, user_id) for user_id in quiz.user_ids[:2])
    question_id = {
        "of another quiz": quiz_db.seed(players=0).questions[0].question_id,
        "unknown": "no_such_question",
        "of this quiz": quiz.questions[0].question_id,
    }[question]
    at_ms = {
        "during": quiz.during_ms,
        "before start": quiz.start_ms - 1,
        "at end": quiz.end_ms,
        "after end": quiz.end_ms + 60_000,
    }[at]

    response = _send(ws_message, sender, at_ms, _answer(question_id, choice))

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(sender)
    assert (reply["type"], reply["code"]) == ("error", code)
    assert quiz_db.answers(quiz.quiz_id) == []
    assert quiz_db.score(quiz.quiz_id, quiz.user_ids[0]) == 0
    assert aws.posts_to(listener) == []


def test_an_answer_exactly_at_the_start_is_accepted(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = _connected(aws, quiz, quiz.user_ids[0])

    _send(ws_message, connection_id, quiz.start_ms, _answer(quiz.questions[0].question_id, 0))

    assert aws.posts_to(connection_id)[0]["type"] == "answer_result"
    assert len(quiz_db.answers(quiz.quiz_id)) == 1


def test_the_player_is_the_one_registered_for_the_connection_not_one_named_in_the_message(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, impersonated = quiz.user_ids[0], quiz.user_ids[1]
    connection_id = _connected(aws, quiz, player)
    question = quiz.questions[0]
    message = _answer(
        question.question_id, question.correct_choice, user_id=impersonated, quiz_id="other"
    )

    _send(ws_message, connection_id, quiz.during_ms, message)

    assert [row["user_id"] for row in quiz_db.answers(quiz.quiz_id)] == [player]
    assert quiz_db.score(quiz.quiz_id, player) == question.points
    assert quiz_db.score(quiz.quiz_id, impersonated) == 0


def test_a_message_from_an_unregistered_connection_is_refused(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = new_connection_id()

    _send(ws_message, connection_id, quiz.during_ms, _answer(quiz.questions[0].question_id, 0))

    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "unknown_connection")
    assert quiz_db.answers(quiz.quiz_id) == []
