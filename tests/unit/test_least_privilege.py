"""Each function's role allows exactly the actions it uses, on its own resources only.

The template goes through the SAM transform offline (samtranslator, what ``sam deploy`` and
CloudFormation run), with dummy parameter values and no AWS call, and the roles SAM writes
are read with their conditions decided: once as locally (``DatabaseUrl``) and once as on
AWS (``DatabaseSecretArn``). A role may carry the managed AWSLambdaBasicExecutionRole (its
logs) and nothing else managed; every inline statement must name its actions (no ``*``) and
its resources (no bare ``*``), and ``execute-api:ManageConnections`` may only name this
API's own stage. Resources read as placeholders: ``ConnectionsTable.Arn`` is the table's
ARN, ``TokenSigningSecret`` the secret's.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from tests.support.intrinsics import PSEUDO_PARAMETERS, Intrinsics
from tests.support.template import load_template

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
DATABASE_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:quiz-db-AbCdEf"
STAGE = "live"
CONNECTIONS = f"arn:aws:execute-api:us-east-1:123456789012:WebSocketApi/{STAGE}"

# Where the database URL comes from, as the template's parameters say it.
DATABASE_MODES = {
    "url": {"DatabaseUrl": "postgresql://quiz@db.example/quiz", "StageName": STAGE},
    "secret": {"DatabaseSecretArn": DATABASE_SECRET, "StageName": STAGE},
}

GET_SECRET = "secretsmanager:GetSecretValue"
TABLE, INDEX = "ConnectionsTable.Arn", "ConnectionsTable.Arn/index/by_quiz"
MARKS = "PushMarksTable.Arn"
TABLE_ARN = {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
POST = ("execute-api:ManageConnections", f"{CONNECTIONS}/POST/@connections/*")
DELETE = ("execute-api:ManageConnections", f"{CONNECTIONS}/DELETE/@connections/*")


def _poller(queue: str) -> set[tuple[str, str]]:
    """What Lambda's SQS poller needs on the queue that triggers the function."""
    return {
        (action, queue)
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    }


# Every grant of every function when the database is reached by URL; with the secret, each
# function that opens the database may also read that one secret.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "LoginFunction": {(GET_SECRET, "TokenSigningSecret")},
    "AuthorizerFunction": {(GET_SECRET, "TokenSigningSecret")},
    "JoinQuizFunction": {(GET_SECRET, "TokenSigningSecret")},
    "ConnectFunction": {
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
        ("lambda:InvokeFunction", "WelcomeFunction.Arn"),
    },
    "WelcomeFunction": {("dynamodb:DeleteItem", TABLE), POST, DELETE},
    "MessageFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
        ("dynamodb:Query", INDEX),
        ("dynamodb:UpdateItem", MARKS),
        ("sqs:SendMessage", "LeaderboardPushQueue.Arn"),
        POST,
    },
    "LeaderboardPushFunction": {
        ("dynamodb:DeleteItem", TABLE),
        ("dynamodb:Query", INDEX),
        ("dynamodb:UpdateItem", MARKS),
        POST,
        *_poller("LeaderboardPushQueue.Arn"),
    },
    "QuizClockFunction": {
        ("dynamodb:DeleteItem", TABLE),
        ("dynamodb:Query", INDEX),
        ("sqs:SendMessage", "LifecycleQueue.Arn"),
        POST,
        DELETE,
        *_poller("LifecycleQueue.Arn"),
    },
    "DisconnectFunction": {("dynamodb:DeleteItem", TABLE)},
}
WITHOUT_DATABASE = {"AuthorizerFunction", "DisconnectFunction"}


@pytest.fixture(autouse=True)
def offline_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The region SAM asks boto3 for, and no configuration or credentials of this machine."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", PSEUDO_PARAMETERS["AWS::Region"])
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def expected_grants(function: str, mode: str) -> set[tuple[str, str]]:
    if mode == "secret" and function not in WITHOUT_DATABASE:
        return EXPECTED[function] | {(GET_SECRET, DATABASE_SECRET)}
    return EXPECTED[function]


class ManagedPolicies:
    """Stands in for SAM's loader of managed policy names, which would ask IAM."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": BASIC_EXECUTION,
            "AmazonDynamoDBFullAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        }


def translated(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation template SAM makes of ``template``, without any AWS call."""
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties", {})
        # What `sam package` does: code goes to S3 first.
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = "s3://quiz-artifacts/code.zip"
    values = {**PSEUDO_PARAMETERS, **Intrinsics(template, parameters).parameters}
    return transform(packaged, values, ManagedPolicies())


@functools.cache
def _translated_text(mode: str) -> str:
    return json.dumps(translated(load_template(), DATABASE_MODES[mode]))


