"""Answers arriving at the same moment in separate Lambda environments.

Each thread runs its own copy of the ws_message module, so each has its own PostgreSQL
connection, as concurrent invocations on Lambda do; a barrier releases them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.integration.handlers.harness import Aws, Handlers, Invoke, QuizDatabase
from tests.support.events import new_connection_id, websocket_event

TIMEOUT_SECONDS = 30


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
        body={"action": "answer", "question_id": question_id, "choice": choice},
    )
    return lambda: invoke(event)


def test_the_same_answer_sent_twice_at_once_counts_once(
    handlers: Handlers, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    player, question = quiz.user_ids[0], quiz.questions[1]
    # Two tabs of one player, each connected to its own environment.
    tabs = [new_connection_id(), new_connection_id()]
    for tab in tabs:
        aws.register(tab, quiz.quiz_id, player, quiz.start_ms)
    calls = [
        _answer_call(
            handlers.invoker("ws_message"), tab, quiz.during_ms, question.question_id, choice
        )
        for tab, choice in zip(tabs, (question.correct_choice, question.wrong_choice), strict=True)
    ]

    assert _all_at_once(calls) == [{"statusCode": 200}] * 2

    results = [next(m for m in aws.posts_to(tab) if m["type"] == "answer_result") for tab in tabs]
    assert sorted(r["already_answered"] for r in results) == [False, True]
    first = next(r for r in results if not r["already_answered"])
    assert all(r["choice"] == first["choice"] for r in results)
    assert all(r["total_score"] == first["points"] for r in results)
    assert len(quiz_db.answers(quiz.quiz_id)) == 1
    assert quiz_db.score(quiz.quiz_id, player) == first["points"]


def test_twenty_players_answering_at_once_are_all_stored_and_scored(
    handlers: Handlers, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=20)
    question = quiz.questions[2]
    connections = {user_id: new_connection_id() for user_id in quiz.user_ids}
    for user_id, connection_id in connections.items():
        aws.register(connection_id, quiz.quiz_id, user_id, quiz.start_ms)
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

    assert _all_at_once(calls) == [{"statusCode": 200}] * 20

    answers = quiz_db.answers(quiz.quiz_id)
    assert len(answers) == 20
    recomputed = {user_id: 0 for user_id in quiz.user_ids}
    for row in answers:
        recomputed[row["user_id"]] += row["points_awarded"]
    scores = {row["user_id"]: row["score"] for row in quiz_db.participants(quiz.quiz_id)}
    assert scores == recomputed
    assert sum(1 for score in scores.values() if score) == 5
    for user_id, connection_id in connections.items():
        (result,) = [m for m in aws.posts_to(connection_id) if m["type"] == "answer_result"]
        assert result["total_score"] == recomputed[user_id]
