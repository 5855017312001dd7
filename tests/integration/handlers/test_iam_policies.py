"""Every AWS call a handler makes is allowed by its function's policy in the template.

The calls are recorded at botocore's ``before-parameter-build`` event while each handler
runs its scenarios in-process: the action and the template resource it acts on (a table,
an index, a queue, a function, a secret, the WebSocket API). A new call in the code without
a matching grant in ``infra/template.yaml`` fails here instead of with AccessDenied after a
deploy, and so does a grant on the wrong resource. The handlers read the database URL from
a secret (``DatabaseSecretArn``, as on AWS), so the conditional grants of that secret are
exercised too; the policies are read with the same parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.handlers.harness import (
    FUNCTION_NAMES,
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Handlers,
    QuizDatabase,
    SeededQuiz,
    answer,
    connect,
    now_ms,
    send,
    username,
)
from tests.support.events import (
    authorizer_event,
    join_event,
    login_event,
    new_connection_id,
    scheduled_event,
    sqs_event,
    websocket_event,
    welcome_event,
)
from tests.support.fake_aws import FakeManagementApi
from tests.support.intrinsics import Intrinsics
from tests.support.template import load_template, resource_properties, resources_of_type

# IAM actions whose names differ from "{endpoint prefix}:{operation}".
IAM_ACTIONS = {
    ("execute-api", "PostToConnection"): "execute-api:ManageConnections",
    ("execute-api", "DeleteConnection"): "execute-api:ManageConnections",
    ("execute-api", "GetConnection"): "execute-api:ManageConnections",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
}
HTTP_METHODS = {"PostToConnection": "POST", "DeleteConnection": "DELETE", "GetConnection": "GET"}
# Functions of the template whose handlers have no scenario here, and why.
NOT_COVERED: dict[str, str] = {}
PASSWORD = "iam scenario password"

Grant = tuple[str, str]


class CallRecorder:
    """The (IAM action, template resource) of every call made by clients created later."""

    def __init__(self, logical_ids: dict[str, str]) -> None:
        self._logical_ids = logical_ids
        self.grants: set[Grant] = set()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        prefix, operation = model.service_model.endpoint_prefix, model.name
        action = IAM_ACTIONS.get((prefix, operation), f"{prefix}:{operation}")
        self.grants.add((action, self._resource(prefix, operation, params)))

    def actions(self) -> set[str]:
        return {action for action, _ in self.grants}

    def _resource(self, prefix: str, operation: str, params: dict[str, Any]) -> str:
        if prefix == "execute-api":
            return f"WebSocketApi/{HTTP_METHODS[operation]}"
        name = next(
            params[key]
            for key in ("TableName", "QueueUrl", "FunctionName", "SecretId")
            if key in params
        )
        resource = self._logical_ids.get(name, f"<not a resource of the template: {name}>")
        if "IndexName" in params:
            resource += f"/index/{params['IndexName']}"
        return resource


@pytest.fixture
def database_secret(aws: Aws, database_url: str) -> str:
    """A secret holding the scratch database's URL, as ``DatabaseSecretArn`` names on AWS."""
    return aws.database_secret(database_url)


@pytest.fixture
def recorder(aws: Aws, database_secret: str) -> CallRecorder:
    """Records the calls of clients made from now on (the test's own were made earlier)."""
    recording = CallRecorder(aws.logical_ids())
    aws.session.events.register("before-parameter-build", recording)
    aws.read_secrets_through_session()
    return recording


def _resource_id(resource: Any, parameters: dict[str, str]) -> str:
    """The template resource (or parameter) a policy statement's ``Resource`` names."""
    by_value = {value: name for name, value in parameters.items()}
    if isinstance(resource, str) and resource in by_value:
        return by_value[resource]
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        assert attribute == "Arn", resource
        return str(logical_id)
    if isinstance(resource, dict) and "Ref" in resource:
        return str(resource["Ref"])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = str(resource["Fn::Sub"])
        index = re.fullmatch(r"\$\{(\w+)\.Arn\}/index/(\w+)", text)
        if index:
            return f"{index[1]}/index/{index[2]}"
        connections = re.search(r"\$\{WebSocketApi\}/\$\{StageName\}/([A-Z*]+)/@connections/", text)
        if connections:
            return f"WebSocketApi/{connections[1]}"
    raise NotImplementedError(f"test_iam_policies.py cannot read the resource {resource!r}")


