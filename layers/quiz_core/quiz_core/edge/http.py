"""HTTP replies for domain errors, with fixed bodies that reveal no internals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger

from quiz_core import errors
from quiz_core.storage.database import DatabaseUnavailable

logger = Logger(child=True)

_STATUS_BY_ERROR: dict[type[errors.QuizError], int] = {
    errors.InvalidRequest: 400,
    errors.QuizNotFound: 404,
    errors.UserNotFound: 404,
    errors.QuizEnded: 409,
    errors.QuizNotStarted: 409,
    errors.NotAParticipant: 403,
    errors.QuestionNotInQuiz: 400,
    errors.InvalidChoice: 400,
    errors.UnknownConnection: 403,
    errors.QuestionNotServed: 409,
    errors.QuestionStillOpen: 409,
    errors.NoCurrentQuestion: 409,
    errors.InvalidCredentials: 401,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.RateLimitedError: 429,
    errors.QuizFull: 409,
}

INTERNAL_ERROR_BODY: dict[str, Any] = {
    "code": "internal_error",
    "message": "The server failed to handle this request; try again shortly",
}
UNAVAILABLE_BODY: dict[str, Any] = {
    "code": "service_unavailable",
    "message": "The quiz database is unreachable right now; try again in a few seconds",
}


def status_for(error: errors.QuizError) -> int:
    for kind in type(error).__mro__:
        status = _STATUS_BY_ERROR.get(kind)
        if status is not None:
            return status
    return 400


def error_body(error: errors.QuizError) -> dict[str, Any]:
    return {**error.details, "code": error.code, "message": error.message}


def json_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway payload 2.0 response."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    }


class Reply:
    """Holds the response of an HTTP handler; an error inside the block replaces it."""

    def __init__(self) -> None:
        self.response: dict[str, Any] = json_response(500, INTERNAL_ERROR_BODY)

    def set(self, response: dict[str, Any]) -> None:
        self.response = response


@contextmanager
def http_errors_replied() -> Iterator[Reply]:
    """Turns domain errors into their fixed replies and anything else into a logged 500."""
    reply = Reply()
    try:
        yield reply
    except errors.QuizError as exc:
        logger.info("request refused", extra={"code": exc.code})
        reply.set(json_response(status_for(exc), error_body(exc)))
    except DatabaseUnavailable:
        logger.exception("database unavailable")
        reply.set(json_response(503, UNAVAILABLE_BODY))
    except Exception:
        logger.exception("request failed")
        reply.set(json_response(500, INTERNAL_ERROR_BODY))
