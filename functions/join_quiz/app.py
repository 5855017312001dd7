"""POST /join_quiz/{quiz_id}/{user_id}: make a user a participant of a quiz."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from quiz_core.config import JoinQuizConfig
from quiz_core.edge.http import INTERNAL_ERROR_BODY, UNAVAILABLE_BODY, error_body, status_for
from quiz_core.errors import QuizError
from quiz_core.models import utc_from_epoch_ms
from quiz_core.rules import messages
from quiz_core.rules.identifiers import ensure_identifier
from quiz_core.services.participation import join_quiz
from quiz_core.storage.database import Database, DatabaseUnavailable
from quiz_core.storage.quiz_repository import QuizRepository

logger = Logger()
config = JoinQuizConfig.from_environ(os.environ)
repository = QuizRepository(Database(config.database.url))
app = APIGatewayHttpResolver()


@app.post("/join_quiz/<quiz_id>/<user_id>")
def post_join_quiz(quiz_id: str, user_id: str) -> Response[dict[str, Any]]:
    quiz_id = ensure_identifier(quiz_id, "quiz_id")
    user_id = ensure_identifier(user_id, "user_id")
    now = utc_from_epoch_ms(app.current_event.request_context.time_epoch)

    result = join_quiz(repository, quiz_id, user_id, now)
    logger.info("quiz joined", extra={"quiz_id": quiz_id, "user_id": user_id})
    body = messages.joined(
        result.quiz, result.participation, result.created, now, config.websocket_url
    )
    return Response(status_code=200, content_type="application/json", body=body)


@app.exception_handler(QuizError)  # type: ignore[untyped-decorator]
def reply_to_quiz_error(error: QuizError) -> Response[dict[str, Any]]:
    logger.info("join refused", extra={"code": error.code})
    return Response(status_for(error), "application/json", error_body(error))


@app.exception_handler(DatabaseUnavailable)  # type: ignore[untyped-decorator]
def reply_to_database_outage(error: DatabaseUnavailable) -> Response[dict[str, Any]]:
    logger.exception("database unavailable")
    return Response(503, "application/json", UNAVAILABLE_BODY)


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def reply_to_unexpected_error(error: Exception) -> Response[dict[str, Any]]:
    logger.exception("join failed")
    return Response(500, "application/json", INTERNAL_ERROR_BODY)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
