"""WebSocket events in, error replies out: quiz_core.edge.websocket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from quiz_core.delivery.management_api import Delivery
from quiz_core.edge.websocket import (
    MAX_MESSAGE_BYTES,
    WebSocketEvent,
    answer_request,
    errors_replied,
    message_context,
    parse_body,
    unknown_action,
)
from quiz_core.errors import InvalidRequest, QuizEnded
from quiz_core.models import utc_from_epoch_ms
from quiz_core.services.answering import AnswerRequest, MessageContext
from quiz_core.storage.database import DatabaseUnavailable
from tests.support.events import load_event

CONTEXT = MessageContext("CJp4AcK9oAMCKuQ=", "https://abc123.example/live", 1732870875250)


class RecordingChannel:
    """Stands in for QuizChannel where only ``send`` is used; records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def send(self, endpoint: str, connection_id: str, message: dict[str, Any]) -> Delivery:
        self.sent.append((endpoint, connection_id, message))
        return Delivery.DELIVERED


def test_an_event_file_becomes_a_typed_event() -> None:
    event = WebSocketEvent.from_event(load_event("ws_connect"))

    assert event == WebSocketEvent(
        connection_id="CJp4AcK9oAMCKuQ=",
        route_key="$connect",
        event_type="CONNECT",
        domain_name="abc123.execute-api.us-east-1.amazonaws.com",
        stage="live",
        request_time_ms=1732870770412,
        body=None,
        query={"quiz_id": "voc202411290900", "token": event.query["token"]},
        authorized_user_id="1a2b3c",
    )
    assert event.query["token"].count(".") == 2


def test_a_message_event_carries_no_authorized_user() -> None:
    # The user of a message is the one registered at $connect, looked up by connection.
    assert WebSocketEvent.from_event(load_event("ws_message_answer")).authorized_user_id is None


def test_an_event_without_a_query_string_has_an_empty_query() -> None:
    raw = load_event("ws_message_ping")
    raw["queryStringParameters"] = None

    assert WebSocketEvent.from_event(raw).query == {}


def test_the_message_context_is_when_and_from_where_the_message_came() -> None:
    event = WebSocketEvent.from_event(load_event("ws_message_answer"))

    assert message_context(event, CONTEXT.endpoint) == MessageContext(
        "CJp4AcK9oAMCKuQ=", CONTEXT.endpoint, 1732870875250
    )


def test_a_json_object_is_parsed() -> None:
    assert parse_body('{"action": "answer", "question_id": "q1", "choice": 2}') == {
        "action": "answer",
        "question_id": "q1",
        "choice": 2,
    }


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (None, "empty"),
        ("", "empty"),
        ('{"action": "answer", "choice": ', "not valid JSON"),
        ("{'action': 'ping'}", "not valid JSON"),
        ('["answer", "q1", 2]', "must be a JSON object"),
        ('"ping"', "must be a JSON object"),
        ("42", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("true", "must be a JSON object"),
    ],
    ids=[
        "none",
        "empty",
        "truncated",
        "single quotes",
        "array",
        "string",
        "number",
        "null",
        "boolean",
    ],
)
def test_a_body_that_is_not_a_json_object_is_an_invalid_request(
    body: str | None, complaint: str
) -> None:
    with pytest.raises(InvalidRequest, match=complaint):
        parse_body(body)


def _body_of_size(size: int, filler: str = "x") -> str:
    frame = '{"action": "ping", "pad": ""}'
    padding = (size - len(frame.encode())) // len(filler.encode())
    return frame.replace('""', json.dumps(filler * padding, ensure_ascii=False))


def test_a_body_of_exactly_the_largest_size_is_accepted() -> None:
    body = _body_of_size(MAX_MESSAGE_BYTES)

    assert len(body.encode()) == MAX_MESSAGE_BYTES
    assert parse_body(body)["action"] == "ping"


@pytest.mark.parametrize("filler", ["x", "é"], ids=["ascii", "two-byte characters"])
def test_a_body_over_the_largest_size_in_bytes_is_refused(filler: str) -> None:
    body = _body_of_size(MAX_MESSAGE_BYTES + 2, filler)
    assert len(body.encode()) > MAX_MESSAGE_BYTES

    with pytest.raises(InvalidRequest, match=f"larger than {MAX_MESSAGE_BYTES} bytes"):
        parse_body(body)


def test_an_answer_names_a_question_and_a_choice_index() -> None:
    payload = {"action": "answer", "question_id": "q1", "choice": 0}

    assert answer_request(payload) == AnswerRequest(question_id="q1", choice=0)


@pytest.mark.parametrize(
    "choice",
    [True, False, 1.0, "1", None, [1]],
    ids=["true", "false", "float", "text", "none", "list"],
)
def test_a_choice_that_is_not_a_whole_number_is_refused(choice: object) -> None:
    with pytest.raises(InvalidRequest, match="choice must be") as refused:
        answer_request({"action": "answer", "question_id": "q1", "choice": choice})

    assert refused.value.details == {"field": "choice"}


@pytest.mark.parametrize("question_id", [None, 1, "q 1", "x" * 65])
def test_an_answer_without_a_valid_question_id_is_refused(question_id: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        answer_request({"action": "answer", "question_id": question_id, "choice": 0})

    assert refused.value.details == {"field": "question_id"}


@pytest.mark.parametrize(
    ("payload", "start"),
    [
        ({"action": "dance"}, "Unknown action 'dance'"),
        ({"question_id": "q1"}, "The message has no 'action'"),
        ({}, "The message has no 'action'"),
        (None, "The message has no 'action'"),
    ],
)
def test_an_unknown_action_is_answered_with_every_valid_message(
    payload: dict[str, Any] | None, start: str
) -> None:
    message = unknown_action(payload).message

    assert message.startswith(start)
    for example in ('{"action": "answer"', '{"action": "leaderboard"}', '{"action": "ping"}'):
        assert example in message


def test_a_long_unknown_action_is_cut_short_in_the_reply() -> None:
    message = unknown_action({"action": "x" * 500}).message

    assert "x" * 40 in message
    assert "x" * 41 not in message


def test_a_quiz_error_is_replied_to_the_sender_with_its_code() -> None:
    channel = RecordingChannel()
    ended = QuizEnded("voc202411290900", utc_from_epoch_ms(1732872600000))

    with errors_replied(channel, CONTEXT):  # type: ignore[arg-type]
        raise ended

    assert channel.sent == [
        (
            CONTEXT.endpoint,
            CONTEXT.connection_id,
            {
                "type": "error",
                "code": "quiz_ended",
                "message": ended.message,
                "end_time": "2024-11-29T09:30:00+00:00",
            },
        )
    ]


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (DatabaseUnavailable("connection refused by db.internal:5432"), "service_unavailable"),
        (KeyError("password"), "internal_error"),
        (RuntimeError("SELECT * FROM users failed"), "internal_error"),
    ],
)
def test_other_failures_are_replied_with_a_fixed_message_and_go_no_further(
    failure: Exception, code: str
) -> None:
    channel = RecordingChannel()

    with errors_replied(channel, CONTEXT):  # type: ignore[arg-type]
        raise failure

    ((_, _, reply),) = channel.sent
    assert (reply["type"], reply["code"]) == ("error", code)
    assert str(failure) not in reply["message"]


def test_a_message_handled_without_error_gets_no_error_reply() -> None:
    channel = RecordingChannel()

    with errors_replied(channel, CONTEXT):  # type: ignore[arg-type]
        pass

    assert channel.sent == []
