"""POST /join_quiz/{quiz_id}/{user_id}: make a user a participant of a quiz.

API Gateway routes only that route here, so the handler reads ``pathParameters`` and never
re-parses the path (whose stage prefix emulators report differently from AWS).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import JoinQuizConfig
from quiz_core.edge.http import http_errors_replied, json_response
from quiz_core.models import utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.rules.identifiers import ensure_identifier
from quiz_core.security.signing_secret import signing_secret
from quiz_core.services.accounts import bearer_token, claims_of, ensure_acting_as
from quiz_core.services.participation import join_quiz
from quiz_core.storage.database import Database
from quiz_core.storage.quiz_repository import QuizRepository

logger = Logger()
config = JoinQuizConfig.from_environ(os.environ)
repository = QuizRepository(Database.from_config(config.database))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with http_errors_replied() as reply:
        path = event.get("pathParameters") or {}
        quiz_id = ensure_identifier(path.get("quiz_id"), "quiz_id")
        user_id = ensure_identifier(path.get("user_id"), "user_id")
        now = utc_from_epoch_ms(int(event["requestContext"]["timeEpoch"]))
        token = bearer_token(event)
        ensure_acting_as(claims_of(token, signing_secret(config.tokens.secret_id), now), user_id)

        result = join_quiz(repository, quiz_id, user_id, now, config.max_players)
        logger.info("quiz joined", extra={"quiz_id": quiz_id, "user_id": user_id})
        body = messages.joined(
            result.quiz, result.participation, result.created, now, config.websocket_url, token
        )
        reply.set(json_response(200, body))
    return reply.response
