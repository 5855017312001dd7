"""WebSocket $disconnect: forget the connection."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import ConnectionsConfig
from quiz_core.edge.websocket import WebSocketEvent
from quiz_core.services.participation import close_connection
from quiz_core.storage.connection_registry import ConnectionRegistry

logger = Logger()
registry = ConnectionRegistry(ConnectionsConfig.from_environ(os.environ).table_name)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws = WebSocketEvent.from_event(event)
    if ws.event_type != "DISCONNECT":
        # NOTE: some emulators route a message whose action is "$disconnect" here; only API
        # Gateway's own disconnect event may unregister a connection.
        logger.warning("not a disconnect event", extra={"event_type": ws.event_type})
        return {"statusCode": 200}
    close_connection(registry, ws.connection_id)
    logger.info("connection closed", extra={"connection_id": ws.connection_id})
    return {"statusCode": 200}
