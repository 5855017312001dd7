"""Every event file of ``events/`` runs through its handler, with ids of seeded data.

The files are what ``sam local invoke -e`` takes; these tests keep them in step with the
handlers. Each file names the sample quiz ``voc202411290900`` and user ``1a2b3c`` (who
logs in as ``john_doe``); the tests put a seeded quiz and player in their place, a current
time, and tokens signed with the test's secret instead of the files' sample ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.handlers.harness import Aws, Handlers, QuizDatabase, SeededQuiz, username
from tests.support.events import event_names, load_event, new_connection_id

SAMPLE_QUIZ_ID = "voc202411290900"
SAMPLE_USER_ID = "1a2b3c"
SAMPLE_USERNAME = "john_doe"
SAMPLE_PASSWORD = json.loads(load_event("login")["body"])["password"]
SQS_DONE = {"batchItemFailures": []}


@dataclass(frozen=True)
class Expected:
    function_dir: str
    result: dict[str, Any]
    replies: tuple[str, ...]
    # When, relative to the event, the player's first question was served; None: it was not.
    served_before_ms: int | None = None


EXPECTED = {
    "login": Expected("login", {"statusCode": 200}, ()),
    "ws_authorizer": Expected(
        "ws_authorizer", {"principalId": SAMPLE_USER_ID, "context": {"user_id": SAMPLE_USER_ID}}, ()
    ),
    "join_quiz": Expected("join_quiz", {"statusCode": 200}, ()),
    "ws_connect": Expected("ws_connect", {"statusCode": 200}, ()),
    "ws_welcome": Expected("ws_welcome", {"delivery": "delivered"}, ("welcome", "question")),
    "ws_message_answer": Expected(
        "ws_message", {"statusCode": 200}, ("answer_result", "question"), served_before_ms=400
    ),
    "ws_message_next": Expected(
        "ws_message", {"statusCode": 200}, ("answer_result", "question"), served_before_ms=30_000
    ),
    "ws_message_leaderboard": Expected("ws_message", {"statusCode": 200}, ("leaderboard",)),
    "ws_message_state": Expected("ws_message", {"statusCode": 200}, ("state",)),
    "ws_message_ping": Expected("ws_message", {"statusCode": 200}, ("pong",)),
    "ws_message_default": Expected("ws_message", {"statusCode": 200}, ("error",)),
    "ws_disconnect": Expected("ws_disconnect", {"statusCode": 200}, ()),
    "sqs_leaderboard_push": Expected("leaderboard_push", SQS_DONE, ("leaderboard",)),
    # The seeded quiz opened five minutes ago and nothing has announced its start yet.
    "sqs_quiz_step": Expected("quiz_clock", SQS_DONE, ("quiz_started", "question")),
    "schedule_quiz_clock": Expected("quiz_clock", {"status": "ok"}, ("quiz_started", "question")),
}


def test_every_event_file_is_run_by_a_test() -> None:
    assert sorted(EXPECTED) == event_names()


def _for_seeded(value: Any, quiz: SeededQuiz) -> Any:
    """``value`` with the sample quiz, user and username replaced by the seeded ones."""
    text = json.dumps(value).replace(SAMPLE_QUIZ_ID, quiz.quiz_id)
    text = text.replace(SAMPLE_USER_ID, quiz.user_ids[0])
    return json.loads(text.replace(SAMPLE_USERNAME, username(quiz.user_ids[0])))


def _adapted(name: str, quiz: SeededQuiz, connection_id: str, aws: Aws) -> dict[str, Any]:
    raw = load_event(name)
    assert SAMPLE_QUIZ_ID in json.dumps(raw) or name.startswith(
        ("login", "ws_message", "ws_disconnect", "schedule")
    )
    event: dict[str, Any] = _for_seeded(raw, quiz)
    token = aws.token_for(quiz.user_ids[0])
    if name == "join_quiz":
        event["headers"]["authorization"] = f"Bearer {token}"
    if name == "ws_authorizer":
        event["queryStringParameters"]["token"] = token

    if "Records" in event or "detail-type" in event:  # SQS and EventBridge: nothing to adapt
        return event
    context = event.get("requestContext")
    if context is None:  # the welcome request, sent by $connect rather than API Gateway
        event.update(connection_id=connection_id, requested_at_ms=quiz.during_ms)
        return event
    context["connectionId"] = connection_id
    context["requestTimeEpoch" if "requestTimeEpoch" in context else "timeEpoch"] = quiz.during_ms
    if name == "ws_message_answer":
        body = json.loads(event["body"])
        event["body"] = json.dumps({**body, "question_id": quiz.questions[0].question_id})
    return event


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_event_file_runs_through_its_handler(
    name: str, handlers: Handlers, quiz_db: QuizDatabase, aws: Aws
) -> None:
    expected = EXPECTED[name]
    password = SAMPLE_PASSWORD if name == "login" else None
    quiz = quiz_db.seed(players=1, joined=name != "join_quiz", password=password)
    connection_id = new_connection_id()
    if name not in ("login", "ws_authorizer", "join_quiz", "ws_connect"):
        aws.register(connection_id, quiz.quiz_id, quiz.user_ids[0], quiz.start_ms)
    if expected.served_before_ms is not None:
        quiz_db.serve(quiz, quiz.user_ids[0], 0, quiz.during_ms - expected.served_before_ms)
    invoke = handlers.invoker(expected.function_dir)

    result = invoke(_adapted(name, quiz, connection_id, aws))

    assert {key: result[key] for key in expected.result} == _for_seeded(expected.result, quiz)
    assert tuple(m["type"] for m in aws.posts_to(connection_id)) == expected.replies
