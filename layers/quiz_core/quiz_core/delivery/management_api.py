"""Posting to WebSocket connections through API Gateway's ``@connections`` API."""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from quiz_core.config import ManagementApiConfig

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi.client import ApiGatewayManagementApiClient

logger = Logger(child=True)

# API Gateway closes a socket on a message over 128 KB; refuse before posting.
MAX_MESSAGE_BYTES = 128 * 1024


class Delivery(enum.StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True)
class BroadcastReport:
    delivered: int
    gone: tuple[str, ...]
    failed: tuple[str, ...]


ClientFactory = Callable[[str], "ApiGatewayManagementApiClient"]


class ManagementApi:
    """Sends messages to connections; one client per endpoint, kept across invocations."""

    def __init__(
        self, config: ManagementApiConfig, client_factory: ClientFactory | None = None
    ) -> None:
        self._config = config
        self._client_factory = client_factory or self._default_client
        self._clients: dict[str, ApiGatewayManagementApiClient] = {}
        self._lock = threading.Lock()

    def endpoint_for(self, domain_name: str, stage: str) -> str:
        """The configured endpoint, or the one API Gateway serves the event's stage on."""
        return self._config.endpoint or f"https://{domain_name}/{stage}"

    def configured_or(self, endpoint: str) -> str:
        """The configured endpoint when there is one, else ``endpoint``."""
        return self._config.endpoint or endpoint

    def post(self, endpoint: str, connection_id: str, message: dict[str, Any]) -> Delivery:
        return self.post_raw(endpoint, connection_id, encode(message))

    def post_raw(self, endpoint: str, connection_id: str, data: bytes) -> Delivery:
        client = self._client(endpoint)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except client.exceptions.GoneException:
            return Delivery.GONE
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "post to connection failed",
                extra={"connection_id": connection_id, "error": type(exc).__name__},
            )
            return Delivery.FAILED
        return Delivery.DELIVERED

    def close_connection(self, endpoint: str, connection_id: str) -> None:
        client = self._client(endpoint)
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException:
            return

    def _client(self, endpoint: str) -> ApiGatewayManagementApiClient:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                client = self._client_factory(endpoint)
                self._clients[endpoint] = client
            return client

    def _default_client(self, endpoint: str) -> ApiGatewayManagementApiClient:
        timeout = self._config.post_timeout_seconds
        # NOTE: short timeouts and one retry: a post that hangs (a Lambda in a VPC without a
        # route to execute-api) must not hold the whole broadcast until the function times out.
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=self._config.broadcast_concurrency,
        )
        return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, config=config)


class Broadcaster:
    """Fans one message out to many connections in parallel, through a bounded pool."""

    def __init__(self, api: ManagementApi, concurrency: int) -> None:
        self._api = api
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="post")

    def broadcast(
        self, endpoint: str, connection_ids: Iterable[str], message: dict[str, Any]
    ) -> BroadcastReport:
        data = encode(message)
        ids = list(connection_ids)
        results = list(self._pool.map(lambda cid: self._api.post_raw(endpoint, cid, data), ids))
        return BroadcastReport(
            delivered=sum(1 for r in results if r is Delivery.DELIVERED),
            gone=tuple(cid for cid, r in zip(ids, results, strict=True) if r is Delivery.GONE),
            failed=tuple(cid for cid, r in zip(ids, results, strict=True) if r is Delivery.FAILED),
        )

    def send_each(
        self, endpoint: str, messages: Sequence[tuple[str, dict[str, Any]]]
    ) -> BroadcastReport:
        """Sends each connection its own message, in parallel."""
        results = list(
            self._pool.map(lambda item: self._api.post(endpoint, item[0], item[1]), messages)
        )
        ids = [connection_id for connection_id, _ in messages]
        return _report(ids, results)


def _report(ids: Sequence[str], results: Sequence[Delivery]) -> BroadcastReport:
    return BroadcastReport(
        delivered=sum(1 for r in results if r is Delivery.DELIVERED),
        gone=tuple(cid for cid, r in zip(ids, results, strict=True) if r is Delivery.GONE),
        failed=tuple(cid for cid, r in zip(ids, results, strict=True) if r is Delivery.FAILED),
    )


class MessageTooLarge(Exception):
    """A message would exceed API Gateway's WebSocket message limit."""


def encode(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return data
