"""The original demo's flow on the deployed stack: join, connect, be welcomed, play."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from websockets.exceptions import InvalidStatus

from tests.stack.client import Player, post
from tests.stack.conftest import DeployedStack, SeededQuiz
from tools.load_sample_data import load_sample_data

pytestmark = pytest.mark.stack


def join(stack: DeployedStack, quiz_id: str, user_id: str) -> dict[str, Any]:
    token = stack.log_in(f"player {user_id}")
    status, body = post(f"{stack.http_api_url}/join_quiz/{quiz_id}/{user_id}", token=token)
    assert status == 200, body
    return body


def rows_of(stack: DeployedStack, connection_ids: set[str]) -> set[str]:
    found = set()
    for connection_id in connection_ids:
        item = stack.dynamodb.get_item(
            TableName=stack.connections_table,
            Key={"connection_id": {"S": connection_id}},
            ConsistentRead=True,
        ).get("Item")
        if item:
            found.add(connection_id)
    return found


def connection_ids_of(stack: DeployedStack, quiz_id: str) -> set[str]:
    reply = stack.dynamodb.query(
        TableName=stack.connections_table,
        IndexName="by_quiz",
        KeyConditionExpression="quiz_id = :q",
        ExpressionAttributeValues={":q": {"S": quiz_id}},
    )
    return {item["connection_id"]["S"] for item in reply["Items"]}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_three_players_are_welcomed_and_all_see_the_leaderboard_after_an_answer(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=3)
    urls = [join(stack, quiz.quiz_id, user_id)["websocket_url"] for user_id in quiz.user_ids]
    with ExitStack() as stack_of_players:
        players = [stack_of_players.enter_context(Player(url)) for url in urls]
        for player, user_id in zip(players, quiz.user_ids, strict=True):
            welcome = player.expect("welcome")
            assert welcome["message"] == f"Welcome to quiz {quiz.quiz_id}, user {user_id}"
            assert welcome["quiz"]["question_count"] == 3
        assert wait_until(lambda: len(connection_ids_of(stack, quiz.quiz_id)) == 3)

        players[0].send(
            {
                "action": "answer",
                "question_id": quiz.question_ids[0],
                "choice": quiz.correct_choices[0],
            }
        )
        result = players[0].expect("answer_result")
        assert result["correct"] is True
        assert 500 <= result["total_score"] <= 1000

        for player in players:
            board = player.expect("leaderboard")
            assert board["entries"][0] == {
                "rank": 1,
                "user_id": quiz.user_ids[0],
                "username": f"player {quiz.user_ids[0]}",
                "score": result["total_score"],
            }

    assert wait_until(lambda: not connection_ids_of(stack, quiz.quiz_id))


@pytest.fixture
def demo_quiz_open(database_url: str) -> Iterator[None]:
    """The sample data as `make dev` loads it, the demo quiz reopened if it has ended.

    A participation of the demo user that the test created is removed afterwards, so the
    README's session still starts with a fresh join; one that existed is left alone.
    """
    load_sample_data(database_url, datetime.now(UTC))
    demo = "SELECT 1 FROM participants WHERE quiz_id = 'voc202411290900' AND user_id = '1a2b3c'"
    with psycopg.connect(database_url, autocommit=True) as conn:
        existed = conn.execute(demo).fetchone() is not None
    yield
    if not existed:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "DELETE FROM participants WHERE quiz_id = 'voc202411290900' AND user_id = '1a2b3c'"
            )


@pytest.mark.usefixtures("demo_quiz_open")
def test_the_demo_example_welcomes_the_demo_user(stack: DeployedStack) -> None:
    url = stack.join("voc202411290900", "1a2b3c", username="john_doe", password="password123")
    with Player(url) as player:
        welcome = player.expect("welcome")
    assert welcome["message"] == "Welcome to quiz voc202411290900, user 1a2b3c"


def test_a_second_answer_to_the_same_question_changes_nothing(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    with Player(join(stack, quiz.quiz_id, quiz.user_ids[0])["websocket_url"]) as player:
        player.expect("welcome")
        player.expect("question")
        answer = {"action": "answer", "question_id": quiz.question_ids[0], "choice": 0}
        player.send(answer)
        first = player.expect("answer_result")
        player.send({**answer, "choice": quiz.correct_choices[0]})
        second = player.expect("answer_result")
    assert first["correct"] is False
    assert second["already_answered"] is True
    assert second["correct"] is False
    assert second["total_score"] == 0


def test_malformed_json_gets_an_error_and_the_connection_stays_open(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    with Player(join(stack, quiz.quiz_id, quiz.user_ids[0])["websocket_url"]) as player:
        player.expect("welcome")
        player.send("{not json")
        error = player.expect("error")
        player.send({"action": "dance"})
        unknown = player.expect("error")
        player.send({"action": "ping"})
        player.expect("pong")
    assert error["code"] == "invalid_request"
    assert "answer" in unknown["message"]


def test_a_user_who_has_not_joined_cannot_connect(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    token = stack.log_in(f"player {quiz.user_ids[0]}")
    with pytest.raises(InvalidStatus) as refused:
        Player(f"{stack.websocket_url}?quiz_id={quiz.quiz_id}&token={token}").__enter__()
    assert refused.value.response.status_code == 403
    assert not connection_ids_of(stack, quiz.quiz_id)


def test_joining_errors_have_stable_codes(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    ended = seed_quiz(opens_in=timedelta(hours=-2), lasts=timedelta(hours=1), players=1)

    token = stack.log_in(f"player {ended.user_ids[0]}")
    unknown_status, unknown = post(
        f"{stack.http_api_url}/join_quiz/no_such_quiz/{ended.user_ids[0]}", token=token
    )
    ended_status, ended_body = post(
        f"{stack.http_api_url}/join_quiz/{ended.quiz_id}/{ended.user_ids[0]}", token=token
    )

    assert (unknown_status, unknown["code"]) == (404, "quiz_not_found")
    assert (ended_status, ended_body["code"]) == (409, "quiz_ended")
    assert "end_time" in ended_body


def test_joining_twice_is_one_participation(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    first = join(stack, quiz.quiz_id, quiz.user_ids[0])
    second = join(stack, quiz.quiz_id, quiz.user_ids[0])
    assert first["participation"]["newly_joined"] is True
    assert second["participation"]["newly_joined"] is False
    assert first["participation"]["joined_at"] == second["participation"]["joined_at"]
