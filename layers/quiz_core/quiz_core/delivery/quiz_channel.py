"""Talking to the players of a quiz: one connection, or every connection of the quiz."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from quiz_core.delivery.management_api import Broadcaster, BroadcastReport, Delivery, ManagementApi
from quiz_core.storage.connection_registry import ConnectionRegistry

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
        self._registry.remove(connection_id)

    def broadcast(self, endpoint: str, quiz_id: str, message: dict[str, Any]) -> BroadcastReport:
        connection_ids = list(self._registry.connection_ids_of_quiz(quiz_id))
        report = self._broadcaster.broadcast(endpoint, connection_ids, message)
        for connection_id in report.gone:
            self.forget(connection_id)
        logger.info(
            "broadcast sent",
            extra={
                "quiz_id": quiz_id,
                "message_type": message.get("type"),
                "recipients": len(connection_ids),
                "delivered": report.delivered,
                "gone": len(report.gone),
                "failed": len(report.failed),
            },
        )
        return report
