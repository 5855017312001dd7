"""Every WebSocket message route: answer, next, leaderboard, state, ping and $default.

Replies go through the management API and the function returns no body, which behaves the
same on AWS (one-way routes drop bodies) and on emulators that forward them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import GameplayConfig
from quiz_core.edge.websocket import (
    WebSocketEvent,
    answer_request,
    errors_replied,
    message_context,
    parse_body,
    unknown_action,
)
from quiz_core.services.answering import (
    MessageContext,
    admit_message,
    answer_ping,
    send_leaderboard,
    send_state,
    skip_question,
    submit_answer,
)
from quiz_core.wiring import build_gameplay, build_messaging

logger = Logger()
config = GameplayConfig.from_environ(os.environ)
messaging = build_messaging(config.messaging)
game = build_gameplay(config, messaging)


def on_answer(context: MessageContext, payload: dict[str, Any]) -> None:
    submit_answer(game, context, answer_request(payload))


def on_next(context: MessageContext, payload: dict[str, Any]) -> None:
    skip_question(game, context)


def on_leaderboard(context: MessageContext, payload: dict[str, Any]) -> None:
    send_leaderboard(game, context)


def on_state(context: MessageContext, payload: dict[str, Any]) -> None:
    send_state(game, context)


def on_ping(context: MessageContext, payload: dict[str, Any]) -> None:
    answer_ping(messaging.registry, messaging.channel, context, messaging.ttl_seconds)


ACTIONS: dict[str, Callable[[MessageContext, dict[str, Any]], None]] = {
    "answer": on_answer,
    "next": on_next,
    "leaderboard": on_leaderboard,
    "state": on_state,
    "ping": on_ping,
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws = WebSocketEvent.from_event(event)
    endpoint = messaging.management_api.endpoint_for(ws.domain_name, ws.stage)
    message = message_context(ws, endpoint)
    logger.append_keys(connection_id=ws.connection_id, route=ws.route_key)

    with errors_replied(messaging.channel, message):
        message = admit_message(messaging.registry, message, config.messages_per_second)
        payload = parse_body(ws.body)
        action = ACTIONS.get(str(payload.get("action")))
        if action is None:
            raise unknown_action(payload)
        action(message, payload)
    logger.info("message handled")
    return {"statusCode": 200}