def _roles(cloudformation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each function's role, by the function's logical id."""
    resources = cloudformation["Resources"]
    roles = {}
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            role_id, attribute = resource["Properties"]["Role"]["Fn::GetAtt"]
            assert attribute == "Arn"
            roles[name] = resources[role_id]
    return roles


def _statements(role: dict[str, Any], intrinsics: Intrinsics) -> Iterator[dict[str, Any]]:
    for policy in intrinsics.resolve(role["Properties"].get("Policies", [])):
        yield from policy["PolicyDocument"]["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def problems(cloudformation: dict[str, Any], mode: str, function: str) -> list[str]:
    """What is wrong with the function's role; empty when it is exactly as expected."""
    intrinsics = Intrinsics(cloudformation, DATABASE_MODES[mode])
    role = _roles(cloudformation)[function]
    found = []
    managed = set(intrinsics.resolve(role["Properties"].get("ManagedPolicyArns", [])))
    if managed != {BASIC_EXECUTION}:
        found.append(f"managed policies {sorted(managed - {BASIC_EXECUTION})} beyond the basic one")
    if role["Properties"].get("PermissionsBoundary") is not None:
        found.append("a permissions boundary this test does not read")

    granted = set()
    for statement in _statements(role, intrinsics):
        unknown = set(statement) - {"Effect", "Action", "Resource", "Sid"}
        if statement.get("Effect") != "Allow" or unknown:
            found.append(f"a statement this test cannot vouch for: {statement}")
            continue
        actions, resources = _as_list(statement["Action"]), _as_list(statement["Resource"])
        found += [f"the action {a!r} has a wildcard" for a in actions if "*" in a]
        found += [f"the resource {r!r} is every resource" for r in resources if r == "*"]
        granted |= {(a, r) for a in actions for r in resources}

    for action, resource in granted:
        if action == "execute-api:ManageConnections" and not re.fullmatch(
            re.escape(CONNECTIONS) + r"/(POST|DELETE|GET)/@connections/\*", resource
        ):
            found.append(f"ManageConnections on {resource!r}, not one method on this API's stage")
    expected = expected_grants(function, mode)
    found += [f"grants {grant} it does not use" for grant in sorted(granted - expected)]
    found += [f"lacks {grant} that it uses" for grant in sorted(expected - granted)]
    return found


@pytest.mark.parametrize("mode", sorted(DATABASE_MODES))
@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_each_function_is_granted_exactly_what_it_uses(function: str, mode: str) -> None:
    assert problems(json.loads(_translated_text(mode)), mode, function) == []


def test_every_function_of_the_template_has_its_expected_grants() -> None:
    assert set(_roles(json.loads(_translated_text("url")))) == set(EXPECTED)


def test_no_other_iam_resource_can_widen_a_role() -> None:
    resources = json.loads(_translated_text("secret"))["Resources"]
    iam = {name: r["Type"] for name, r in resources.items() if r["Type"].startswith("AWS::IAM::")}

    assert set(iam.values()) == {"AWS::IAM::Role"}
    assert set(iam) == {f"{function}Role" for function in EXPECTED}


def test_every_role_can_be_assumed_by_lambda_only() -> None:
    for role in _roles(json.loads(_translated_text("url"))).values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": ["lambda.amazonaws.com"]}
        assert statement["Action"] == ["sts:AssumeRole"]


def _with_statement(function: str, statement: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    policies = template["Resources"][function]["Properties"]["Policies"]
    policies[0]["Statement"].append(statement)
    return template


@pytest.mark.parametrize(
    ("function", "statement", "complaint"),
    [
        (
            "DisconnectFunction",
            {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": TABLE_ARN},
            "has a wildcard",
        ),
        (
            "LoginFunction",
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"},
            "is every resource",
        ),
        (
            "MessageFunction",
            {
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": {"Fn::Sub": "arn:aws:execute-api:us-east-1:123456789012:*"},
            },
            "not one method on this API's stage",
        ),
        (
            "ConnectFunction",
            {"Effect": "Allow", "Action": ["dynamodb:Scan"], "Resource": TABLE_ARN},
            "does not use",
        ),
        (
            "WelcomeFunction",
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": TABLE_ARN},
            "cannot vouch for",
        ),
    ],
    ids=["wildcard action", "every resource", "another api", "unused action", "not action"],
)
def test_a_wider_grant_slipping_into_the_template_is_caught(
    function: str, statement: dict[str, Any], complaint: str
) -> None:
    cloudformation = translated(_with_statement(function, statement), DATABASE_MODES["url"])

    assert any(complaint in problem for problem in problems(cloudformation, "url", function))


def test_a_managed_policy_added_to_a_function_is_caught() -> None:
    template = copy.deepcopy(load_template())
    template["Resources"]["JoinQuizFunction"]["Properties"]["Policies"].append(
        "AmazonDynamoDBFullAccess"
    )

    cloudformation = translated(template, DATABASE_MODES["url"])

    (problem,) = problems(cloudformation, "url", "JoinQuizFunction")
    assert "AmazonDynamoDBFullAccess" in problem


def test_an_sqs_event_of_sam_which_brings_a_managed_policy_is_caught() -> None:
    template = copy.deepcopy(load_template())
    template["Resources"]["DisconnectFunction"]["Properties"]["Events"] = {
        "Queue": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["LifecycleQueue", "Arn"]}}}
    }

    cloudformation = translated(template, DATABASE_MODES["url"])

    assert any(
        "AWSLambdaSQSQueueExecutionRole" in problem
        for problem in problems(cloudformation, "url", "DisconnectFunction")
    )
