"""AWS endpoints faked at botocore's ``before-send`` seam, for what moto cannot do.

moto's ``post_to_connection`` accepts every connection id and never answers 410 Gone, and
its Lambda needs Docker to run an invocation. The fakes here answer HTTP requests the way
AWS would, before they leave the process, so the code under test keeps its real boto3
clients: requests are serialized, and replies parsed into modeled errors such as
``GoneException``, exactly as they would be against AWS. ``SqsRequests`` fakes nothing: it
records what was asked of SQS, which moto then serves as usual.

Install a fake on a boto3 session before the clients are created: every client copies its
session's event handlers when it is made, so a client built earlier does not see the fake.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

_CONNECTIONS_PATH = "/@connections/"


class _RawBody(io.BytesIO):
    """The urllib3-like body botocore reads a reply from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _reply(
    request: AWSPreparedRequest,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> AWSResponse:
    all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    all_headers.update(headers or {})
    return AWSResponse(request.url, status, all_headers, _RawBody(body))


def _error(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
    body = json.dumps({"message": message}).encode()
    return _reply(request, status, body, {"x-amzn-ErrorType": code})


def _body(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    data = body.read()
    return data.encode() if isinstance(data, str) else data


def split_messages(data: bytes) -> list[dict[str, Any]]:
    """JSON messages written back to back into one buffer, as moto stores posts."""
    text, decoder, messages, position = data.decode(), json.JSONDecoder(), [], 0
    while position < len(text):
        message, position = decoder.raw_decode(text, position)
        messages.append(message)
    return messages


def moto_posts(connection_id: str, region: str, account_id: str = "123456789012") -> list[Any]:
    """What moto's ``@connections`` fake received for one connection, message by message."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    connections = apigatewaymanagementapi_backends[account_id][region].connections
    # NOTE: moto files posts under the id as it appears in the URL, percent-encoded, so
    # an id ending in "=" (as API Gateway's do) is stored under "...%3D".
    connection = connections.get(quote(connection_id, safe=""))
    return split_messages(connection.data) if connection is not None else []


class FakeManagementApi:
    """The ``@connections`` API: records posts per connection, answers 410 where told to.

    Every connection id exists unless ``make_gone`` says otherwise. Thread-safe, since
    broadcasts post from a pool of threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: dict[str, list[bytes]] = defaultdict(list)
        self._gone_for: dict[str, int | None] = {}
        self._attempts: Counter[str] = Counter()
        self._log: list[tuple[str, bytes]] = []
        self.deleted: list[str] = []
        self.endpoints: set[str] = set()

    def install(self, session: boto3.session.Session) -> FakeManagementApi:
        session.events.register("before-send.apigatewaymanagementapi", self._answer)
        return self

    def make_gone(self, *connection_ids: str, posts: int | None = None) -> None:
        """These connections answer 410 Gone: to every post, or to the next ``posts`` ones."""
        with self._lock:
            for connection_id in connection_ids:
                self._gone_for[connection_id] = posts

    def messages_to(self, connection_id: str) -> list[dict[str, Any]]:
        """The messages delivered to a connection (410 answers excluded), decoded."""
        with self._lock:
            return [json.loads(data) for data in self._received.get(connection_id, [])]

    def log(self) -> list[tuple[str, dict[str, Any]]]:
        """Every delivered message with its connection, in the order they were posted."""
        with self._lock:
            return [(connection_id, json.loads(data)) for connection_id, data in self._log]

    def attempts_to(self, connection_id: str) -> int:
        """How many posts were tried on a connection, delivered or answered Gone."""
        with self._lock:
            return self._attempts[connection_id]

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        prefix, marker, quoted_id = url.path.rpartition(_CONNECTIONS_PATH)
        if not marker:
            raise NotImplementedError(f"FakeManagementApi only fakes @connections, not {url.path}")
        connection_id = unquote(quoted_id)
        with self._lock:
            self.endpoints.add(f"{url.scheme}://{url.netloc}{prefix}")
            if request.method == "POST":
                return self._post(request, connection_id)
            if request.method == "DELETE":
                return self._delete(request, connection_id)
        raise NotImplementedError(f"FakeManagementApi does not fake {request.method} @connections")

    def _post(self, request: AWSPreparedRequest, connection_id: str) -> AWSResponse:
        self._attempts[connection_id] += 1
        if self._is_gone(connection_id):
            return _error(request, 410, "GoneException", f"connection {connection_id} is gone")
        body = _body(request)
        self._received[connection_id].append(body)
        self._log.append((connection_id, body))
        return _reply(request, 200)

    def _delete(self, request: AWSPreparedRequest, connection_id: str) -> AWSResponse:
        if self._gone_for.get(connection_id, 0) is None:
            return _error(request, 410, "GoneException", f"connection {connection_id} is gone")
        self.deleted.append(connection_id)
        self._gone_for[connection_id] = None
        return _reply(request, 204)

    def _is_gone(self, connection_id: str) -> bool:
        if connection_id not in self._gone_for:
            return False
        remaining = self._gone_for[connection_id]
        if remaining is None:
            return True
        if remaining <= 0:
            del self._gone_for[connection_id]
            return False
        self._gone_for[connection_id] = remaining - 1
        return True


@dataclass(frozen=True)
class Invocation:
    function_name: str
    invocation_type: str
    payload: Any


class FakeLambda:
    """Lambda's Invoke for asynchronous (``Event``) invocations: records them, runs nothing.

    ``refuse`` makes the next invocations fail as they do while the function does not exist
    (404, which botocore does not retry).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refused = 0
        self.invocations: list[Invocation] = []

    def refuse(self, invocations: int = 1) -> None:
        with self._lock:
            self._refused = invocations

    def install(self, session: boto3.session.Session) -> FakeLambda:
        session.events.register("before-send.lambda.Invoke", self._answer)
        return self

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        header = request.headers.get("X-Amz-Invocation-Type", b"RequestResponse")
        invocation_type = header.decode() if isinstance(header, bytes) else header
        if invocation_type != "Event":
            raise NotImplementedError(f"FakeLambda fakes Event invocations, not {invocation_type}")
        # The path is /2015-03-31/functions/{FunctionName}/invocations.
        function_name = unquote(urlsplit(request.url).path.split("/")[3])
        raw = _body(request)
        payload = json.loads(raw) if raw else None
        with self._lock:
            if self._refused:
                self._refused -= 1
                return _error(
                    request,
                    404,
                    "ResourceNotFoundException",
                    f"Function not found: {function_name}",
                )
            self.invocations.append(Invocation(function_name, invocation_type, payload))
        return _reply(request, 202)


@dataclass(frozen=True)
class SentMessage:
    queue_url: str
    body: dict[str, Any]
    delay_seconds: int | None


class SqsRequests:
    """The ``SendMessage`` requests of the code under test, as it made them.

    Recorded at botocore's parameter seam, so moto still stores the messages. moto keeps a
    message's delay only as a moment in the future; the request says what was asked.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[SentMessage] = []

    def install(self, session: boto3.session.Session) -> SqsRequests:
        session.events.register("before-parameter-build.sqs.SendMessage", self._record)
        return self

    def to(self, queue_url: str) -> list[SentMessage]:
        with self._lock:
            return [message for message in self._sent if message.queue_url == queue_url]

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        message = SentMessage(
            queue_url=params["QueueUrl"],
            body=json.loads(params["MessageBody"]),
            delay_seconds=params.get("DelaySeconds"),
        )
        with self._lock:
            self._sent.append(message)
