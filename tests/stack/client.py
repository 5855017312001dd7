"""A minimal player: an HTTP join and a WebSocket that collects what the server sends."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from websockets.sync.client import ClientConnection, connect

TIMEOUT_SECONDS = 10


def post(
    url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, method="POST", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Player:
    """One WebSocket connection, used as a context manager.

    ``expect`` waits for the next message of a type and keeps every message received.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._stack = ExitStack()
        self.received: list[dict[str, Any]] = []

    def __enter__(self) -> Player:
        self.socket: ClientConnection = self._stack.enter_context(
            connect(self._url, open_timeout=TIMEOUT_SECONDS)
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def send(self, message: dict[str, Any] | str) -> None:
        self.socket.send(message if isinstance(message, str) else json.dumps(message))

    def expect_any(self, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        """The next message, whatever its type."""
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
        self.received.append(message)
        return message

    def expect(self, message_type: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        return self.expect_where(message_type, lambda _: True, timeout)

    def expect_where(
        self,
        message_type: str,
        matches: Callable[[dict[str, Any]], bool],
        timeout: float = TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        """The next message of that type for which ``matches`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [m.get("type") for m in self.received]
                raise AssertionError(f"no {message_type!r} message within {timeout}s; saw {seen}")
            message = json.loads(self.socket.recv(timeout=remaining))
            self.received.append(message)
            if message.get("type") == message_type and matches(message):
                return message
