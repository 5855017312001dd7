"""A whole quiz played in-process through every handler, with every post recorded in order.

Three players (one of them on two devices) join a running quiz, answer right, wrong, late,
twice and not at all, ask for the leaderboard and their state, reconnect, receive pushes,
and get the final results. After each step, every message that step posted is checked for
the correct choice of any question.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Handlers,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    answer,
    assert_totals_match_answers,
    connect,
    now_ms,
    send,
)
from tests.support.events import scheduled_event, sqs_event, welcome_event
from tests.support.fake_aws import FakeManagementApi

# What a player may see of a question before answering it.
QUESTION_KEYS = {
    "type",
    "quiz_id",
    "index",
    "total",
    "question_id",
    "category",
    "prompt",
    "choices",
    "points",
    "time_limit_ms",
    "opens_at",
    "closes_at",
    "now",
}


def _correct_choice_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where in a message a ``correct_choice`` key appears, as paths of keys and indexes."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "correct_choice":
                yield (*path, key)
            yield from _correct_choice_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _correct_choice_paths(item, (*path, index))


def _revealed_question(message: dict[str, Any], path: tuple[Any, ...]) -> str | None:
    """The question whose correct choice sits at ``path``, if that is a place for one."""
    if message["type"] == "answer_result" and path == ("correct_choice",):
        return str(message["question_id"])
    if message["type"] == "state" and len(path) == 3 and path[0] == "answered":
        return str(message["answered"][path[1]]["question_id"])
    return None


@dataclass
class Table:
    """The players' devices, the handlers they reach, and the checks after each step."""

    quiz: SeededQuiz
    api: FakeManagementApi
    aws: Aws
    quiz_db: QuizDatabase
    handlers: dict[str, Invoke]
    owner: dict[str, str] = field(default_factory=dict)
    checked: int = 0
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def connect(self, user_id: str) -> str:
        connection_id = connect(self.aws, self.quiz, user_id)
        self.owner[connection_id] = user_id
        self.handlers["ws_welcome"](
            welcome_event(
                connection_id=connection_id,
                quiz_id=self.quiz.quiz_id,
                user_id=user_id,
                endpoint=MANAGEMENT_API_ENDPOINT,
                requested_at_ms=now_ms(),
            )
        )
        self.check()
        return connection_id

    def send(self, connection_id: str, at_ms: int, body: dict[str, Any]) -> None:
        send(self.handlers["ws_message"], connection_id, at_ms, body)
        self.check()

    def push_leaderboards(self) -> None:
        bodies = [message.body for message in self.aws.queued_pushes()]
        self.handlers["leaderboard_push"](
            sqs_event("sqs_leaderboard_push", bodies, sent_at_ms=now_ms())
        )
        self.check()

    def end(self) -> None:
        self.quiz_db.end_now(self.quiz)
        self.handlers["quiz_clock"](scheduled_event(time_ms=now_ms()))
        self.check()

    def current(self, connection_id: str) -> dict[str, Any]:
        """The last question the device was shown, on its own or in a state."""
        for device, message in reversed(self.seen):
            if device == connection_id and message["type"] == "question":
                return message
            if device == connection_id and message["type"] == "state":
                return dict(message["current_question"])
        raise AssertionError(f"{connection_id} was shown no question")

    def check(self) -> None:
        """No message of the last step shows a correct choice the player may not know yet."""
        posted = self.api.log()
        new, self.checked = posted[self.checked :], len(posted)
        self.seen.extend(new)
        correct = {q.question_id: q.correct_choice for q in self.quiz.questions}
        for connection_id, message in new:
            player = self.owner[connection_id]
            final = {
                row["question_id"]
                for row in self.quiz_db.scored_answers(self.quiz.quiz_id)
                if row["user_id"] == player
            }
            for question in _questions_in(message):
                assert set(question) == QUESTION_KEYS, question
            for path in _correct_choice_paths(message):
                revealed = _revealed_question(message, path)
                assert revealed is not None, f"correct_choice at {path} of {message}"
                assert revealed in final, f"{player} was told {revealed} before answering it"
                assert message_value(message, path) == correct[revealed]


def _questions_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    if message["type"] == "question":
        return [message]
    if message["type"] == "state" and message["current_question"] is not None:
        return [message["current_question"]]
    return []


def message_value(message: dict[str, Any], path: tuple[Any, ...]) -> Any:
    value: Any = message
    for step in path:
        value = value[step]
    return value


@pytest.fixture
def table(
    handlers: Handlers, gone_api: FakeManagementApi, quiz_db: QuizDatabase, aws: Aws
) -> Table:
    quiz = quiz_db.seed(players=3, questions=4)
    invokers = {
        name: handlers.invoker(name)
        for name in ("ws_welcome", "ws_message", "leaderboard_push", "quiz_clock")
    }
    return Table(quiz, gone_api, aws, quiz_db, invokers)


def test_no_message_shows_a_correct_choice_before_the_players_answer_is_final(
    table: Table,
) -> None:
    quiz, q = table.quiz, table.quiz.questions
    ann, bob, cy = quiz.user_ids
    ann_phone, bob_phone, cy_phone = (table.connect(player) for player in quiz.user_ids)

    opened = table.current(ann_phone)["opens_at"]
    table.send(ann_phone, opened + 1_000, answer(q[0].question_id, q[0].correct_choice))
    table.send(bob_phone, opened + 1_500, answer(q[0].question_id, q[0].wrong_choice))
    table.send(ann_phone, opened + 1_200, {"action": "leaderboard"})
    table.push_leaderboards()

    cy_tablet = table.connect(cy)
    cy_closes = table.current(cy_tablet)["closes_at"]
    table.send(cy_tablet, opened + 3_000, {"action": "next"})
    table.send(cy_tablet, cy_closes + 501, answer(q[0].question_id, q[0].correct_choice))
    table.send(cy_phone, cy_closes + 600, {"action": "state"})

    at = table.current(ann_phone)["opens_at"]
    table.send(ann_phone, at + 700, answer(q[1].question_id, q[1].correct_choice))
    table.send(ann_phone, at + 900, {"action": "state"})
    bob_closes = table.current(bob_phone)["closes_at"]
    table.send(bob_phone, bob_closes + 501, {"action": "next"})

    ann_laptop = table.connect(ann)
    for question in q[2:]:
        at = table.current(ann_laptop)["opens_at"]
        table.send(ann_laptop, at + 800, answer(question.question_id, question.correct_choice))
    at = table.current(bob_phone)["opens_at"]
    table.send(bob_phone, at + 400, answer(q[2].question_id, q[2].correct_choice))
    table.send(bob_phone, at + 900, answer(q[2].question_id, q[2].wrong_choice))
    table.push_leaderboards()
    table.end()

    kinds = {message["type"] for _, message in table.seen}
    assert kinds == {
        "welcome",
        "question",
        "answer_result",
        "leaderboard",
        "state",
        "error",
        "finished",
        "final_results",
    }
    errors = {m["code"] for _, m in table.seen if m["type"] == "error"}
    assert errors == {"question_still_open"}
    statuses = [m["status"] for _, m in table.seen if m["type"] == "answer_result"]
    assert {"answered", "too_late", "already_answered"} <= set(statuses)
    assert sorted(table.api.deleted) == sorted(table.owner)
    assert_totals_match_answers(table.quiz_db, quiz.quiz_id)
