"""Recorded API Gateway events from ``events/``, made fresh for each test.

The files are the ones ``sam local invoke -e events/<name>.json`` takes. Tests load them by
name and replace what must be unique or current: connection ids, times, ids of seeded data.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.template import REPO_ROOT

EVENTS_DIR = REPO_ROOT / "events"

Event = dict[str, Any]


def event_names() -> list[str]:
    """Every event file's name, without ``.json``."""
    return sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def load_event(name: str) -> Event:
    """A fresh copy of ``events/<name>.json``: changing it changes no other test's event."""
    return copy.deepcopy(_read(EVENTS_DIR / f"{name}.json"))


@functools.cache
def _read(path: Path) -> Event:
    if not path.is_file():
        raise FileNotFoundError(f"no event file {path}; the files there are {event_names()}")
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must hold a JSON object, as API Gateway sends")
    return loaded


def new_connection_id() -> str:
    """A unique id shaped like API Gateway's: 15 URL-safe characters and a final "="."""
    return secrets.token_urlsafe(11) + "="


def http_time(epoch_ms: int) -> str:
    """API Gateway's ``requestTime`` format, such as ``29/Nov/2024:09:00:00 +0000``."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def websocket_event(
    name: str,
    *,
    connection_id: str,
    request_time_ms: int,
    body: dict[str, Any] | str | None = None,
    query: dict[str, str | None] | None = None,
    authorized_user_id: str | None = None,
    unauthorized: bool = False,
) -> Event:
    """A WebSocket event file with this connection, time, and optionally body and query.

    A dict ``body`` is sent as JSON; a string is sent as it is, malformed or not.
    ``query`` replaces the query string parameters; a key set to ``None`` is not sent.
    ``authorized_user_id`` is the user the ``$connect`` authorizer admitted, as API Gateway
    passes its context on; ``unauthorized`` sends no authorizer context at all.
    """
    event = load_event(name)
    context = event["requestContext"]
    context["connectionId"] = connection_id
    context["requestTimeEpoch"] = request_time_ms
    context["requestTime"] = http_time(request_time_ms)
    context["requestId"] = context["extendedRequestId"] = new_connection_id()
    if "messageId" in context:
        context["messageId"] = new_connection_id()
    if context["eventType"] == "CONNECT":
        context["connectedAt"] = request_time_ms
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    if query is not None:
        sent = {key: value for key, value in query.items() if value is not None}
        event["queryStringParameters"] = sent or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in sent.items()} or None
    if authorized_user_id is not None:
        context["authorizer"] = authorizer_context(authorized_user_id)
    if unauthorized:
        context.pop("authorizer", None)
    return event


def authorizer_context(user_id: str) -> dict[str, Any]:
    """``requestContext.authorizer`` of a connection the authorizer admitted for the user."""
    return {"principalId": user_id, "integrationLatency": 38, "user_id": user_id}


def authorizer_event(
    *, connection_id: str, request_time_ms: int, query: dict[str, str | None]
) -> Event:
    """The ``$connect`` REQUEST authorizer's event, with this query string."""
    event = load_event("ws_authorizer")
    context = event["requestContext"]
    context["connectionId"] = connection_id
    context["connectedAt"] = context["requestTimeEpoch"] = request_time_ms
    context["requestTime"] = http_time(request_time_ms)
    context["requestId"] = context["extendedRequestId"] = new_connection_id()
    sent = {key: value for key, value in query.items() if value is not None}
    event["queryStringParameters"] = sent
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in sent.items()}
    return event


def join_event(
    quiz_id: str, user_id: str, *, time_ms: int, token: str | None, name: str = "join_quiz"
) -> Event:
    """The HTTP API join event for this quiz and user, received at ``time_ms``.

    ``token`` goes in ``Authorization: Bearer``; with None the request has no such header.
    """
    event = load_event(name)
    event["headers"].pop("authorization", None)
    if token is not None:
        event["headers"]["authorization"] = f"Bearer {token}"
    context = event["requestContext"]
    route_path = f"/join_quiz/{quiz_id}/{user_id}"
    raw_path = route_path if context["stage"] == "$default" else f"/{context['stage']}{route_path}"
    event["rawPath"] = context["http"]["path"] = raw_path
    event["pathParameters"] = {"quiz_id": quiz_id, "user_id": user_id}
    context["timeEpoch"] = time_ms
    context["time"] = http_time(time_ms)
    context["requestId"] = new_connection_id()
    return event


def login_event(body: dict[str, Any] | str | None, *, time_ms: int) -> Event:
    """The HTTP API login event with this body (a dict is sent as JSON), at ``time_ms``."""
    event = load_event("login")
    event["body"] = json.dumps(body) if isinstance(body, dict) else body
    text = event["body"] or ""
    event["headers"]["content-length"] = str(len(text.encode(errors="surrogatepass")))
    context = event["requestContext"]
    context["timeEpoch"] = time_ms
    context["time"] = http_time(time_ms)
    context["requestId"] = new_connection_id()
    return event


def welcome_event(
    *, connection_id: str, quiz_id: str, user_id: str, endpoint: str, requested_at_ms: int
) -> Event:
    """The payload ``$connect`` sends to the welcome function, from ``ws_welcome.json``."""
    event = load_event("ws_welcome")
    event.update(
        connection_id=connection_id,
        quiz_id=quiz_id,
        user_id=user_id,
        endpoint=endpoint,
        requested_at_ms=requested_at_ms,
    )
    return event


def sqs_event(name: str, bodies: list[dict[str, Any]], *, sent_at_ms: int) -> Event:
    """An SQS event file delivering these message bodies, one record each, in order.

    Each record is the file's record with a unique id and receipt handle, this body and its
    MD5, as Lambda's SQS poller delivers a batch.
    """
    event = load_event(name)
    (template,) = event["Records"]
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        text = json.dumps(body)
        record["messageId"] = str(uuid.uuid4())
        record["receiptHandle"] = secrets.token_urlsafe(48)
        record["body"] = text
        record["md5OfBody"] = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        record["attributes"]["SentTimestamp"] = str(sent_at_ms)
        record["attributes"]["ApproximateFirstReceiveTimestamp"] = str(sent_at_ms + 1000)
        records.append(record)
    event["Records"] = records
    return event


def scheduled_event(*, time_ms: int, name: str = "schedule_quiz_clock") -> Event:
    """EventBridge's scheduled event, for the run due at ``time_ms`` (whole seconds)."""
    event = load_event(name)
    event["id"] = str(uuid.uuid4())
    event["time"] = datetime.fromtimestamp(time_ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


@dataclass
class LambdaContextStub:
    """What Powertools reads from the Lambda context object; one per invocation."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    invoked_function_arn: str = ""

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = self.invoked_function_arn or (
            f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
