"""Asks the welcome function, asynchronously, to greet a connection once it is open.

``$connect`` cannot post to its own connection: API Gateway opens the socket only after the
integration returns. An asynchronous invocation runs after that, and retries until then.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient


@dataclass(frozen=True)
class WelcomeRequest:
    connection_id: str
    quiz_id: str
    user_id: str
    endpoint: str
    requested_at_ms: int

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> WelcomeRequest:
        return cls(
            connection_id=str(event["connection_id"]),
            quiz_id=str(event["quiz_id"]),
            user_id=str(event["user_id"]),
            endpoint=str(event["endpoint"]),
            requested_at_ms=int(event["requested_at_ms"]),
        )


class WelcomeTrigger:
    def __init__(self, function_name: str, client: LambdaClient | None = None) -> None:
        self._function_name = function_name
        self._client: LambdaClient = client or boto3.client("lambda")

    def request(self, welcome: WelcomeRequest) -> None:
        self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=json.dumps(asdict(welcome)).encode(),
        )
