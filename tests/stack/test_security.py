"""Who may join, connect and act, on the deployed stack."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from websockets.exceptions import InvalidStatus

from tests.stack.client import Player, post
from tests.stack.conftest import DeployedStack, SeededQuiz

pytestmark = pytest.mark.stack


def test_login_with_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    wrong_password = post(
        f"{stack.http_api_url}/login",
        {"username": f"player {quiz.user_ids[0]}", "password": "not it"},
    )
    unknown_user = post(
        f"{stack.http_api_url}/login", {"username": "nobody at all", "password": "not it"}
    )
    assert wrong_password == unknown_user
    assert wrong_password[0] == 401
    assert wrong_password[1]["code"] == "invalid_credentials"


def test_joining_needs_a_token_for_that_same_user(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=2)
    route = f"{stack.http_api_url}/join_quiz/{quiz.quiz_id}/{quiz.user_ids[1]}"
    someone_else = stack.log_in(f"player {quiz.user_ids[0]}")

    no_token = post(route)
    bad_token = post(route, token=someone_else[:-4] + "AAAA")
    other_user = post(route, token=someone_else)

    assert (no_token[0], no_token[1]["code"]) == (401, "unauthorized")
    assert (bad_token[0], bad_token[1]["code"]) == (401, "unauthorized")
    assert (other_user[0], other_user[1]["code"]) == (403, "forbidden")


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c"])
def test_connecting_without_a_valid_token_is_refused(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz], token: str
) -> None:
    quiz = seed_quiz(players=1)
    stack.join(quiz.quiz_id, quiz.user_ids[0])
    query = f"quiz_id={quiz.quiz_id}&user_id={quiz.user_ids[0]}" + (
        f"&token={token}" if token else ""
    )
    with pytest.raises(InvalidStatus) as refused:
        Player(f"{stack.websocket_url}?{query}").__enter__()
    assert refused.value.response.status_code in (401, 403)


def test_a_message_naming_another_user_acts_only_for_the_connection_s_own_user(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=2)
    victim = quiz.user_ids[1]
    with Player(stack.join(quiz.quiz_id, quiz.user_ids[0])) as attacker:
        attacker.expect("welcome")
        attacker.expect("question")
        attacker.send(
            {
                "action": "answer",
                "question_id": quiz.question_ids[0],
                "choice": quiz.correct_choices[0],
                "user_id": victim,
            }
        )
        attacker.expect("answer_result")
        attacker.send({"action": "state", "user_id": victim})
        state = attacker.expect("state")
    assert state["you"]["score"] > 0
    assert [a["question_id"] for a in state["answered"]] == [quiz.question_ids[0]]


def test_more_than_ten_messages_in_a_second_are_rate_limited_and_the_socket_stays_open(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    with Player(stack.join(quiz.quiz_id, quiz.user_ids[0])) as player:
        player.expect("welcome")
        player.expect("question")
        for _ in range(15):
            player.send(json.dumps({"action": "ping"}))
        replies = [player.expect_any() for _ in range(15)]
        codes = [r.get("code", r["type"]) for r in replies]
        time.sleep(1.1)  # the limit counts per second
        player.send({"action": "ping"})
        player.expect("pong", timeout=5)
    assert "rate_limited" in codes
    assert codes.count("pong") >= 10


def test_a_message_naming_the_disconnect_route_does_not_unregister_the_connection(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    with Player(stack.join(quiz.quiz_id, quiz.user_ids[0])) as player:
        player.expect("welcome")
        player.send({"action": "$disconnect"})
        player.send({"action": "$connect"})
        time.sleep(1.1)  # past the rate limit's second, whatever the replies were
        player.send({"action": "ping"})
        pong = player.expect("pong")
    assert pong["type"] == "pong"
    assert "unknown_connection" not in [m.get("code") for m in player.received]
