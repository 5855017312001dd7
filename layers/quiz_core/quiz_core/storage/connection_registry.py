"""The DynamoDB table of open WebSocket connections.

The table is a cache of who is connected: API Gateway's ``$disconnect`` is best effort, so
rows also expire through a TTL, and a post answered with 410 Gone deletes its row.

Key and attribute names are defined here once; ``infra/template.yaml`` declares the same
names and a test checks that they agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from quiz_core.models import ConnectionRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONNECTION_ID = "connection_id"
QUIZ_ID = "quiz_id"
USER_ID = "user_id"
CONNECTED_AT = "connected_at"
# "{user_id}#{connection_id}": the index's sort key, so that one index finds both every
# connection of a quiz and the connections of one player in it. Ids never contain "#".
PLAYER_CONNECTION = "player_connection"
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

    def players_of_quiz(self, quiz_id: str) -> Iterator[PlayerConnection]:
        """Every registered connection of a quiz, one index page at a time.

        The index projects keys only: a broadcast needs nothing else, and a smaller index
        costs less to write on every connect and disconnect.
        """
        yield from self._query_index(quiz_id, None)

    def connections_of_player(self, quiz_id: str, user_id: str) -> list[str]:
        return [c.connection_id for c in self._query_index(quiz_id, user_id)]

    def _query_index(self, quiz_id: str, user_id: str | None) -> Iterator[PlayerConnection]:
        condition = "#quiz = :quiz"
        names = {"#quiz": QUIZ_ID}
        values: dict[str, Any] = {":quiz": {"S": quiz_id}}
        if user_id is not None:
            condition += " AND begins_with(#player, :player)"
            names["#player"] = PLAYER_CONNECTION
            values[":player"] = {"S": f"{user_id}#"}
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table_name,
            IndexName=QUIZ_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        for page in pages:
            for item in page.get("Items", []):
                user, _, connection_id = item[PLAYER_CONNECTION]["S"].partition("#")
                yield PlayerConnection(connection_id=connection_id, user_id=user)


@dataclass(frozen=True)
class PlayerConnection:
    connection_id: str
    user_id: str


def _item_from_record(record: ConnectionRecord) -> dict[str, Any]:
    return {
        CONNECTION_ID: {"S": record.connection_id},
        PLAYER_CONNECTION: {"S": f"{record.user_id}#{record.connection_id}"},
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
