"""Delayed SQS messages that wake the functions pushing to a whole quiz."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

# SQS delays a message by at most 15 minutes.
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class QuizEvent:
    """What a queued message asks for: ``kind`` is a push or a lifecycle step of a quiz."""

    kind: str
    quiz_id: str
    endpoint: str

    @classmethod
    def from_body(cls, body: str) -> QuizEvent:
        data: dict[str, Any] = json.loads(body)
        return cls(
            kind=str(data["kind"]), quiz_id=str(data["quiz_id"]), endpoint=str(data["endpoint"])
        )


class QuizEventQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._client: SQSClient = client or boto3.client("sqs")

    def send(self, event: QuizEvent, delay_seconds: int) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(asdict(event)),
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )
