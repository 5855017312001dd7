"""The DynamoDB tables as the code uses them and as infra/template.yaml declares them."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from quiz_core.models import ConnectionRecord
from quiz_core.storage import connection_registry as registry
from quiz_core.storage import push_marks
from tests.support.intrinsics import Intrinsics
from tests.support.template import (
    dynamodb_table_kwargs,
    dynamodb_time_to_live,
    load_template,
    resource_properties,
)

TABLE = dynamodb_table_kwargs("ConnectionsTable", table_name="connections")
MARKS = dynamodb_table_kwargs("PushMarksTable", table_name="push-marks")


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _index(name: str) -> dict[str, Any]:
    (index,) = [i for i in TABLE.get("GlobalSecondaryIndexes", []) if i["IndexName"] == name]
    return index


def test_the_table_is_keyed_by_the_connection_id() -> None:
    assert _keys(TABLE["KeySchema"]) == {"HASH": registry.CONNECTION_ID}


def test_the_quiz_index_has_the_name_and_keys_the_registry_queries() -> None:
    index = _index(registry.QUIZ_INDEX)

    assert _keys(index["KeySchema"]) == {
        "HASH": registry.QUIZ_ID,
        "RANGE": registry.PLAYER_CONNECTION,
    }
    # The registry reads only the index's own keys; they are always projected.
    assert index["Projection"]["ProjectionType"] in ("KEYS_ONLY", "ALL")


def test_the_push_marks_table_is_keyed_by_the_quiz_id_the_marks_use() -> None:
    assert _keys(MARKS["KeySchema"]) == {"HASH": push_marks.QUIZ_ID}
    assert [d["AttributeName"] for d in MARKS["AttributeDefinitions"]] == [push_marks.QUIZ_ID]


def test_rows_expire_through_the_attribute_the_registry_writes() -> None:
    assert dynamodb_time_to_live("ConnectionsTable") == {
        "AttributeName": registry.EXPIRES_AT,
        "Enabled": True,
    }


def test_the_registry_writes_each_key_attribute_with_its_declared_type() -> None:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    declared = {d["AttributeName"]: d["AttributeType"] for d in TABLE["AttributeDefinitions"]}
    record = ConnectionRecord("CJp4AcK9oAMCKuQ=", "voc202411290900", "1a2b3c", 1, 7801)
    item = {
        registry.CONNECTION_ID: {"S": record.connection_id},
        registry.PLAYER_CONNECTION: {"S": f"{record.user_id}#{record.connection_id}"},
        registry.QUIZ_ID: {"S": record.quiz_id},
        registry.USER_ID: {"S": record.user_id},
        registry.CONNECTED_AT: {"N": "1"},
        registry.EXPIRES_AT: {"N": "7801"},
    }

    with Stubber(client) as stub:
        stub.add_response("put_item", {}, {"TableName": "connections", "Item": item})
        registry.ConnectionRegistry("connections", client=client).add(record)
        stub.assert_no_pending_responses()

    for name, attribute_type in declared.items():
        assert list(item[name]) == [attribute_type]


def test_the_message_function_may_query_the_index_the_registry_queries() -> None:
    properties = resource_properties("MessageFunction", "AWS::Serverless::Function")
    policies = Intrinsics(load_template()).decide(properties["Policies"])
    resources = [
        statement["Resource"]
        for policy in policies
        for statement in policy["Statement"]
        if "dynamodb:Query" in statement["Action"]
    ]

    assert resources == [{"Fn::Sub": f"${{ConnectionsTable.Arn}}/index/{registry.QUIZ_INDEX}"}]
