"""Domain errors. Each carries a stable ``code`` that clients can switch on.

The mapping to HTTP statuses and WebSocket replies lives in ``quiz_core.edge``; nothing here
knows about transports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class QuizError(Exception):
    """Base of every error a player can cause; ``details`` are safe to show to them."""

    code = "quiz_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(QuizError):
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, **({"field": field} if field else {}))


class QuizNotFound(QuizError):
    code = "quiz_not_found"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"No quiz has the id {quiz_id!r}; check the id or list the quizzes")


class UserNotFound(QuizError):
    code = "user_not_found"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"No user has the id {user_id!r}; check the id")


class QuizEnded(QuizError):
    code = "quiz_ended"

    def __init__(self, quiz_id: str, end_time: datetime) -> None:
        super().__init__(
            f"Quiz {quiz_id!r} ended at {end_time.isoformat()}; pick a quiz that is still open",
            end_time=end_time.isoformat(),
        )


class QuizNotStarted(QuizError):
    code = "quiz_not_started"

    def __init__(self, quiz_id: str, start_time: datetime) -> None:
        super().__init__(
            f"Quiz {quiz_id!r} starts at {start_time.isoformat()}; answers open then",
            start_time=start_time.isoformat(),
        )


class NotAParticipant(QuizError):
    code = "not_a_participant"

    def __init__(self, quiz_id: str, user_id: str) -> None:
        super().__init__(
            f"User {user_id!r} has not joined quiz {quiz_id!r}; "
            f"call POST /join_quiz/{quiz_id}/{user_id} first"
        )


class QuestionNotInQuiz(QuizError):
    code = "question_not_in_quiz"

    def __init__(self, quiz_id: str, question_id: str) -> None:
        super().__init__(
            f"Question {question_id!r} is not part of quiz {quiz_id!r}; "
            "answer one of the questions sent in the welcome"
        )


class InvalidChoice(QuizError):
    code = "invalid_choice"

    def __init__(self, question_id: str, choice: int, choice_count: int) -> None:
        super().__init__(
            f"Choice {choice} does not exist for question {question_id!r}; "
            f"send a choice index from 0 to {choice_count - 1}",
            choice_count=choice_count,
        )


class UnknownConnection(QuizError):
    code = "unknown_connection"

    def __init__(self, connection_id: str) -> None:
        super().__init__(
            f"Connection {connection_id!r} is not registered; reconnect with the "
            "websocket_url that POST /join_quiz returned (?quiz_id=...&token=...)"
        )


class QuestionNotServed(QuizError):
    code = "question_not_served"

    def __init__(self, question_id: str) -> None:
        super().__init__(
            f"Question {question_id!r} has not been served to you yet; "
            "answer the current question first"
        )


class QuestionStillOpen(QuizError):
    code = "question_still_open"

    def __init__(self, question_id: str, closes_at_ms: int) -> None:
        super().__init__(
            f"Question {question_id!r} is still open; answer it, or send 'next' after it closes",
            question_id=question_id,
            closes_at=closes_at_ms,
        )


class NoCurrentQuestion(QuizError):
    code = "no_current_question"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(
            f"There is no question to move on from in quiz {quiz_id!r}; "
            "wait for the quiz to start, or for your result"
        )


class InvalidCredentials(QuizError):
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The username or password is wrong; check both and try again")


class Unauthorized(QuizError):
    """No usable token: missing, malformed, not ours, or expired (``expired`` says which)."""

    code = "unauthorized"

    def __init__(self, *, expired: bool = False, presented: bool = False) -> None:
        if expired:
            super().__init__("The token has expired; log in again with POST /login")
            self.code = "token_expired"
        elif presented:
            super().__init__("The token is not valid; log in again with POST /login")
        else:
            super().__init__(
                "This needs 'Authorization: Bearer <token>' with a token from POST /login"
            )


class Forbidden(QuizError):
    code = "forbidden"

    def __init__(self, user_id: str) -> None:
        super().__init__(
            f"Your token is for another user than {user_id!r}; you can only act as yourself"
        )


class RateLimitedError(QuizError):
    code = "rate_limited"

    def __init__(self, per_second: int) -> None:
        super().__init__(
            f"More than {per_second} messages in one second; slow down and resend",
            limit_per_second=per_second,
        )


class QuizFull(QuizError):
    code = "quiz_full"

    def __init__(self, quiz_id: str, max_players: int) -> None:
        super().__init__(
            f"Quiz {quiz_id!r} already has its {max_players} players; pick another quiz",
            max_players=max_players,
        )
