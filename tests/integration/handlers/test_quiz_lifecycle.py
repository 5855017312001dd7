"""A quiz's start and end: the lobby, the quiz clock (scheduled and queued), final results.

The quiz clock reads the time itself, so most tests place quizzes around the real present.
Where an exact moment matters, the tests call the services the clock calls, with the time
as an argument, on objects built by the product's own wiring.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from quiz_core.config import MessagingConfig
from quiz_core.delivery.push_queue import QuizEventQueue
from quiz_core.services.lifecycle import run_clock, start_quiz
from quiz_core.wiring import Messaging, build_messaging
from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Handlers,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    answer,
    connect,
    now_ms,
    send,
    types,
    username,
)
from tests.support.events import scheduled_event, sqs_event, welcome_event
from tests.support.fake_aws import FakeManagementApi


@pytest.fixture
def messaging(handlers: Handlers) -> Iterator[Messaging]:
    """What the quiz clock works with, wired as its handler wires it."""
    wired = build_messaging(MessagingConfig.from_environ(handlers.environment("quiz_clock")))
    yield wired
    wired.repository.close()


def _step(kind: str, quiz: SeededQuiz) -> dict[str, Any]:
    body = {"kind": kind, "quiz_id": quiz.quiz_id, "endpoint": MANAGEMENT_API_ENDPOINT}
    return sqs_event("sqs_quiz_step", [body], sent_at_ms=now_ms())


def _ceil_seconds(ms: int) -> int:
    return -(-ms // 1000)


def test_lobby_players_get_quiz_started_and_their_first_question_once_at_the_start(
    ws_welcome: Invoke, quiz_clock: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(opened=-timedelta(minutes=10), players=2)
    lobby = {connect(aws, quiz, user_id): user_id for user_id in quiz.user_ids}
    for connection_id, user_id in lobby.items():
        ws_welcome(
            welcome_event(
                connection_id=connection_id,
                quiz_id=quiz.quiz_id,
                user_id=user_id,
                endpoint=MANAGEMENT_API_ENDPOINT,
                requested_at_ms=now_ms(),
            )
        )
    assert [types(aws.posts_to(c)) for c in lobby] == [["welcome"], ["welcome"]]
    quiz_db.start_now(quiz)

    assert quiz_clock(_step("start", quiz)) == {"batchItemFailures": []}
    quiz_clock(_step("start", quiz))

    for connection_id, user_id in lobby.items():
        welcome, started, question = aws.posts_to(connection_id)
        assert welcome["quiz"]["phase"] == "upcoming"
        assert (started["type"], started["quiz"]["phase"]) == ("quiz_started", "open")
        assert (question["type"], question["index"]) == ("question", 0)
        assert question["opens_at"] >= started["quiz"]["starts_at"]
        assert quiz_db.servings(quiz.quiz_id, user_id)[0]["served_at_ms"] == question["opens_at"]


def test_the_start_gives_no_question_to_a_player_already_playing(
    ws_message: Invoke, quiz_clock: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    # A player who connected just after the start time, before the start step ran, was
    # welcomed with the first question and may have answered it already.
    quiz = quiz_db.seed(opened=timedelta(seconds=2), players=2)
    waiting, playing = quiz.user_ids
    lobby_connection, playing_connection = connect(aws, quiz, waiting), connect(aws, quiz, playing)
    quiz_db.serve(quiz, playing, 0, quiz.start_ms + 200)
    send(
        ws_message,
        playing_connection,
        quiz.start_ms + 600,
        answer(quiz.questions[0].question_id, 0),
    )

    quiz_clock(_step("start", quiz))

    assert types(aws.posts_to(lobby_connection)) == ["quiz_started", "question"]
    # The start speaks only to the players it serves; this one is playing already.
    assert types(aws.posts_to(playing_connection)) == ["answer_result", "question"]
    assert aws.posts_to(playing_connection)[1]["index"] == 1


@pytest.mark.parametrize(
    ("at", "started"), [(-1, False), (0, True)], ids=["a moment early", "at the start time"]
)
def test_a_quiz_starts_at_its_start_time_and_not_before(
    at: int, started: bool, messaging: Messaging, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(opened=-timedelta(minutes=10), players=1)
    connection_id = connect(aws, quiz, quiz.user_ids[0])
    m = messaging

    result = start_quiz(
        m.repository,
        m.registry,
        m.channel,
        quiz.quiz_id,
        MANAGEMENT_API_ENDPOINT,
        quiz.start_ms + at,
    )

    assert result is started
    expected = ["quiz_started", "question"] if started else []
    assert types(aws.posts_to(connection_id)) == expected


def test_the_quiz_end_run_twice_sends_one_set_of_final_results_then_closes_the_connections(
    quiz_clock: Invoke, gone_api: FakeManagementApi, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(opened=timedelta(minutes=31), lasts=timedelta(minutes=30), players=4)
    first, second, third, fourth = quiz.user_ids
    quiz_db.seed_answer(quiz, first, 0, points=100)
    quiz_db.seed_answer(quiz, first, 1, points=200)
    quiz_db.seed_answer(quiz, second, 2, points=250)
    quiz_db.seed_answer(quiz, third, 0, points=90)
    connections = {
        connect(aws, quiz, fourth): fourth,
        connect(aws, quiz, second): second,
        connect(aws, quiz, first): first,
    }
    second_tab = connect(aws, quiz, first)
    connections[second_tab] = first

    quiz_clock(_step("end", quiz))
    quiz_clock(_step("end", quiz))
    quiz_clock(scheduled_event(time_ms=now_ms()))

    podium = [
        {"rank": rank, "user_id": user_id, "username": username(user_id), "score": score}
        for rank, user_id, score in [(1, first, 300), (2, second, 250), (3, third, 90)]
    ]
    you = {first: (1, 300), second: (2, 250), fourth: (4, 0)}
    for connection_id, user_id in connections.items():
        (final,) = gone_api.messages_to(connection_id)
        assert final["type"] == "final_results"
        assert final["podium"] == podium
        rank, score = you[user_id]
        assert final["you"] == {"rank": rank, "score": score, "players": 4}
        assert final["players"] == 4
    assert sorted(gone_api.deleted) == sorted(connections)
    assert aws.connection_ids() == set()


def test_an_answer_after_the_quiz_ended_is_refused_even_inside_the_questions_grace(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(opened=timedelta(minutes=31), lasts=timedelta(minutes=30), players=1)
    player = quiz.user_ids[0]
    connection_id = connect(aws, quiz, player)
    closes_at = quiz_db.serve(quiz, player, 0, quiz.end_ms - 5_000)
    assert closes_at == quiz.end_ms

    send(ws_message, connection_id, quiz.end_ms + 100, answer(quiz.questions[0].question_id, 0))

    (refusal,) = aws.posts_to(connection_id)
    assert (refusal["type"], refusal["code"]) == ("error", "quiz_ended")
    assert refusal["end_time"] == quiz.end.isoformat()
    assert quiz_db.answers(quiz.quiz_id) == []


def test_the_clock_queues_the_starts_and_ends_of_the_coming_minute_delayed_to_the_second(
    quiz_clock: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    starting = quiz_db.seed(opened=-timedelta(seconds=20), players=0)
    ending = quiz_db.seed(opened=timedelta(minutes=10), lasts=timedelta(minutes=10, seconds=45))
    quiz_db.seed(opened=-timedelta(minutes=2), players=0)  # starts after the next run

    before = now_ms()
    assert quiz_clock(scheduled_event(time_ms=before)) == {"status": "ok"}
    after = now_ms()

    queued = {(m.body["kind"], m.body["quiz_id"]): m for m in aws.queued_steps()}
    assert set(queued) == {("start", starting.quiz_id), ("end", ending.quiz_id)}
    for (kind, _), message in queued.items():
        at = starting.start_ms if kind == "start" else ending.end_ms
        assert message.body["endpoint"] == MANAGEMENT_API_ENDPOINT
        assert message.delay_seconds is not None
        assert _ceil_seconds(at - after) <= message.delay_seconds <= _ceil_seconds(at - before)


@pytest.mark.parametrize(("ahead_ms", "delay"), [(20_000, 20), (20_001, 21), (59_999, 60)])
def test_a_queued_step_is_rounded_up_to_whole_seconds_so_it_never_fires_early(
    ahead_ms: int, delay: int, messaging: Messaging, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(opened=-timedelta(minutes=5), players=0)
    m = messaging
    queue = QuizEventQueue(aws.lifecycle_queue_url)

    run_clock(
        m.repository,
        queue,
        m.registry,
        m.channel,
        m.management_api,
        MANAGEMENT_API_ENDPOINT,
        quiz.start_ms - ahead_ms,
    )

    (step,) = aws.queued_steps()
    assert (step.body["kind"], step.delay_seconds) == ("start", delay)


def test_a_late_clock_handles_overdue_starts_and_ends_at_once_and_only_once(
    quiz_clock: Invoke, gone_api: FakeManagementApi, quiz_db: QuizDatabase, aws: Aws
) -> None:
    overdue_start = quiz_db.seed(opened=timedelta(seconds=30), players=1)
    overdue_end = quiz_db.seed(opened=timedelta(minutes=10), lasts=timedelta(minutes=9), players=1)
    nobody_played = quiz_db.seed(
        opened=timedelta(minutes=10), lasts=timedelta(minutes=9), players=0
    )
    waiting = connect(aws, overdue_start, overdue_start.user_ids[0])
    leaving = connect(aws, overdue_end, overdue_end.user_ids[0])

    quiz_clock(scheduled_event(time_ms=now_ms()))
    quiz_clock(scheduled_event(time_ms=now_ms()))

    assert types(gone_api.messages_to(waiting)) == ["quiz_started", "question"]
    assert types(gone_api.messages_to(leaving)) == ["final_results"]
    assert gone_api.deleted == [leaving]
    assert aws.queued_steps() == []
    runs = quiz_db.conn.execute(
        "SELECT quiz_id, started_at IS NOT NULL AS started, finalized_at IS NOT NULL AS ended"
        " FROM quiz_runs WHERE quiz_id = ANY(%s) ORDER BY quiz_id",
        ([overdue_start.quiz_id, overdue_end.quiz_id, nobody_played.quiz_id],),
    ).fetchall()
    assert {row["quiz_id"]: (row["started"], row["ended"]) for row in runs} == {
        overdue_start.quiz_id: (True, False),
        overdue_end.quiz_id: (False, True),
    }
