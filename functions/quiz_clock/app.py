"""The quiz clock: every minute (EventBridge) and at each queued start or end (SQS)."""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import ClockConfig
from quiz_core.delivery.push_queue import QuizEvent, QuizEventQueue
from quiz_core.services.lifecycle import QUIZ_END, QUIZ_START, finalize_quiz, run_clock, start_quiz
from quiz_core.wiring import build_messaging

logger = Logger()
config = ClockConfig.from_environ(os.environ)
messaging = build_messaging(config.messaging)
queue = QuizEventQueue(config.lifecycle_queue_url)
processor = BatchProcessor(event_type=EventType.SQS)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def handle_step(record: SQSRecord) -> None:
    event = QuizEvent.from_body(record.body)
    endpoint = messaging.management_api.configured_or(event.endpoint)
    m = messaging
    if event.kind == QUIZ_START:
        start_quiz(m.repository, m.registry, m.channel, event.quiz_id, endpoint, now_ms())
    elif event.kind == QUIZ_END:
        finalize_quiz(
            m.repository,
            m.registry,
            m.channel,
            m.management_api,
            event.quiz_id,
            endpoint,
            now_ms(),
        )
    else:
        logger.warning("unknown quiz step", extra={"kind": event.kind})


@logger.inject_lambda_context
def handler(
    event: dict[str, Any], context: LambdaContext
) -> PartialItemFailureResponse | dict[str, str]:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=handle_step, processor=processor, context=context
        )
    m = messaging
    run_clock(
        m.repository,
        queue,
        m.registry,
        m.channel,
        m.management_api,
        config.management_endpoint,
        now_ms(),
    )
    logger.info("clock ran")
    return {"status": "ok"}
