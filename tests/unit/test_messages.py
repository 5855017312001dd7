"""The messages sent to players."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from quiz_core.errors import InvalidChoice, QuizEnded
from quiz_core.models import (
    LeaderboardEntry,
    Participation,
    Question,
    Quiz,
    StoredAnswer,
    User,
    epoch_ms,
)
from quiz_core.rules import messages
from quiz_core.rules.answers import Serving

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
    LeaderboardEntry(3, "7g8h9i", "bob_jones", 800),
    LeaderboardEntry(4, "0j1k2l", "carol_white", 0),
)
STANDING = messages.Standing(rank=2, score=1000, players=4)
PARTICIPATION = Participation("voc202411290900", "1a2b3c", START, 1000)
# A token as login issues it (three base64url parts); its contents do not matter here.
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxYTJiM2MifQ.c2lnbmF0dXJl"
SERVING = Serving("q2", 1, DURING_MS - 5_000, DURING_MS + 10_000)
ANSWERED = StoredAnswer("q1", 2, "answered", True, 1000, 900, 100, 4_200)


def _question() -> messages.Message:
    return messages.question(QUIZ, QUESTIONS[1], SERVING, DURING_MS)


def _state() -> messages.Message:
    return messages.state(QUIZ, STANDING, [(ANSWERED, QUESTIONS[0])], _question(), DURING_MS)


# Every builder of the module, called with questions that know their correct choices.
SAMPLES: dict[str, Callable[[], Any]] = {
    "quiz_summary": lambda: messages.quiz_summary(QUIZ, DURING_MS),
    "joined": lambda: messages.joined(
        QUIZ, PARTICIPATION, True, START, "wss://ws.example/live", TOKEN
    ),
    "leaderboard_entries": lambda: messages.leaderboard_entries(LEADERBOARD),
    "welcome": lambda: messages.welcome(QUIZ, USER, STANDING, LEADERBOARD, DURING_MS),
    "question": _question,
    "answer_result": lambda: messages.answer_result(ANSWERED, QUESTIONS[0], 1000, False),
    "player_finished": lambda: messages.player_finished(QUIZ, STANDING, DURING_MS),
    "state": _state,
    "quiz_started": lambda: messages.quiz_started(QUIZ, DURING_MS),
    "leaderboard": lambda: messages.leaderboard(QUIZ.quiz_id, LEADERBOARD, STANDING, DURING_MS),
    "final_results": lambda: messages.final_results(QUIZ, LEADERBOARD, STANDING, DURING_MS),
    "pong": lambda: messages.pong(DURING_MS),
    "error": lambda: messages.error(InvalidChoice("q1", 7, 4)),
    "internal_error": messages.internal_error,
    "unavailable": messages.unavailable,
}
# Where a player's own final result tells them the correct choice, and nowhere else.
REVEALING = {"answer_result": [("correct_choice",)], "state": [("answered", 0, "correct_choice")]}


def _paths_of(value: Any, key: str, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield (*path, name)
            yield from _paths_of(item, key, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_of(item, key, (*path, index))


def test_every_message_builder_is_checked_here() -> None:
    builders = {
        name
        for name, function in inspect.getmembers(messages, inspect.isfunction)
        if function.__module__ == messages.__name__ and not name.startswith("_")
    }

    assert builders == set(SAMPLES)


@pytest.mark.parametrize("builder", sorted(SAMPLES))
def test_a_correct_choice_appears_only_in_a_players_own_final_results(builder: str) -> None:
    assert list(_paths_of(SAMPLES[builder](), "correct_choice")) == REVEALING.get(builder, [])


def test_the_welcome_greets_by_quiz_and_user_id() -> None:
    assert SAMPLES["welcome"]()["message"] == "Welcome to quiz voc202411290900, user 1a2b3c"


def test_the_welcome_describes_the_quiz_player_rank_and_leaderboard() -> None:
    welcome = SAMPLES["welcome"]()

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
    assert welcome["leaderboard"][0] == {
        "rank": 1,
        "user_id": "4d5e6f",
        "username": "alice_smith",
        "score": 1500,
    }
    assert welcome["you"] == {"rank": 2, "score": 1000, "players": 4}
    assert welcome["now"] == DURING_MS


def test_a_question_shows_its_choices_and_its_window_as_served() -> None:
    assert _question() == {
        "type": "question",
        "quiz_id": "voc202411290900",
        "index": 1,
        "total": 2,
        "question_id": "q2",
        "category": "vocabulary",
        "prompt": "'Reluctant' means?",
        "choices": ["unwilling", "happy"],
        "points": 500,
        # The window as served, which may be shorter than the question's limit.
        "time_limit_ms": 15_000,
        "opens_at": DURING_MS - 5_000,
        "closes_at": DURING_MS + 10_000,
        "now": DURING_MS,
    }


@pytest.mark.parametrize(
    ("now_ms", "phase"),
    [(epoch_ms(START) - 1, "upcoming"), (epoch_ms(START), "open"), (epoch_ms(END), "ended")],
)
def test_the_quiz_summary_gives_the_phase_at_the_time_of_sending(now_ms: int, phase: str) -> None:
    assert messages.quiz_summary(QUIZ, now_ms)["phase"] == phase


def test_the_join_reply_names_the_url_to_connect_to_with_quiz_and_token() -> None:
    reply = messages.joined(QUIZ, PARTICIPATION, False, START, "wss://abc.example/live", TOKEN)

    url = urlsplit(reply["websocket_url"])
    assert (url.scheme, url.netloc, url.path) == ("wss", "abc.example", "/live")
    # The user is the token's; a user_id in the URL would only invite tampering.
    assert parse_qs(url.query) == {"quiz_id": ["voc202411290900"], "token": [TOKEN]}
    assert reply["participation"] == {
        "quiz_id": "voc202411290900",
        "user_id": "1a2b3c",
        "joined_at": "2024-11-29T09:00:00+00:00",
        "score": 1000,
        "newly_joined": False,
    }


def test_an_answer_result_gives_the_outcome_its_points_and_the_correct_choice() -> None:
    assert messages.answer_result(ANSWERED, QUESTIONS[0], 1000, False) == {
        "type": "answer_result",
        "question_id": "q1",
        "status": "answered",
        "result": "answered",
        "choice": 2,
        "correct": True,
        "correct_choice": 2,
        "points": 1000,
        "base_points": 900,
        "streak_bonus": 100,
        "elapsed_ms": 4_200,
        "total_score": 1000,
        "already_answered": False,
    }


def test_a_repeated_answer_is_told_the_first_result_as_already_answered() -> None:
    repeat = messages.answer_result(ANSWERED, QUESTIONS[0], 1000, True)

    assert (repeat["status"], repeat["result"], repeat["already_answered"]) == (
        "already_answered",
        "answered",
        True,
    )


def test_a_state_gives_the_time_left_on_the_current_question() -> None:
    state = _state()

    assert state["remaining_ms"] == 10_000
    assert state["current_question"] == _question()
    assert state["answered"] == [
        {
            "question_id": "q1",
            "result": "answered",
            "correct": True,
            "correct_choice": 2,
            "points": 1000,
        }
    ]
    assert state["you"] == {"rank": 2, "score": 1000, "players": 4}


def test_a_state_without_a_current_question_has_no_time_left() -> None:
    state = messages.state(QUIZ, STANDING, [], None, DURING_MS)

    assert (state["current_question"], state["remaining_ms"]) == (None, None)


def test_a_leaderboard_carries_the_receivers_own_rank_when_known() -> None:
    known = messages.leaderboard(QUIZ.quiz_id, LEADERBOARD, STANDING, DURING_MS)
    anonymous = messages.leaderboard(QUIZ.quiz_id, LEADERBOARD, None, DURING_MS)

    assert known["you"] == {"rank": 2, "score": 1000, "players": 4}
    assert "you" not in anonymous
    assert known["entries"] == anonymous["entries"] == messages.leaderboard_entries(LEADERBOARD)


def test_the_final_results_show_a_podium_of_three_and_the_receivers_place() -> None:
    final = SAMPLES["final_results"]()

    assert [entry["user_id"] for entry in final["podium"]] == ["4d5e6f", "1a2b3c", "7g8h9i"]
    assert (final["you"], final["players"]) == ({"rank": 2, "score": 1000, "players": 4}, 4)


def test_a_podium_of_a_small_quiz_has_only_its_players() -> None:
    final = messages.final_results(QUIZ, LEADERBOARD[:2], STANDING, DURING_MS)

    assert len(final["podium"]) == 2


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
    assert set(messages.CLIENT_ACTIONS) == {"answer", "next", "leaderboard", "state", "ping"}
    for action, example in messages.CLIENT_ACTIONS.items():
        assert json.loads(example)["action"] == action
