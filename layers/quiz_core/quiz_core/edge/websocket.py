"""WebSocket events in, error replies out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.edge.requests import json_object
from quiz_core.errors import InvalidRequest, QuizError
from quiz_core.rules import messages
from quiz_core.rules.identifiers import ensure_identifier
from quiz_core.services.answering import AnswerRequest, MessageContext
from quiz_core.storage.database import DatabaseUnavailable

logger = Logger(child=True)

# API Gateway refuses frames over 32 KB; nothing a client sends us needs more than this.
MAX_MESSAGE_BYTES = 4096
# A question has at most 6 choices; anything far outside is refused before any lookup.
MAX_CHOICES = 6


@dataclass(frozen=True)
class WebSocketEvent:
    connection_id: str
    route_key: str
    event_type: str
    domain_name: str
    stage: str
    request_time_ms: int
    body: str | None
    query: dict[str, str]
    authorized_user_id: str | None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> WebSocketEvent:
        context = event["requestContext"]
        return cls(
            connection_id=context["connectionId"],
            route_key=context["routeKey"],
            event_type=str(context.get("eventType", "")),
            domain_name=context["domainName"],
            stage=context["stage"],
            request_time_ms=int(context["requestTimeEpoch"]),
            body=event.get("body"),
            query=dict(event.get("queryStringParameters") or {}),
            authorized_user_id=(context.get("authorizer") or {}).get("user_id"),
        )


def message_context(event: WebSocketEvent, endpoint: str) -> MessageContext:
    return MessageContext(
        connection_id=event.connection_id,
        endpoint=endpoint,
        received_at_ms=event.request_time_ms,
    )


def parse_body(body: str | None) -> dict[str, Any]:
    """The message as a JSON object, or InvalidRequest saying what is wrong with it.

    The same rules as for HTTP bodies: size first, one object, no duplicated keys, bounded
    nesting.
    """
    if not body:
        raise InvalidRequest("The message is empty; send a JSON object with an 'action'")
    return json_object(body, MAX_MESSAGE_BYTES, what="message")


def answer_request(payload: dict[str, Any]) -> AnswerRequest:
    question_id = ensure_identifier(payload.get("question_id"), "question_id")
    choice = payload.get("choice")
    if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < MAX_CHOICES:
        raise InvalidRequest(
            f"choice must be the whole-number index of a choice, 0 to {MAX_CHOICES - 1}",
            field="choice",
        )
    return AnswerRequest(question_id=question_id, choice=choice)


def unknown_action(payload: dict[str, Any] | None) -> InvalidRequest:
    action = payload.get("action") if payload else None
    valid = "; ".join(messages.CLIENT_ACTIONS.values())
    if action is None:
        return InvalidRequest(f"The message has no 'action'. Valid messages: {valid}")
    return InvalidRequest(f"Unknown action {str(action)[:40]!r}. Valid messages: {valid}")


@contextmanager
def errors_replied(channel: QuizChannel, context: MessageContext) -> Iterator[None]:
    """Turns any failure into an ``error`` message to the sender; the socket stays open."""
    try:
        yield
    except QuizError as exc:
        logger.info("message refused", extra={"code": exc.code})
        channel.send(context.endpoint, context.connection_id, messages.error(exc))
    except DatabaseUnavailable:
        logger.exception("database unavailable")
        channel.send(context.endpoint, context.connection_id, messages.unavailable())
    except Exception:
        logger.exception("message failed")
        channel.send(context.endpoint, context.connection_id, messages.internal_error())
