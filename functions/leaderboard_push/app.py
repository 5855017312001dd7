"""SQS consumer: pushes a quiz's leaderboard once its coalescing interval has passed."""

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

from quiz_core.config import LeaderboardPushConfig
from quiz_core.delivery.push_queue import QuizEvent
from quiz_core.services.leaderboard_push import push_leaderboard
from quiz_core.storage.push_marks import PushMarks
from quiz_core.wiring import build_messaging

logger = Logger()
config = LeaderboardPushConfig.from_environ(os.environ)
messaging = build_messaging(config.messaging)
marks = PushMarks(config.push_marks_table)
processor = BatchProcessor(event_type=EventType.SQS)


def push(record: SQSRecord) -> None:
    event = QuizEvent.from_body(record.body)
    report = push_leaderboard(
        messaging.repository,
        messaging.channel,
        marks,
        event.quiz_id,
        messaging.management_api.configured_or(event.endpoint),
        time.time_ns() // 1_000_000,
    )
    logger.info("leaderboard pushed", extra={"quiz_id": event.quiz_id, "posts": report.delivered})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=push, processor=processor, context=context
    )
