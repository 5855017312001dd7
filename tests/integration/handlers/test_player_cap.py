"""A quiz takes at most MaxPlayersPerQuiz players, even when they all join at once."""

from __future__ import annotations

import json
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
    SeededQuiz,
    now_ms,
)
from tests.support.events import join_event

CAP = 3


@pytest.fixture
def capped(handlers_for: Callable[..., Handlers]) -> Handlers:
    return handlers_for(MaxPlayersPerQuiz=str(CAP))


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed(players=2 * CAP, joined=False)


def _join(invoke: Invoke, aws: Aws, quiz: SeededQuiz, user_id: str) -> tuple[int, dict[str, Any]]:
    event = join_event(quiz.quiz_id, user_id, time_ms=now_ms(), token=aws.token_for(user_id))
    response = invoke(event)
    return response["statusCode"], json.loads(response["body"])


def test_the_cap_comes_from_the_template_parameter(capped: Handlers) -> None:
    assert capped.environment("join_quiz")["MAX_PLAYERS_PER_QUIZ"] == str(CAP)


def test_of_six_players_joining_at_once_exactly_three_get_in_and_the_rest_hear_quiz_full(
    capped: Handlers, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    # One warm environment per player, as Lambda scales out for a burst.
    invokers = [capped.invoker("join_quiz") for _ in quiz.user_ids]
    start = threading.Barrier(len(invokers))

    def join(index: int) -> tuple[int, dict[str, Any]]:
        start.wait(timeout=10)
        return _join(invokers[index], aws, quiz, quiz.user_ids[index])

    with ThreadPoolExecutor(max_workers=len(invokers)) as pool:
        replies = list(pool.map(join, range(len(invokers))))

    admitted = {quiz.user_ids[i] for i, (status, _) in enumerate(replies) if status == 200}
    refused = [body for status, body in replies if status != 200]
    assert len(admitted) == CAP
    assert {row["user_id"] for row in quiz_db.participants(quiz.quiz_id)} == admitted
    assert [(body["code"], body["max_players"]) for body in refused] == [("quiz_full", CAP)] * CAP
    assert all(status in (200, 409) for status, _ in replies)


def test_a_player_already_in_a_full_quiz_may_join_again(
    capped: Handlers, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    invoke = capped.invoker("join_quiz")
    for user_id in quiz.user_ids[:CAP]:
        assert _join(invoke, aws, quiz, user_id)[0] == 200

    again = _join(invoke, aws, quiz, quiz.user_ids[0])
    newcomer = _join(invoke, aws, quiz, quiz.user_ids[CAP])

    assert again[0] == 200
    assert again[1]["participation"]["newly_joined"] is False
    assert (newcomer[0], newcomer[1]["code"]) == (409, "quiz_full")
    assert len(quiz_db.participants(quiz.quiz_id)) == CAP


def test_one_player_joining_twice_at_once_takes_one_place(
    capped: Handlers, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    for user_id in quiz.user_ids[: CAP - 1]:
        quiz_db.add_participant(quiz.quiz_id, user_id)
    last = quiz.user_ids[CAP - 1]
    invokers = [capped.invoker("join_quiz") for _ in range(2)]
    start = threading.Barrier(2)

    def join(invoke: Invoke) -> tuple[int, dict[str, Any]]:
        start.wait(timeout=10)
        return _join(invoke, aws, quiz, last)

    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(join, invokers))

    # Both are told they are in, whichever took the last place.
    assert sorted(status for status, _ in replies) == [200, 200]
    assert sorted(body["participation"]["newly_joined"] for _, body in replies) == [False, True]
    assert len(quiz_db.participants(quiz.quiz_id)) == CAP
