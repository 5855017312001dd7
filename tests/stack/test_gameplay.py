"""A whole quiz on the deployed stack: lobby, start, timed questions, pushes, the end."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.stack.client import Player
from tests.stack.conftest import DeployedStack, SeededQuiz, end_quiz_now

pytestmark = pytest.mark.stack

PUSH_TIMEOUT_SECONDS = 15


def without(kind: str, messages: list[dict[str, Any]]) -> list[str]:
    return [m["type"] for m in messages if m["type"] != kind]


def play_every_question(player: Player, quiz: SeededQuiz, right: bool) -> None:
    for index, question_id in enumerate(quiz.question_ids):
        question = player.expect("question")
        assert (question["question_id"], question["index"]) == (question_id, index)
        assert "correct_choice" not in question
        assert question["opens_at"] < question["closes_at"]
        choice = quiz.correct_choices[index] if right else (quiz.correct_choices[index] + 1) % 4
        player.send({"action": "answer", "question_id": question_id, "choice": choice})
        result = player.expect("answer_result")
        assert result["correct"] is right
    player.expect("finished")


def test_players_play_a_whole_quiz_and_receive_every_message_in_order(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz], database_url: str
) -> None:
    quiz = seed_quiz(players=3)
    urls = [stack.join(quiz.quiz_id, user_id) for user_id in quiz.user_ids]
    with ExitStack() as players_stack:
        players = [players_stack.enter_context(Player(url)) for url in urls]
        for player in players:
            player.expect("welcome")
        for n, player in enumerate(players):
            play_every_question(player, quiz, right=n == 0)

        final_board = players[2].expect_where(
            "leaderboard",
            lambda board: board["entries"][0]["user_id"] == quiz.user_ids[0],
            timeout=PUSH_TIMEOUT_SECONDS,
        )

        end_quiz_now(database_url, quiz.quiz_id)
        stack.run_quiz_clock()
        finals = [player.expect("final_results") for player in players]

    expected = ["welcome"] + ["question", "answer_result"] * 3 + ["finished", "final_results"]
    for player in players:
        assert without("leaderboard", player.received) == expected
    assert finals[0]["you"]["rank"] == 1
    assert finals[0]["podium"][0]["user_id"] == quiz.user_ids[0]
    assert [f["players"] for f in finals] == [3, 3, 3]
    assert (final_board["you"]["score"], final_board["you"]["players"]) == (0, 3)


def test_the_final_results_are_sent_once_however_often_the_clock_runs(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz], database_url: str
) -> None:
    quiz = seed_quiz(players=1)
    with Player(stack.join(quiz.quiz_id, quiz.user_ids[0])) as player:
        player.expect("welcome")
        end_quiz_now(database_url, quiz.quiz_id)
        stack.run_quiz_clock()
        stack.run_quiz_clock()
        player.expect("final_results")
        with pytest.raises(ConnectionClosed):
            player.expect("final_results", timeout=5)
    assert [m["type"] for m in player.received].count("final_results") == 1


def test_a_lobby_player_gets_quiz_started_and_the_first_question_at_the_start(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(opens_in=timedelta(seconds=4), players=1)
    with Player(stack.join(quiz.quiz_id, quiz.user_ids[0])) as player:
        welcome = player.expect("welcome")
        assert welcome["quiz"]["phase"] == "upcoming"
        stack.run_quiz_clock()
        started = player.expect("quiz_started", timeout=PUSH_TIMEOUT_SECONDS)
        question = player.expect("question")
    assert started["now"] >= started["quiz"]["starts_at"]
    assert question["index"] == 0
    assert without("leaderboard", player.received) == ["welcome", "quiz_started", "question"]


def test_a_reconnecting_player_gets_the_current_question_with_its_time_left(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    url = stack.join(quiz.quiz_id, quiz.user_ids[0])
    with Player(url) as first:
        first.expect("welcome")
        question = first.expect("question")
    with Player(url) as second:
        second.expect("welcome")
        state = second.expect("state")
    current = state["current_question"]
    assert current["question_id"] == question["question_id"]
    assert current["closes_at"] == question["closes_at"]
    assert state["remaining_ms"] == question["closes_at"] - state["now"]
    assert "correct_choice" not in current


def test_two_connections_of_one_player_both_receive_the_result_and_it_counts_once(
    stack: DeployedStack, seed_quiz: Callable[..., SeededQuiz]
) -> None:
    quiz = seed_quiz(players=1)
    url = stack.join(quiz.quiz_id, quiz.user_ids[0])
    with Player(url) as phone, Player(url) as tablet:
        phone.expect("welcome")
        tablet.expect("welcome")
        answer = {
            "action": "answer",
            "question_id": quiz.question_ids[0],
            "choice": quiz.correct_choices[0],
        }
        phone.send(answer)
        tablet.send(answer)
        results = [phone.expect("answer_result"), phone.expect("answer_result")]
        tablet_results = [tablet.expect("answer_result"), tablet.expect("answer_result")]
    assert sorted(r["already_answered"] for r in results) == [False, True]
    assert sorted(r["already_answered"] for r in tablet_results) == [False, True]
    assert len({r["total_score"] for r in results + tablet_results}) == 1
