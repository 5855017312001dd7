"""Debounce marks for leaderboard pushes, one DynamoDB item per quiz.

A mark says "a push of this quiz's leaderboard is already on its way, due at ...". The first
answer of a burst sets it and schedules the push; the rest of the burst finds it set and
does nothing. The push clears the mark before it reads the leaderboard, so an answer landing
after that read schedules the next push instead of being lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

QUIZ_ID = "quiz_id"
DUE_AT = "due_at_ms"
# Marks of quizzes long over are dropped by the table's TTL.
EXPIRES_AT = "expires_at"
MARK_LIFETIME_SECONDS = 24 * 3600


class PushMarks:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client: DynamoDBClient = client or boto3.client("dynamodb")

    def try_mark(self, quiz_id: str, now_ms: int, due_at_ms: int) -> bool:
        """Sets the mark unless a push is pending; True when this caller set it.

        A mark whose due time has long passed counts as absent, so a push that was lost
        (its message dropped) never blocks later ones.
        """
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={QUIZ_ID: {"S": quiz_id}},
                UpdateExpression="SET #due = :due, #expires = :expires",
                ConditionExpression="attribute_not_exists(#due) OR #due < :stale",
                ExpressionAttributeNames={"#due": DUE_AT, "#expires": EXPIRES_AT},
                ExpressionAttributeValues={
                    ":due": {"N": str(due_at_ms)},
                    ":expires": {"N": str(due_at_ms // 1000 + MARK_LIFETIME_SECONDS)},
                    ":stale": {"N": str(now_ms - STALE_AFTER_MS)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def clear(self, quiz_id: str) -> None:
        self._client.update_item(
            TableName=self._table_name,
            Key={QUIZ_ID: {"S": quiz_id}},
            UpdateExpression="REMOVE #due",
            ExpressionAttributeNames={"#due": DUE_AT},
        )


# A pending push normally clears its mark within a second of its due time; one still set
# this long after is taken as lost.
STALE_AFTER_MS = 30_000
