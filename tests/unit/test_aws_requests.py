"""The exact AWS requests of the delivery and storage adapters, checked with Stubber.

Stubber answers in the order responses were added, so broadcasts here use one thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from quiz_core.config import ManagementApiConfig
from quiz_core.delivery.management_api import (
    MAX_MESSAGE_BYTES,
    Broadcaster,
    BroadcastReport,
    Delivery,
    ManagementApi,
    MessageTooLarge,
    encode,
)
from quiz_core.delivery.push_queue import QuizEvent, QuizEventQueue
from quiz_core.delivery.welcome_trigger import WelcomeRequest, WelcomeTrigger
from quiz_core.models import ConnectionRecord
from quiz_core.storage.connection_registry import (
    ConnectionRegistry,
    PlayerConnection,
    RateLimited,
)
from quiz_core.storage.push_marks import PushMarks

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/live"
TABLE = "connections"


def _client(service: str, **extra: Any) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **extra,
    )


@pytest.fixture
def management() -> Iterator[tuple[ManagementApi, Stubber]]:
    client = _client("apigatewaymanagementapi", endpoint_url=ENDPOINT)
    endpoints: list[str] = []

    def factory(endpoint: str) -> Any:
        endpoints.append(endpoint)
        return client

    api = ManagementApi(ManagementApiConfig(None, 1, 2), client_factory=factory)
    with Stubber(client) as stub:
        yield api, stub
        stub.assert_no_pending_responses()
    assert set(endpoints) <= {ENDPOINT}


@pytest.fixture
def dynamodb() -> Iterator[tuple[ConnectionRegistry, Stubber]]:
    client = _client("dynamodb")
    with Stubber(client) as stub:
        yield ConnectionRegistry(TABLE, client=client), stub
        stub.assert_no_pending_responses()


def _post(connection_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"ConnectionId": connection_id, "Data": encode(message)}


def test_a_message_is_posted_as_compact_utf8_json(
    management: tuple[ManagementApi, Stubber],
) -> None:
    api, stub = management
    message = {"type": "pong", "note": "déjà vu"}
    stub.add_response(
        "post_to_connection",
        {},
        {"ConnectionId": "CJp4=", "Data": '{"type":"pong","note":"déjà vu"}'.encode()},
    )

    assert api.post(ENDPOINT, "CJp4=", message) is Delivery.DELIVERED


@pytest.mark.parametrize(
    ("code", "status", "delivery"),
    [
        ("GoneException", 410, Delivery.GONE),
        ("LimitExceededException", 429, Delivery.FAILED),
        ("PayloadTooLargeException", 413, Delivery.FAILED),
        ("ForbiddenException", 403, Delivery.FAILED),
    ],
)
def test_a_refused_post_is_told_apart_from_a_gone_connection(
    code: str, status: int, delivery: Delivery, management: tuple[ManagementApi, Stubber]
) -> None:
    api, stub = management
    stub.add_client_error(
        "post_to_connection", code, http_status_code=status, expected_params=_post("c=", {})
    )

    assert api.post(ENDPOINT, "c=", {}) is delivery


def test_closing_a_connection_that_is_already_gone_is_not_an_error(
    management: tuple[ManagementApi, Stubber],
) -> None:
    api, stub = management
    stub.add_client_error(
        "delete_connection",
        "GoneException",
        http_status_code=410,
        expected_params={"ConnectionId": "c="},
    )

    api.close_connection(ENDPOINT, "c=")


def test_the_endpoint_comes_from_the_event_unless_one_is_configured() -> None:
    derived = ManagementApi(ManagementApiConfig(None, 1, 2))
    configured = ManagementApi(ManagementApiConfig("https://ws.example.com/live", 1, 2))

    assert derived.endpoint_for("abc123.execute-api.us-east-1.amazonaws.com", "live") == ENDPOINT
    assert configured.endpoint_for("abc123.execute-api.us-east-1.amazonaws.com", "live") == (
        "https://ws.example.com/live"
    )


def test_a_broadcast_reports_delivered_gone_and_failed_connections(
    management: tuple[ManagementApi, Stubber],
) -> None:
    api, stub = management
    message = {"type": "leaderboard", "entries": []}
    stub.add_response("post_to_connection", {}, _post("a=", message))
    stub.add_client_error("post_to_connection", "GoneException", http_status_code=410)
    stub.add_client_error("post_to_connection", "LimitExceededException", http_status_code=429)

    report = Broadcaster(api, concurrency=1).broadcast(ENDPOINT, ["a=", "b=", "c="], message)

    assert report == BroadcastReport(delivered=1, gone=("b=",), failed=("c=",))


def test_a_message_over_api_gateways_limit_is_refused_before_posting() -> None:
    frame = len(encode({"pad": ""}))

    assert len(encode({"pad": "x" * (MAX_MESSAGE_BYTES - frame)})) == MAX_MESSAGE_BYTES
    with pytest.raises(MessageTooLarge, match=str(MAX_MESSAGE_BYTES)):
        encode({"pad": "x" * (MAX_MESSAGE_BYTES - frame + 1)})


def test_the_welcome_is_requested_as_an_asynchronous_invocation() -> None:
    client = _client("lambda")
    request = WelcomeRequest("CJp4=", "voc202411290900", "1a2b3c", ENDPOINT, 1732870770412)
    payload = {
        "connection_id": "CJp4=",
        "quiz_id": "voc202411290900",
        "user_id": "1a2b3c",
        "endpoint": ENDPOINT,
        "requested_at_ms": 1732870770412,
    }

    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "welcome-fn",
                "InvocationType": "Event",
                "Payload": json.dumps(payload).encode(),
            },
        )
        WelcomeTrigger("welcome-fn", client=client).request(request)
        stub.assert_no_pending_responses()

    assert WelcomeRequest.from_event(payload) == request


def test_a_connection_is_read_consistently(dynamodb: tuple[ConnectionRegistry, Stubber]) -> None:
    registry, stub = dynamodb
    item = {
        "connection_id": {"S": "c="},
        "quiz_id": {"S": "voc202411290900"},
        "user_id": {"S": "1a2b3c"},
        "connected_at": {"N": "1732870770412"},
        "expires_at": {"N": "1732878570"},
    }
    stub.add_response(
        "get_item",
        {"Item": item},
        {"TableName": TABLE, "Key": {"connection_id": {"S": "c="}}, "ConsistentRead": True},
    )
    stub.add_response(
        "get_item",
        {},
        {"TableName": TABLE, "Key": {"connection_id": {"S": "d="}}, "ConsistentRead": True},
    )

    assert registry.get("c=") == ConnectionRecord(
        "c=", "voc202411290900", "1a2b3c", 1732870770412, 1732878570
    )
    assert registry.get("d=") is None


def test_extending_a_row_that_is_gone_does_not_bring_it_back(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    stub.add_client_error(
        "update_item",
        "ConditionalCheckFailedException",
        http_status_code=400,
        expected_params={
            "TableName": TABLE,
            "Key": {"connection_id": {"S": "c="}},
            "UpdateExpression": "SET #expires = :expires",
            "ConditionExpression": "attribute_exists(#id)",
            "ExpressionAttributeNames": {"#expires": "expires_at", "#id": "connection_id"},
            "ExpressionAttributeValues": {":expires": {"N": "1732878570"}},
        },
    )

    registry.extend("c=", 1732878570)


def test_the_connections_of_a_quiz_are_read_page_after_page(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    query = {
        "TableName": TABLE,
        "IndexName": "by_quiz",
        "KeyConditionExpression": "#quiz = :quiz",
        "ExpressionAttributeNames": {"#quiz": "quiz_id"},
        "ExpressionAttributeValues": {":quiz": {"S": "voc202411290900"}},
    }
    last = {
        "connection_id": {"S": "b="},
        "quiz_id": {"S": "voc202411290900"},
        "player_connection": {"S": "4d5e6f#b="},
    }
    stub.add_response(
        "query",
        {
            "Items": [{"player_connection": {"S": "1a2b3c#a="}}, last],
            "LastEvaluatedKey": last,
        },
        query,
    )
    stub.add_response(
        "query",
        {"Items": [{"player_connection": {"S": "1a2b3c#c="}}]},
        {**query, "ExclusiveStartKey": last},
    )

    assert list(registry.players_of_quiz("voc202411290900")) == [
        PlayerConnection("a=", "1a2b3c"),
        PlayerConnection("b=", "4d5e6f"),
        PlayerConnection("c=", "1a2b3c"),
    ]


def test_the_connections_of_one_player_are_read_from_the_quiz_index_by_prefix(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    stub.add_response(
        "query",
        {"Items": [{"player_connection": {"S": "1a2b3c#a="}}]},
        {
            "TableName": TABLE,
            "IndexName": "by_quiz",
            "KeyConditionExpression": "#quiz = :quiz AND begins_with(#player, :player)",
            "ExpressionAttributeNames": {"#quiz": "quiz_id", "#player": "player_connection"},
            "ExpressionAttributeValues": {
                ":quiz": {"S": "voc202411290900"},
                # The separator keeps user "1a2b3c" from matching user "1a2b3c9".
                ":player": {"S": "1a2b3c#"},
            },
        },
    )

    assert registry.connections_of_player("voc202411290900", "1a2b3c") == ["a="]


def test_a_message_is_counted_and_its_registration_read_in_one_conditional_write(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    item = {
        "connection_id": {"S": "c="},
        "quiz_id": {"S": "voc202411290900"},
        "user_id": {"S": "1a2b3c"},
        "connected_at": {"N": "1732870770412"},
        "expires_at": {"N": "1732878570"},
        "rate_second": {"N": "1732870875"},
        "rate_count": {"N": "3"},
    }
    stub.add_response(
        "update_item",
        {"Attributes": item},
        {
            "TableName": TABLE,
            "Key": {"connection_id": {"S": "c="}},
            "UpdateExpression": "SET #count = #count + :one",
            "ConditionExpression": (
                "attribute_exists(#id) AND #second >= :second AND #count < :limit"
            ),
            "ExpressionAttributeNames": {
                "#id": "connection_id",
                "#second": "rate_second",
                "#count": "rate_count",
            },
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":second": {"N": "1732870875"},
                ":limit": {"N": "10"},
            },
            "ReturnValues": "ALL_NEW",
        },
    )

    assert registry.admit_message("c=", 1732870875250, 10) == ConnectionRecord(
        "c=", "voc202411290900", "1a2b3c", 1732870770412, 1732878570
    )


_RATE_NAMES = {"#id": "connection_id", "#second": "rate_second", "#count": "rate_count"}
_REGISTERED = {
    "connection_id": {"S": "c="},
    "quiz_id": {"S": "voc202411290900"},
    "user_id": {"S": "1a2b3c"},
    "connected_at": {"N": "1732870770412"},
    "expires_at": {"N": "1732878570"},
}


def _count_request(connection_id: str, second: int, limit: int) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": {"connection_id": {"S": connection_id}},
        "UpdateExpression": "SET #count = #count + :one",
        "ConditionExpression": "attribute_exists(#id) AND #second >= :second AND #count < :limit",
        "ExpressionAttributeNames": _RATE_NAMES,
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":second": {"N": str(second)},
            ":limit": {"N": str(limit)},
        },
        "ReturnValues": "ALL_NEW",
    }


def _start_request(connection_id: str, second: int) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": {"connection_id": {"S": connection_id}},
        "UpdateExpression": "SET #second = :second, #count = :one",
        "ConditionExpression": (
            "attribute_exists(#id) AND (attribute_not_exists(#second) OR #second < :second)"
        ),
        "ExpressionAttributeNames": _RATE_NAMES,
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":second": {"N": str(second)}},
        "ReturnValues": "ALL_NEW",
    }


def _condition_failed(stub: Stubber, expected: dict[str, Any]) -> None:
    stub.add_client_error(
        "update_item",
        "ConditionalCheckFailedException",
        http_status_code=400,
        expected_params=expected,
    )


def test_the_first_message_of_a_second_starts_its_count_in_a_second_write(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    _condition_failed(stub, _count_request("c=", 1732870876, 10))
    counted = {**_REGISTERED, "rate_second": {"N": "1732870876"}, "rate_count": {"N": "1"}}
    stub.add_response("update_item", {"Attributes": counted}, _start_request("c=", 1732870876))

    admitted = registry.admit_message("c=", 1732870876001, 10)

    assert admitted == ConnectionRecord(
        "c=", "voc202411290900", "1a2b3c", 1732870770412, 1732878570
    )


def test_a_message_past_the_limit_reads_the_registration_to_tell_it_from_an_unknown_one(
    dynamodb: tuple[ConnectionRegistry, Stubber],
) -> None:
    registry, stub = dynamodb
    for connection_id, found in (("c=", {"Item": _REGISTERED}), ("d=", {})):
        _condition_failed(stub, _count_request(connection_id, 1732870876, 10))
        _condition_failed(stub, _start_request(connection_id, 1732870876))
        stub.add_response(
            "get_item",
            found,
            {
                "TableName": TABLE,
                "Key": {"connection_id": {"S": connection_id}},
                "ConsistentRead": True,
            },
        )

    assert registry.admit_message("c=", 1732870876999, 10) == RateLimited(10)
    assert registry.admit_message("d=", 1732870876999, 10) is None


@pytest.fixture
def push_marks() -> Iterator[tuple[PushMarks, Stubber]]:
    client = _client("dynamodb")
    with Stubber(client) as stub:
        yield PushMarks("push-marks", client=client), stub
        stub.assert_no_pending_responses()


def _mark_request(quiz_id: str, now_ms: int, due_ms: int) -> dict[str, Any]:
    return {
        "TableName": "push-marks",
        "Key": {"quiz_id": {"S": quiz_id}},
        "UpdateExpression": "SET #due = :due, #expires = :expires",
        "ConditionExpression": "attribute_not_exists(#due) OR #due < :stale",
        "ExpressionAttributeNames": {"#due": "due_at_ms", "#expires": "expires_at"},
        "ExpressionAttributeValues": {
            ":due": {"N": str(due_ms)},
            # A day after it is due, the table's TTL drops a mark nobody cleared.
            ":expires": {"N": str(due_ms // 1000 + 86_400)},
            ":stale": {"N": str(now_ms - 30_000)},
        },
    }


def test_a_push_mark_is_set_by_one_conditional_write(
    push_marks: tuple[PushMarks, Stubber],
) -> None:
    marks, stub = push_marks
    stub.add_response("update_item", {}, _mark_request("q", 1_000_000, 1_001_000))

    assert marks.try_mark("q", 1_000_000, 1_001_000) is True


def test_a_pending_push_mark_is_left_alone_and_reported(
    push_marks: tuple[PushMarks, Stubber],
) -> None:
    marks, stub = push_marks
    stub.add_client_error(
        "update_item",
        "ConditionalCheckFailedException",
        http_status_code=400,
        expected_params=_mark_request("q", 1_000_500, 1_001_500),
    )

    assert marks.try_mark("q", 1_000_500, 1_001_500) is False


def test_clearing_a_push_mark_removes_its_due_time(push_marks: tuple[PushMarks, Stubber]) -> None:
    marks, stub = push_marks
    stub.add_response(
        "update_item",
        {},
        {
            "TableName": "push-marks",
            "Key": {"quiz_id": {"S": "q"}},
            "UpdateExpression": "REMOVE #due",
            "ExpressionAttributeNames": {"#due": "due_at_ms"},
        },
    )

    marks.clear("q")


@pytest.mark.parametrize(("asked", "sent"), [(1, 1), (0, 0), (-3, 0), (900, 900), (4000, 900)])
def test_a_quiz_event_is_queued_as_json_with_a_delay_sqs_accepts(asked: int, sent: int) -> None:
    client = _client("sqs")
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/pushes"
    event = QuizEvent("leaderboard", "voc202411290900", ENDPOINT)

    with Stubber(client) as stub:
        stub.add_response(
            "send_message",
            {"MessageId": "m-1"},
            {
                "QueueUrl": url,
                "MessageBody": json.dumps(
                    {"kind": "leaderboard", "quiz_id": "voc202411290900", "endpoint": ENDPOINT}
                ),
                "DelaySeconds": sent,
            },
        )
        QuizEventQueue(url, client=client).send(event, asked)
        stub.assert_no_pending_responses()

    assert QuizEvent.from_body(json.dumps(asdict(event))) == event