def _granted(logical_id: str, parameters: dict[str, str]) -> set[Grant]:
    properties = resource_properties(logical_id, "AWS::Serverless::Function")
    grants = set()
    policies = Intrinsics(load_template(), parameters).decide(properties.get("Policies", []))
    for policy in policies:
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow", statement
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                resource_id = _resource_id(resource, parameters)
                grants |= {(action, resource_id) for action in statement["Action"]}
    return grants


def _allowed(call: Grant, grants: set[Grant]) -> bool:
    action, resource = call
    if (action, resource) in grants:
        return True
    api, _, method = resource.partition("/")
    return (
        api == "WebSocketApi" and method in HTTP_METHODS.values() and (action, f"{api}/*") in grants
    )


@dataclass(frozen=True)
class World:
    """What a scenario acts on: the handlers, a seeded quiz with one player, the fakes."""

    handlers: Handlers
    quiz: SeededQuiz
    quiz_db: QuizDatabase
    aws: Aws
    api: FakeManagementApi


def _ws(name: str, connection_id: str, at_ms: int, **fields: Any) -> dict[str, Any]:
    return websocket_event(name, connection_id=connection_id, request_time_ms=at_ms, **fields)


def _login(w: World) -> None:
    invoke = w.handlers.invoker("login")
    for password in (PASSWORD, "wrong"):
        body = {"username": username(w.quiz.user_ids[0]), "password": password}
        assert invoke(login_event(body, time_ms=now_ms()))["statusCode"] in (200, 401)


def _authorize(w: World) -> None:
    invoke = w.handlers.invoker("ws_authorizer")
    for token in (w.aws.token_for(w.quiz.user_ids[0]), "not-a-token"):
        query: dict[str, str | None] = {"quiz_id": w.quiz.quiz_id, "token": token}
        invoke(
            authorizer_event(
                connection_id=new_connection_id(), request_time_ms=now_ms(), query=query
            )
        )


def _join(w: World) -> None:
    user_id = w.quiz.user_ids[0]
    event = join_event(w.quiz.quiz_id, user_id, time_ms=now_ms(), token=w.aws.token_for(user_id))
    assert w.handlers.invoker("join_quiz")(event)["statusCode"] == 200


def _connect(w: World) -> None:
    invoke = w.handlers.invoker("ws_connect")
    user_id = w.quiz.user_ids[0]
    query: dict[str, str | None] = {"quiz_id": w.quiz.quiz_id, "token": "checked already"}
    invoke(
        _ws("ws_connect", new_connection_id(), now_ms(), query=query, authorized_user_id=user_id)
    )
    # A welcome that cannot be requested makes $connect take its row back.
    w.aws.invocations.refuse()
    with pytest.raises(ClientError):
        invoke(
            _ws(
                "ws_connect", new_connection_id(), now_ms(), query=query, authorized_user_id=user_id
            )
        )


def _welcome(w: World) -> None:
    invoke = w.handlers.invoker("ws_welcome")
    # A new player, the same player back, and one who may not be here.
    for user_id in (w.quiz.user_ids[0], w.quiz.user_ids[0], "not_a_participant"):
        connection_id = new_connection_id()
        w.aws.register(connection_id, w.quiz.quiz_id, user_id, now_ms())
        invoke(
            welcome_event(
                connection_id=connection_id,
                quiz_id=w.quiz.quiz_id,
                user_id=user_id,
                endpoint=MANAGEMENT_API_ENDPOINT,
                requested_at_ms=now_ms(),
            )
        )


def _message(w: World) -> None:
    invoke = w.handlers.invoker("ws_message")
    player = w.quiz.user_ids[0]
    w.quiz_db.serve(w.quiz, player, 0, w.quiz.during_ms - 400)
    sender, gone = connect(w.aws, w.quiz, player), connect(w.aws, w.quiz, player)
    w.api.make_gone(gone)
    for second, body in enumerate(
        [
            answer(w.quiz.questions[0].question_id, 0),
            {"action": "leaderboard"},
            {"action": "state"},
            {"action": "ping"},
            {"action": "next"},
        ]
    ):
        send(invoke, sender, w.quiz.during_ms + second * 1000, body)


def _push(w: World) -> None:
    _, gone = (connect(w.aws, w.quiz, w.quiz.user_ids[0]) for _ in range(2))
    w.api.make_gone(gone)
    body = {"kind": "leaderboard", "quiz_id": w.quiz.quiz_id, "endpoint": MANAGEMENT_API_ENDPOINT}
    w.handlers.invoker("leaderboard_push")(
        sqs_event("sqs_leaderboard_push", [body], sent_at_ms=now_ms())
    )


