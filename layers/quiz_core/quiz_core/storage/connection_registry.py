"""The DynamoDB table of open WebSocket connections.

The table is a cache of who is connected: API Gateway's ``$disconnect`` is best effort, so
rows also expire through a TTL, and a post answered with 410 Gone deletes its row.

Key and attribute names are defined here once; ``infra/template.yaml`` declares the same
names and a test checks that they agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3

from quiz_core.models import ConnectionRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONNECTION_ID = "connection_id"
QUIZ_ID = "quiz_id"
USER_ID = "user_id"
CONNECTED_AT = "connected_at"
EXPIRES_AT = "expires_at"
QUIZ_INDEX = "by_quiz"


class ConnectionRegistry:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client: DynamoDBClient = client or boto3.client("dynamodb")

    def add(self, record: ConnectionRecord) -> None:
        self._client.put_item(TableName=self._table_name, Item=_item_from_record(record))

    def get(self, connection_id: str) -> ConnectionRecord | None:
        # NOTE: a strongly consistent read, because the first message of a client may arrive
        # right after its $connect wrote the row.
        reply = self._client.get_item(
            TableName=self._table_name,
            Key={CONNECTION_ID: {"S": connection_id}},
            ConsistentRead=True,
        )
        item = reply.get("Item")
        return _record_from_item(item) if item else None

    def remove(self, connection_id: str) -> None:
        self._client.delete_item(
            TableName=self._table_name, Key={CONNECTION_ID: {"S": connection_id}}
        )

    def extend(self, connection_id: str, expires_at: int) -> None:
        """Pushes the row's expiry back; does nothing if the row is already gone."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={CONNECTION_ID: {"S": connection_id}},
                UpdateExpression="SET #expires = :expires",
                ConditionExpression="attribute_exists(#id)",
                ExpressionAttributeNames={"#expires": EXPIRES_AT, "#id": CONNECTION_ID},
                ExpressionAttributeValues={":expires": {"N": str(expires_at)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def connection_ids_of_quiz(self, quiz_id: str) -> Iterator[str]:
        """Every registered connection of a quiz, one index page at a time.

        The index projects keys only: a broadcast needs nothing else, and a smaller index
        costs less to write on every connect and disconnect.
        """
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table_name,
            IndexName=QUIZ_INDEX,
            KeyConditionExpression="#quiz = :quiz",
            ExpressionAttributeNames={"#quiz": QUIZ_ID},
            ExpressionAttributeValues={":quiz": {"S": quiz_id}},
        )
        for page in pages:
            for item in page.get("Items", []):
                yield item[CONNECTION_ID]["S"]


def _item_from_record(record: ConnectionRecord) -> dict[str, Any]:
    return {
        CONNECTION_ID: {"S": record.connection_id},
        QUIZ_ID: {"S": record.quiz_id},
        USER_ID: {"S": record.user_id},
        CONNECTED_AT: {"N": str(record.connected_at_ms)},
        EXPIRES_AT: {"N": str(record.expires_at)},
    }


def _record_from_item(item: dict[str, Any]) -> ConnectionRecord:
    return ConnectionRecord(
        connection_id=item[CONNECTION_ID]["S"],
        quiz_id=item[QUIZ_ID]["S"],
        user_id=item[USER_ID]["S"],
        connected_at_ms=int(item[CONNECTED_AT]["N"]),
        expires_at=int(item[EXPIRES_AT]["N"]),
    )
