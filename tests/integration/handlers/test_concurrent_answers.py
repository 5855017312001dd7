"""Answers arriving at the same moment in separate Lambda environments.

Each thread runs its own copy of the ws_message module, so each has its own PostgreSQL
connection, as concurrent invocations on Lambda do; a barrier releases them together. The
fake management API records the posts, since moto's does not take them from many threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.integration.handlers.harness import (
    Aws,
    Handlers,
    Invoke,
    QuizDatabase,
    answer,
    assert_totals_match_answers,
    connect,
    types,
)
from tests.support.events import websocket_event
from tests.support.fake_aws import FakeManagementApi

TIMEOUT_SECONDS = 60
QUICK_MS = 400


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT_SECONDS)

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=TIMEOUT_SECONDS) for future in futures]


def _answer_call(
    invoke: Invoke, connection_id: str, at_ms: int, question_id: str, choice: int
) -> Callable[[], Any]:
    event = websocket_event(
        "ws_message_answer",
        connection_id=connection_id,
        request_time_ms=at_ms,
        body=answer(question_id, choice),
    )
    return lambda: invoke(event)


def _results(api: FakeManagementApi, connection_id: str) -> list[dict[str, Any]]:
    return [m for m in api.messages_to(connection_id) if m["type"] == "answer_result"]


@pytest.mark.parametrize("same_choice", [True, False], ids=["same answer", "different answers"])
def test_two_connections_of_one_player_answering_at_once_count_one_answer_and_both_hear_it(
    same_choice: bool,
    handlers: Handlers,
    gone_api: FakeManagementApi,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    quiz = quiz_db.seed(players=1)
    player, question = quiz.user_ids[0], quiz.questions[1]
    quiz_db.serve(quiz, player, 1, quiz.during_ms - QUICK_MS)
    # A phone and a tablet of one player, each connected to its own environment.
    tabs = [connect(aws, quiz, player), connect(aws, quiz, player)]
    choices = [question.correct_choice] * 2
    if not same_choice:
        choices[1] = question.wrong_choice
    calls = [
        _answer_call(
            handlers.invoker("ws_message"), tab, quiz.during_ms, question.question_id, choice
        )
        for tab, choice in zip(tabs, choices, strict=True)
    ]

    assert _all_at_once(calls) == [{"statusCode": 200}] * 2

    counted = quiz_db.answers(quiz.quiz_id)
    assert len(counted) == 1
    for tab in tabs:
        # Both results reach both connections of the player: the counted one, and the
        # repeat that was told the first result.
        results = _results(gone_api, tab)
        assert sorted(r["already_answered"] for r in results) == [False, True]
        assert {(r["choice"], r["points"], r["total_score"]) for r in results} == {
            (counted[0]["choice"], counted[0]["points_awarded"], counted[0]["points_awarded"])
        }
        assert types(gone_api.messages_to(tab)).count("question") == 1
    assert quiz_db.score(quiz.quiz_id, player) == counted[0]["points_awarded"]
    assert len(aws.queued_pushes()) == 1
    assert_totals_match_answers(quiz_db, quiz.quiz_id)


def test_fifty_players_answering_at_once_are_all_stored_and_ranked_from_their_answers(
    handlers: Handlers, gone_api: FakeManagementApi, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=50)
    question = quiz.questions[2]
    connections = {user_id: connect(aws, quiz, user_id) for user_id in quiz.user_ids}
    for n, user_id in enumerate(quiz.user_ids):
        # Served at different moments, so that speed points and answer times differ.
        quiz_db.serve(quiz, user_id, 2, quiz.during_ms - 250 * n)
    calls = [
        _answer_call(
            handlers.invoker("ws_message"),
            connection_id,
            quiz.during_ms,
            question.question_id,
            n % 4,
        )
        for n, connection_id in enumerate(connections.values())
    ]

    assert _all_at_once(calls) == [{"statusCode": 200}] * 50

    assert len(quiz_db.answers(quiz.quiz_id)) == 50
    assert_totals_match_answers(quiz_db, quiz.quiz_id)
    scores = {row["user_id"]: row["score"] for row in quiz_db.participants(quiz.quiz_id)}
    # The correct choice of question 2 is 2: every fourth player, from the third, has it.
    assert sum(1 for score in scores.values() if score) == 12
    for user_id, connection_id in connections.items():
        (result,) = _results(gone_api, connection_id)
        assert (result["status"], result["already_answered"]) == ("answered", False)
        assert result["total_score"] == scores[user_id]
        assert types(gone_api.messages_to(connection_id)) == ["answer_result", "finished"]
