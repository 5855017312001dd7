"""The messages sent to players."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from quiz_core.errors import InvalidChoice, QuizEnded
from quiz_core.models import (
    AnswerOutcome,
    LeaderboardEntry,
    Participation,
    Question,
    Quiz,
    User,
    epoch_ms,
)
from quiz_core.rules import messages

START = datetime(2024, 11, 29, 9, 0, tzinfo=UTC)
END = datetime(2024, 11, 29, 9, 30, tzinfo=UTC)
DURING_MS = epoch_ms(START) + 75_250
QUIZ = Quiz("voc202411290900", "Vocabulary 0900", START, END, ("q1", "q2"))
USER = User("1a2b3c", "john_doe")
QUESTIONS = (
    Question(
        "q1",
        "vocabulary",
        "Closest to 'rapid'?",
        ("slow", "heavy", "quick", "quiet"),
        2,
        20000,
        1000,
    ),
    Question("q2", "vocabulary", "'Reluctant' means?", ("unwilling", "happy"), 0, 15000, 500),
)
LEADERBOARD = (
    LeaderboardEntry(1, "4d5e6f", "alice_smith", 1500),
    LeaderboardEntry(2, "1a2b3c", "john_doe", 1000),
)
PARTICIPATION = Participation("voc202411290900", "1a2b3c", START, 1000)
OUTCOME = AnswerOutcome("q1", 2, True, 1000, 1000, False)


def _welcome() -> messages.Message:
    return messages.welcome(QUIZ, USER, QUESTIONS, LEADERBOARD, 1000, DURING_MS)


# Every builder of the module, called with a quiz whose questions know their answers.
SAMPLES: dict[str, Callable[[], Any]] = {
    "quiz_summary": lambda: messages.quiz_summary(QUIZ, DURING_MS),
    "joined": lambda: messages.joined(QUIZ, PARTICIPATION, True, START, "wss://ws.example/live"),
    "public_question": lambda: messages.public_question(QUESTIONS[0]),
    "leaderboard_entries": lambda: messages.leaderboard_entries(LEADERBOARD),
    "welcome": _welcome,
    "answer_result": lambda: messages.answer_result(OUTCOME),
    "leaderboard": lambda: messages.leaderboard(QUIZ.quiz_id, LEADERBOARD, DURING_MS),
    "pong": lambda: messages.pong(DURING_MS),
    "error": lambda: messages.error(InvalidChoice("q1", 7, 4)),
    "internal_error": messages.internal_error,
    "unavailable": messages.unavailable,
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_every_message_builder_is_checked_here() -> None:
    builders = {
        name
        for name, function in inspect.getmembers(messages, inspect.isfunction)
        if function.__module__ == messages.__name__ and not name.startswith("_")
    }

    assert builders == set(SAMPLES)


@pytest.mark.parametrize("builder", sorted(SAMPLES))
def test_no_message_reveals_a_correct_choice(builder: str) -> None:
    assert "correct_choice" not in _keys(SAMPLES[builder]())


def test_the_welcome_greets_by_quiz_and_user_id() -> None:
    assert _welcome()["message"] == "Welcome to quiz voc202411290900, user 1a2b3c"


def test_the_welcome_sends_questions_with_their_choices_but_not_their_answers() -> None:
    assert _welcome()["questions"] == [
        {
            "question_id": "q1",
            "category": "vocabulary",
            "prompt": "Closest to 'rapid'?",
            "choices": ["slow", "heavy", "quick", "quiet"],
            "time_limit_ms": 20000,
            "points": 1000,
        },
        {
            "question_id": "q2",
            "category": "vocabulary",
            "prompt": "'Reluctant' means?",
            "choices": ["unwilling", "happy"],
            "time_limit_ms": 15000,
            "points": 500,
        },
    ]


def test_the_welcome_describes_the_quiz_player_and_leaderboard() -> None:
    welcome = _welcome()

    assert welcome["type"] == "welcome"
    assert welcome["quiz"] == {
        "quiz_id": "voc202411290900",
        "name": "Vocabulary 0900",
        "start_time": "2024-11-29T09:00:00+00:00",
        "end_time": "2024-11-29T09:30:00+00:00",
        "starts_at": 1732870800000,
        "ends_at": 1732872600000,
        "phase": "open",
        "question_count": 2,
    }
    assert welcome["user"] == {"user_id": "1a2b3c", "username": "john_doe", "score": 1000}
    assert welcome["leaderboard"] == [
        {"rank": 1, "user_id": "4d5e6f", "username": "alice_smith", "score": 1500},
        {"rank": 2, "user_id": "1a2b3c", "username": "john_doe", "score": 1000},
    ]
    assert welcome["server_time"] == DURING_MS


@pytest.mark.parametrize(
    ("now_ms", "phase"),
    [(epoch_ms(START) - 1, "upcoming"), (epoch_ms(START), "open"), (epoch_ms(END), "ended")],
)
def test_the_quiz_summary_gives_the_phase_at_the_time_of_sending(now_ms: int, phase: str) -> None:
    assert messages.quiz_summary(QUIZ, now_ms)["phase"] == phase


def test_the_join_reply_names_the_url_to_connect_to_with_quiz_and_user() -> None:
    reply = messages.joined(QUIZ, PARTICIPATION, False, START, "wss://abc.example/live")

    url = urlsplit(reply["websocket_url"])
    assert (url.scheme, url.netloc, url.path) == ("wss", "abc.example", "/live")
    assert parse_qs(url.query) == {"quiz_id": ["voc202411290900"], "user_id": ["1a2b3c"]}
    assert reply["participation"] == {
        "quiz_id": "voc202411290900",
        "user_id": "1a2b3c",
        "joined_at": "2024-11-29T09:00:00+00:00",
        "score": 1000,
        "newly_joined": False,
    }


def test_an_answer_result_tells_the_player_only_whether_they_were_right() -> None:
    assert messages.answer_result(AnswerOutcome("q1", 1, False, 0, 1000, True)) == {
        "type": "answer_result",
        "question_id": "q1",
        "choice": 1,
        "correct": False,
        "points": 0,
        "total_score": 1000,
        "already_answered": True,
    }


def test_an_error_message_carries_the_code_message_and_safe_details() -> None:
    ended = QuizEnded("voc202411290900", END)

    assert messages.error(ended) == {
        "type": "error",
        "code": "quiz_ended",
        "message": ended.message,
        "end_time": "2024-11-29T09:30:00+00:00",
    }


@pytest.mark.parametrize("builder", ["internal_error", "unavailable"])
def test_server_side_failures_are_reported_with_a_fixed_message(builder: str) -> None:
    message = SAMPLES[builder]()

    assert set(message) == {"type", "code", "message"}
    assert message["type"] == "error"


def test_each_listed_action_comes_with_an_example_message_a_client_can_send() -> None:
    assert set(messages.CLIENT_ACTIONS) == {"answer", "leaderboard", "ping"}
    for action, example in messages.CLIENT_ACTIONS.items():
        assert json.loads(example)["action"] == action
