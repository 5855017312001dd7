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
# How long a new connection may take to open before a 410 on it means it is gone.
OPENING_GRACE_MS = 30_000
# The per-connection message rate: the second being counted and the messages in it.
RATE_SECOND = "rate_second"
RATE_COUNT = "rate_count"


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

    def admit_message(
        self, connection_id: str, now_ms: int, per_second: int
    ) -> ConnectionRecord | RateLimited | None:
        """Counts a message against the connection's rate and returns its registration.

        None for an unknown connection, ``RateLimited`` past ``per_second`` messages in the
        current second. NOTE: in the common case this single conditional write is also the
        read of the registration, so rate limiting costs no extra round trip.
        """
        second = now_ms // 1000
        for update in (self._count_in_second, self._start_second):
            try:
                item = update(connection_id, second, per_second)
            except self._client.exceptions.ConditionalCheckFailedException:
                continue
            return _record_from_item(item)
        return RateLimited(per_second) if self.get(connection_id) else None

    def _count_in_second(self, connection_id: str, second: int, per_second: int) -> Any:
        # ">=": two messages of one connection can run at once, and the one received in the
        # previous second may get here after the next second was started; it counts
        # against the newer second instead of being refused.
        return self._client.update_item(
            TableName=self._table_name,
            Key={CONNECTION_ID: {"S": connection_id}},
            UpdateExpression="SET #count = #count + :one",
            ConditionExpression="attribute_exists(#id) AND #second >= :second AND #count < :limit",
            ExpressionAttributeNames=_RATE_NAMES,
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":second": {"N": str(second)},
                ":limit": {"N": str(per_second)},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]

    def _start_second(self, connection_id: str, second: int, per_second: int) -> Any:
        return self._client.update_item(
            TableName=self._table_name,
            Key={CONNECTION_ID: {"S": connection_id}},
            UpdateExpression="SET #second = :second, #count = :one",
            ConditionExpression=(
                "attribute_exists(#id) AND (attribute_not_exists(#second) OR #second < :second)"
            ),
            ExpressionAttributeNames=_RATE_NAMES,
            ExpressionAttributeValues={":one": {"N": "1"}, ":second": {"N": str(second)}},
            ReturnValues="ALL_NEW",
        )["Attributes"]

    def remove_if_settled(self, connection_id: str, now_ms: int) -> None:
        """Removes the row of a connection that answered 410, unless it is still opening.

        NOTE: a connection is registered by $connect before API Gateway opens the socket, and
        a post in between answers 410 too. Rows younger than ``OPENING_GRACE_MS`` are kept,
        so a push racing a handshake cannot unregister a player; a connection that really
        died young is removed by a later 410, by $disconnect or by the TTL.
        """
        try:
            self._client.delete_item(
                TableName=self._table_name,
                Key={CONNECTION_ID: {"S": connection_id}},
                ConditionExpression="attribute_not_exists(#at) OR #at < :settled",
                ExpressionAttributeNames={"#at": CONNECTED_AT},
                ExpressionAttributeValues={":settled": {"N": str(now_ms - OPENING_GRACE_MS)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

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


_RATE_NAMES = {"#id": CONNECTION_ID, "#second": RATE_SECOND, "#count": RATE_COUNT}


@dataclass(frozen=True)
class RateLimited:
    per_second: int


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
