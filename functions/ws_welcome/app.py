"""Invoked asynchronously by $connect: greet the connection once API Gateway opened it."""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import MessagingConfig
from quiz_core.delivery.welcome_trigger import WelcomeRequest
from quiz_core.errors import QuizError
from quiz_core.services.welcome import deliver_welcome
from quiz_core.wiring import build_messaging

logger = Logger()
messaging = build_messaging(MessagingConfig.from_environ(os.environ))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = WelcomeRequest.from_event(event)
    logger.append_keys(connection_id=request.connection_id, quiz_id=request.quiz_id)
    try:
        delivery = deliver_welcome(messaging.repository, messaging.channel, request, now_ms)
    except QuizError as exc:
        # The player lost the right to be here between $connect and now (the quiz data
        # changed): close the connection rather than leave it silent.
        logger.warning("welcome refused", extra={"code": exc.code})
        messaging.management_api.close_connection(request.endpoint, request.connection_id)
        messaging.channel.unregister(request.connection_id)
        return {"delivery": "refused"}

    logger.info("welcome sent", extra={"delivery": delivery.value})
    return {"delivery": delivery.value}
