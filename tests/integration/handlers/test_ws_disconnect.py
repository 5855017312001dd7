"""WebSocket $disconnect through the ws_disconnect handler."""

from __future__ import annotations

from tests.integration.handlers.harness import Aws, Invoke, now_ms
from tests.support.events import new_connection_id, websocket_event


def test_a_disconnect_forgets_the_connection_and_only_it(ws_disconnect: Invoke, aws: Aws) -> None:
    leaving, staying = new_connection_id(), new_connection_id()
    aws.register(leaving, "quiz_a", "user_a", now_ms())
    aws.register(staying, "quiz_a", "user_b", now_ms())

    response = ws_disconnect(
        websocket_event("ws_disconnect", connection_id=leaving, request_time_ms=now_ms())
    )

    assert response == {"statusCode": 200}
    assert aws.connection_ids() == {staying}


def test_a_disconnect_of_an_already_forgotten_connection_succeeds(
    ws_disconnect: Invoke, aws: Aws
) -> None:
    event = websocket_event(
        "ws_disconnect", connection_id=new_connection_id(), request_time_ms=now_ms()
    )

    assert ws_disconnect(event) == {"statusCode": 200}
    assert aws.connection_ids() == set()


def test_a_message_routed_to_the_disconnect_function_unregisters_nothing(
    ws_disconnect: Invoke, aws: Aws
) -> None:
    connection_id = new_connection_id()
    aws.register(connection_id, "quiz_a", "user_a", now_ms())
    event = websocket_event("ws_disconnect", connection_id=connection_id, request_time_ms=now_ms())
    event["requestContext"]["eventType"] = "MESSAGE"
    event["body"] = '{"action": "$disconnect"}'

    assert ws_disconnect(event) == {"statusCode": 200}
    assert aws.connection_ids() == {connection_id}
