"""POST /login: exchange a username and password for a signed, expiring token."""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import LoginConfig
from quiz_core.edge.http import http_errors_replied, json_response
from quiz_core.edge.requests import login_request
from quiz_core.security.signing_secret import signing_secret
from quiz_core.services.accounts import log_in
from quiz_core.storage.database import Database
from quiz_core.storage.quiz_repository import QuizRepository

logger = Logger()
config = LoginConfig.from_environ(os.environ)
repository = QuizRepository(Database.from_config(config.database))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with http_errors_replied() as reply:
        request = login_request(event)
        secret = signing_secret(config.tokens.secret_id)

        login = log_in(
            repository,
            request.username,
            request.password,
            secret,
            int(time.time()),
            config.tokens.ttl_seconds,
        )
        logger.info("logged in", extra={"user_id": login.user_id})
        reply.set(
            json_response(
                200,
                {
                    "token": login.token,
                    "token_type": "Bearer",
                    "user_id": login.user_id,
                    "username": login.username,
                    "expires_at": login.expires_at,
                },
            )
        )
    return reply.response