def _clock(w: World) -> None:
    # The seeded quiz's start is overdue; this one starts within the minute, that one ended.
    w.quiz_db.seed(opened=-timedelta(seconds=30), players=0)
    ended = w.quiz_db.seed(opened=timedelta(minutes=10), lasts=timedelta(minutes=9), players=1)
    for seeded in (w.quiz, ended):
        connect(w.aws, seeded, seeded.user_ids[0])
    invoke = w.handlers.invoker("quiz_clock")
    invoke(scheduled_event(time_ms=now_ms()))
    step = {"kind": "start", "quiz_id": w.quiz.quiz_id, "endpoint": MANAGEMENT_API_ENDPOINT}
    invoke(sqs_event("sqs_quiz_step", [step], sent_at_ms=now_ms()))


def _disconnect(w: World) -> None:
    w.handlers.invoker("ws_disconnect")(_ws("ws_disconnect", new_connection_id(), now_ms()))


Scenario = Callable[[World], None]

TABLE, INDEX, MARKS = "ConnectionsTable", "ConnectionsTable/index/by_quiz", "PushMarksTable"
POST, DELETE = "WebSocketApi/POST", "WebSocketApi/DELETE"
MANAGE = "execute-api:ManageConnections"

SECRET, DATABASE = "TokenSigningSecret", "DatabaseSecretArn"
GET_SECRET = "secretsmanager:GetSecretValue"

SCENARIOS: dict[str, tuple[Scenario, set[Grant]]] = {
    "LoginFunction": (_login, {(GET_SECRET, SECRET), (GET_SECRET, DATABASE)}),
    "AuthorizerFunction": (_authorize, {(GET_SECRET, SECRET)}),
    "JoinQuizFunction": (_join, {(GET_SECRET, SECRET), (GET_SECRET, DATABASE)}),
    "ConnectFunction": (
        _connect,
        {
            ("dynamodb:PutItem", TABLE),
            ("dynamodb:DeleteItem", TABLE),
            ("lambda:InvokeFunction", "WelcomeFunction"),
            (GET_SECRET, DATABASE),
        },
    ),
    "WelcomeFunction": (
        _welcome,
        {(MANAGE, POST), (MANAGE, DELETE), ("dynamodb:DeleteItem", TABLE), (GET_SECRET, DATABASE)},
    ),
    "MessageFunction": (
        _message,
        {
            (MANAGE, POST),
            ("dynamodb:UpdateItem", TABLE),
            ("dynamodb:DeleteItem", TABLE),
            ("dynamodb:Query", INDEX),
            ("dynamodb:UpdateItem", MARKS),
            ("sqs:SendMessage", "LeaderboardPushQueue"),
            (GET_SECRET, DATABASE),
        },
    ),
    "LeaderboardPushFunction": (
        _push,
        {
            (MANAGE, POST),
            ("dynamodb:DeleteItem", TABLE),
            ("dynamodb:Query", INDEX),
            ("dynamodb:UpdateItem", MARKS),
            (GET_SECRET, DATABASE),
        },
    ),
    "QuizClockFunction": (
        _clock,
        {
            (MANAGE, POST),
            (MANAGE, DELETE),
            ("dynamodb:DeleteItem", TABLE),
            ("dynamodb:Query", INDEX),
            ("sqs:SendMessage", "LifecycleQueue"),
            (GET_SECRET, DATABASE),
        },
    ),
    "DisconnectFunction": (_disconnect, {("dynamodb:DeleteItem", TABLE)}),
}


def test_every_function_of_the_template_has_a_scenario_or_a_reason_here() -> None:
    functions = set(resources_of_type("AWS::Serverless::Function"))

    assert set(SCENARIOS) | set(NOT_COVERED) == functions
    assert set(SCENARIOS) == set(FUNCTION_NAMES.values())


@pytest.mark.parametrize("logical_id", sorted(SCENARIOS))
def test_every_call_of_the_handler_is_granted_to_its_function_on_its_resource(
    logical_id: str,
    recorder: CallRecorder,
    database_secret: str,
    handlers_for: Callable[..., Handlers],
    gone_api: FakeManagementApi,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    scenario, exercised = SCENARIOS[logical_id]
    parameters = {"DatabaseSecretArn": database_secret}
    handlers = handlers_for(**parameters)
    joined, logs_in = logical_id != "JoinQuizFunction", logical_id == "LoginFunction"
    quiz = quiz_db.seed(players=1, joined=joined, password=PASSWORD if logs_in else None)

    scenario(World(handlers, quiz, quiz_db, aws, gone_api))

    assert recorder.grants >= exercised
    granted = _granted(logical_id, parameters)
    assert {call for call in recorder.grants if not _allowed(call, granted)} == set()
