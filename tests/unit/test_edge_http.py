"""HTTP statuses and bodies for domain errors: quiz_core.edge.http."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quiz_core import errors
from quiz_core.edge.http import (
    INTERNAL_ERROR_BODY,
    UNAVAILABLE_BODY,
    error_body,
    status_for,
)

END = datetime(2024, 11, 29, 9, 30, tzinfo=UTC)

# One instance of every domain error, and the status a client must get for it.
EXPECTED_STATUS: dict[type[errors.QuizError], tuple[errors.QuizError, int]] = {
    errors.InvalidRequest: (
        errors.InvalidRequest("quiz_id must be a string", field="quiz_id"),
        400,
    ),
    errors.QuizNotFound: (errors.QuizNotFound("voc2099"), 404),
    errors.UserNotFound: (errors.UserNotFound("zz9"), 404),
    errors.QuizEnded: (errors.QuizEnded("voc202411290900", END), 409),
    errors.QuizNotStarted: (errors.QuizNotStarted("voc202411290900", END), 409),
    errors.NotAParticipant: (errors.NotAParticipant("voc202411290900", "1a2b3c"), 403),
    errors.QuestionNotInQuiz: (errors.QuestionNotInQuiz("voc202411290900", "q9"), 400),
    errors.InvalidChoice: (errors.InvalidChoice("q1", 7, 4), 400),
    errors.UnknownConnection: (errors.UnknownConnection("CJp4AcK9oAMCKuQ="), 403),
    errors.QuestionNotServed: (errors.QuestionNotServed("q2"), 409),
    errors.QuestionStillOpen: (errors.QuestionStillOpen("q1", 1732870895250), 409),
    errors.NoCurrentQuestion: (errors.NoCurrentQuestion("voc202411290900"), 409),
    errors.InvalidCredentials: (errors.InvalidCredentials(), 401),
    errors.Unauthorized: (errors.Unauthorized(), 401),
    errors.Forbidden: (errors.Forbidden("1a2b3c"), 403),
    errors.RateLimitedError: (errors.RateLimitedError(10), 429),
    errors.QuizFull: (errors.QuizFull("voc202411290900", 5000), 409),
}


def test_every_domain_error_is_given_a_status_here() -> None:
    assert set(errors.QuizError.__subclasses__()) == set(EXPECTED_STATUS)


@pytest.mark.parametrize("kind", EXPECTED_STATUS, ids=lambda kind: kind.__name__)
def test_each_domain_error_maps_to_its_status(kind: type[errors.QuizError]) -> None:
    error, status = EXPECTED_STATUS[kind]

    assert status_for(error) == status


def test_a_subclass_of_a_mapped_error_gets_the_status_of_its_parent() -> None:
    class QuizArchived(errors.QuizNotFound):
        code = "quiz_archived"

    assert status_for(QuizArchived("voc2020")) == 404


def test_an_unmapped_domain_error_is_a_client_error() -> None:
    assert status_for(errors.QuizError("something the player did")) == 400


@pytest.mark.parametrize("kind", EXPECTED_STATUS, ids=lambda kind: kind.__name__)
def test_every_error_body_has_a_code_and_a_message(kind: type[errors.QuizError]) -> None:
    error, _ = EXPECTED_STATUS[kind]
    body = error_body(error)

    assert body["code"] == error.code
    assert body["message"] == error.message
    assert body["code"] != errors.QuizError.code


def test_an_error_body_carries_the_safe_details_of_its_error() -> None:
    ended, _ = EXPECTED_STATUS[errors.QuizEnded]

    assert error_body(ended) == {
        "code": "quiz_ended",
        "message": ended.message,
        "end_time": "2024-11-29T09:30:00+00:00",
    }


def test_details_of_an_error_cannot_replace_its_code() -> None:
    error = errors.QuizError("the real message", code="forged")

    assert error_body(error) == {"code": "quiz_error", "message": "the real message"}


@pytest.mark.parametrize("body", [INTERNAL_ERROR_BODY, UNAVAILABLE_BODY])
def test_server_failures_have_fixed_bodies_with_a_code_and_a_message(body: dict[str, str]) -> None:
    assert set(body) == {"code", "message"}
