"""WebSocket $connect: admit a participant's connection and ask for its welcome.

The user is the one the $connect authorizer found in the token, never a query parameter.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import ConnectConfig
from quiz_core.delivery.management_api import ManagementApi
from quiz_core.delivery.welcome_trigger import WelcomeTrigger
from quiz_core.edge.websocket import WebSocketEvent
from quiz_core.errors import QuizError
from quiz_core.rules.identifiers import ensure_identifier
from quiz_core.services.participation import ConnectRequest, open_connection
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.database import Database, DatabaseUnavailable
from quiz_core.storage.quiz_repository import QuizRepository

logger = Logger()
config = ConnectConfig.from_environ(os.environ)
repository = QuizRepository(Database.from_config(config.database))
registry = ConnectionRegistry(config.connections.table_name)
management_api = ManagementApi(config.management_api)
welcome = WelcomeTrigger(config.welcome_function_name)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws = WebSocketEvent.from_event(event)
    logger.append_keys(connection_id=ws.connection_id)
    if ws.event_type != "CONNECT":
        # NOTE: some emulators route a message whose action is "$connect" here.
        logger.warning("not a connect event", extra={"event_type": ws.event_type})
        return {"statusCode": 200}
    try:
        request = ConnectRequest(
            connection_id=ws.connection_id,
            quiz_id=ensure_identifier(ws.query.get("quiz_id"), "quiz_id"),
            user_id=ensure_identifier(ws.authorized_user_id, "user_id"),
            endpoint=management_api.endpoint_for(ws.domain_name, ws.stage),
            requested_at_ms=ws.request_time_ms,
        )
        open_connection(repository, registry, welcome, request, config.connections.ttl_seconds)
    except QuizError as exc:
        logger.info("connection refused", extra={"code": exc.code})
        return {"statusCode": 403}
    except DatabaseUnavailable:
        logger.exception("database unavailable")
        return {"statusCode": 503}

    logger.info("connection opened", extra={"quiz_id": request.quiz_id, "user_id": request.user_id})
    return {"statusCode": 200}
