"""Talking to the players of a quiz: one connection, or every connection of the quiz."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from quiz_core.delivery.management_api import Broadcaster, BroadcastReport, Delivery, ManagementApi
from quiz_core.storage.connection_registry import ConnectionRegistry, PlayerConnection

logger = Logger(child=True)


class QuizChannel:
    """Sends through the management API and forgets connections that are gone (410)."""

    def __init__(
        self, api: ManagementApi, broadcaster: Broadcaster, registry: ConnectionRegistry
    ) -> None:
        self._api = api
        self._broadcaster = broadcaster
        self._registry = registry

    def send(
        self,
        endpoint: str,
        connection_id: str,
        message: dict[str, Any],
        *,
        forget_if_gone: bool = True,
    ) -> Delivery:
        delivery = self._api.post(endpoint, connection_id, message)
        if delivery is Delivery.GONE and forget_if_gone:
            self.forget(connection_id)
        return delivery

    def forget(self, connection_id: str) -> None:
        """Drops a connection that answered 410, unless it is still opening."""
        self._registry.remove_if_settled(connection_id, time.time_ns() // 1_000_000)

    def unregister(self, connection_id: str) -> None:
        """Drops a connection known to be over (closed by us, or never opened), however young."""
        self._registry.remove(connection_id)

    def send_to_player(
        self, endpoint: str, quiz_id: str, user_id: str, messages: Sequence[dict[str, Any]]
    ) -> None:
        """The messages, in order, to every connection the player has open in the quiz.

        The player's connections (a phone and a tablet) are looked up once for all of them.
        """
        connection_ids = self._registry.connections_of_player(quiz_id, user_id)
        for message in messages:
            report = self._broadcaster.broadcast(endpoint, connection_ids, message)
            self._settle(quiz_id, message.get("type"), len(connection_ids), report)
            connection_ids = [cid for cid in connection_ids if cid not in report.gone]

    def broadcast(self, endpoint: str, quiz_id: str, message: dict[str, Any]) -> BroadcastReport:
        connection_ids = [c.connection_id for c in self._registry.players_of_quiz(quiz_id)]
        report = self._broadcaster.broadcast(endpoint, connection_ids, message)
        return self._settle(quiz_id, message.get("type"), len(connection_ids), report)

    def send_each(
        self,
        endpoint: str,
        quiz_id: str,
        compose: Callable[[PlayerConnection], dict[str, Any] | None],
        connections: Sequence[PlayerConnection] | None = None,
    ) -> BroadcastReport:
        """A message of its own to every connection of the quiz, built by ``compose``.

        A connection for which ``compose`` returns None is left out. ``connections`` saves
        reading the quiz's connections again when the caller has just read them.
        """
        if connections is None:
            connections = list(self._registry.players_of_quiz(quiz_id))
        composed = [(c.connection_id, compose(c)) for c in connections]
        items = [(cid, message) for cid, message in composed if message is not None]
        report = self._broadcaster.send_each(endpoint, items)
        kind = items[0][1].get("type") if items else None
        return self._settle(quiz_id, kind, len(items), report)

    def _settle(
        self, quiz_id: str, kind: object, recipients: int, report: BroadcastReport
    ) -> BroadcastReport:
        for connection_id in report.gone:
            self.forget(connection_id)
        logger.info(
            "broadcast sent",
            extra={
                "quiz_id": quiz_id,
                "message_type": kind,
                "recipients": recipients,
                "delivered": report.delivered,
                "gone": len(report.gone),
                "failed": len(report.failed),
            },
        )
        return report
