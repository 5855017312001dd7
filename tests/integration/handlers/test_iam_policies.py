"""Every AWS call a handler makes is allowed by its function's policy in the template.

The calls are recorded at botocore's ``before-call`` event while each handler runs its
scenarios in-process, so a new call in the code without a matching grant in
``infra/template.yaml`` fails here instead of with AccessDenied after a deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Handlers,
    QuizDatabase,
    SeededQuiz,
    now_ms,
)
from tests.support.events import join_event, new_connection_id, websocket_event, welcome_event
from tests.support.fake_aws import FakeManagementApi
from tests.support.template import resource_properties

# IAM actions whose names differ from "{endpoint prefix}:{operation}".
IAM_ACTIONS = {
    ("execute-api", "PostToConnection"): "execute-api:ManageConnections",
    ("execute-api", "DeleteConnection"): "execute-api:ManageConnections",
    ("execute-api", "GetConnection"): "execute-api:ManageConnections",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
}


class CallRecorder:
    def __init__(self) -> None:
        self.calls: set[tuple[str, str]] = set()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.add((model.service_model.endpoint_prefix, model.name))

    def actions(self) -> set[str]:
        return {IAM_ACTIONS.get(call, f"{call[0]}:{call[1]}") for call in self.calls}


@pytest.fixture
def recorder(aws: Aws) -> CallRecorder:
    """Records the calls of clients made from now on (the test's own were made earlier)."""
    recording = CallRecorder()
    aws.session.events.register("before-call", recording)
    return recording


def _granted(logical_id: str) -> set[str]:
    properties = resource_properties(logical_id, "AWS::Serverless::Function")
    return {
        action
        for policy in properties.get("Policies", [])
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    }


def _ws(name: str, connection_id: str, at_ms: int, **fields: Any) -> dict[str, Any]:
    return websocket_event(name, connection_id=connection_id, request_time_ms=at_ms, **fields)


def _join(handlers: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi) -> None:
    handlers.invoker("join_quiz")(join_event(quiz.quiz_id, quiz.user_ids[0], time_ms=now_ms()))


def _connect(handlers: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi) -> None:
    query: dict[str, str | None] = {"quiz_id": quiz.quiz_id, "user_id": quiz.user_ids[0]}
    handlers.invoker("ws_connect")(_ws("ws_connect", new_connection_id(), now_ms(), query=query))


def _welcome(handlers: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi) -> None:
    invoke = handlers.invoker("ws_welcome")
    for user_id in (quiz.user_ids[0], "not_a_participant"):
        connection_id = new_connection_id()
        aws.register(connection_id, quiz.quiz_id, user_id, now_ms())
        invoke(
            welcome_event(
                connection_id=connection_id,
                quiz_id=quiz.quiz_id,
                user_id=user_id,
                endpoint=MANAGEMENT_API_ENDPOINT,
                requested_at_ms=now_ms(),
            )
        )


def _message(handlers: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi) -> None:
    invoke = handlers.invoker("ws_message")
    sender, gone = new_connection_id(), new_connection_id()
    for connection_id in (sender, gone):
        aws.register(connection_id, quiz.quiz_id, quiz.user_ids[0], quiz.start_ms)
    api.make_gone(gone)
    answer = {"action": "answer", "question_id": quiz.questions[0].question_id, "choice": 0}
    invoke(_ws("ws_message_answer", sender, quiz.during_ms, body=answer))
    invoke(_ws("ws_message_leaderboard", sender, quiz.during_ms))
    invoke(_ws("ws_message_ping", sender, quiz.during_ms))


def _disconnect(handlers: Handlers, quiz: SeededQuiz, aws: Aws, api: FakeManagementApi) -> None:
    handlers.invoker("ws_disconnect")(_ws("ws_disconnect", new_connection_id(), now_ms()))


Scenario = Callable[[Handlers, SeededQuiz, Aws, FakeManagementApi], None]


MANAGE = "execute-api:ManageConnections"


@pytest.mark.parametrize(
    ("logical_id", "scenario", "exercised"),
    [
        ("JoinQuizFunction", _join, set()),
        ("ConnectFunction", _connect, {"dynamodb:PutItem", "lambda:InvokeFunction"}),
        ("WelcomeFunction", _welcome, {MANAGE, "dynamodb:DeleteItem"}),
        (
            "MessageFunction",
            _message,
            {
                MANAGE,
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            },
        ),
        ("DisconnectFunction", _disconnect, {"dynamodb:DeleteItem"}),
    ],
)
def test_every_call_of_the_handler_is_granted_to_its_function(
    logical_id: str,
    scenario: Scenario,
    exercised: set[str],
    recorder: CallRecorder,
    handlers: Handlers,
    gone_api: FakeManagementApi,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    quiz = quiz_db.seed(players=1, joined=logical_id != "JoinQuizFunction")

    scenario(handlers, quiz, aws, gone_api)

    assert recorder.actions() >= exercised
    assert recorder.actions() <= _granted(logical_id)
