"""Builds the real objects a handler uses, once per cold start.

Handlers call one of these factories at import time; tests build the same objects with
their own clients, so nothing here is patched.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz_core.config import GameplayConfig, MessagingConfig
from quiz_core.delivery.management_api import Broadcaster, ManagementApi
from quiz_core.delivery.push_queue import QuizEventQueue
from quiz_core.delivery.quiz_channel import QuizChannel
from quiz_core.services.answering import Gameplay
from quiz_core.services.leaderboard_push import LeaderboardPushes
from quiz_core.storage.connection_registry import ConnectionRegistry
from quiz_core.storage.database import Database
from quiz_core.storage.push_marks import PushMarks
from quiz_core.storage.quiz_repository import QuizRepository


@dataclass(frozen=True)
class Messaging:
    """Everything a function that talks to connected players needs."""

    repository: QuizRepository
    registry: ConnectionRegistry
    management_api: ManagementApi
    channel: QuizChannel
    ttl_seconds: int


def build_messaging(
    config: MessagingConfig,
    registry: ConnectionRegistry | None = None,
    management_api: ManagementApi | None = None,
) -> Messaging:
    registry = registry or ConnectionRegistry(config.connections.table_name)
    api = management_api or ManagementApi(config.management_api)
    broadcaster = Broadcaster(api, config.management_api.broadcast_concurrency)
    return Messaging(
        repository=QuizRepository(Database.from_config(config.database)),
        registry=registry,
        management_api=api,
        channel=QuizChannel(api, broadcaster, registry),
        ttl_seconds=config.connections.ttl_seconds,
    )


def build_gameplay(config: GameplayConfig, messaging: Messaging | None = None) -> Gameplay:
    messaging = messaging or build_messaging(config.messaging)
    pushes = LeaderboardPushes(
        PushMarks(config.push_marks_table),
        QuizEventQueue(config.push_queue_url),
        config.push_interval_seconds,
    )
    return Gameplay(
        repository=messaging.repository,
        registry=messaging.registry,
        channel=messaging.channel,
        pushes=pushes,
    )
