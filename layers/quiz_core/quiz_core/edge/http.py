"""HTTP replies for domain errors, with fixed bodies that reveal no internals."""

from __future__ import annotations

from typing import Any

from quiz_core import errors

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
    return {"code": error.code, "message": error.message, **error.details}
