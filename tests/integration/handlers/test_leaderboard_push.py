"""Coalesced leaderboard pushes: answers ask for one (ws_message), the push sends it
(leaderboard_push, fed the SQS message the answer queued).
"""

from __future__ import annotations

import pytest

from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
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
from tests.support.events import sqs_event
from tests.support.fake_aws import FakeManagementApi, SentMessage

QUICK_MS = 400
INTERVAL_MS = 1000  # the template's default LeaderboardPushIntervalSeconds
STALE_AFTER_MS = 30_000


def _answer_first_question(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws, quiz: SeededQuiz, user_id: str, at: int
) -> str:
    connection_id = connect(aws, quiz, user_id)
    quiz_db.serve(quiz, user_id, 0, at - QUICK_MS)
    send(ws_message, connection_id, at, answer(quiz.questions[0].question_id, 0))
    return connection_id


def _deliver(leaderboard_push: Invoke, *messages: SentMessage) -> object:
    """What Lambda's SQS poller does once the messages' delay has passed."""
    return leaderboard_push(
        sqs_event("sqs_leaderboard_push", [m.body for m in messages], sent_at_ms=now_ms())
    )


def test_an_answer_asks_for_one_push_delayed_by_the_interval_instead_of_broadcasting(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=2)
    listener = connect(aws, quiz, quiz.user_ids[1])

    _answer_first_question(ws_message, quiz_db, aws, quiz, quiz.user_ids[0], quiz.during_ms)

    assert aws.push_mark(quiz.quiz_id) == quiz.during_ms + INTERVAL_MS
    assert aws.queued_pushes() == [
        SentMessage(
            aws.push_queue_url,
            {"kind": "leaderboard", "quiz_id": quiz.quiz_id, "endpoint": MANAGEMENT_API_ENDPOINT},
            INTERVAL_MS // 1000,
        )
    ]
    assert aws.posts_to(listener) == []


def test_answers_within_the_interval_make_one_push_that_includes_the_last_of_them(
    ws_message: Invoke, leaderboard_push: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=4)
    times = [quiz.during_ms, quiz.during_ms + 1, quiz.during_ms + 500, quiz.during_ms + 999]
    connections = [
        _answer_first_question(ws_message, quiz_db, aws, quiz, user_id, at)
        for user_id, at in zip(quiz.user_ids, times, strict=True)
    ]

    (queued,) = aws.queued_pushes()
    assert aws.push_mark(quiz.quiz_id) == times[0] + INTERVAL_MS
    assert _deliver(leaderboard_push, queued) == {"batchItemFailures": []}

    for connection_id in connections:
        (board,) = [m for m in aws.posts_to(connection_id) if m["type"] == "leaderboard"]
        assert [entry["score"] for entry in board["entries"]] == [100, 100, 100, 100]


def test_the_push_sends_each_connection_the_top_ten_and_its_own_rank(
    leaderboard_push: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=12)
    for n, user_id in enumerate(quiz.user_ids[:11]):
        # Earlier players earn more: the n-th player's points fall with n.
        quiz_db.seed_answer(quiz, user_id, 0, points=100 - n)
    last, first = quiz.user_ids[-1], quiz.user_ids[0]
    own = {connect(aws, quiz, last): last, connect(aws, quiz, first): first}
    second_tab = connect(aws, quiz, first)
    elsewhere = quiz_db.seed(players=1)
    other_quiz_connection = connect(aws, elsewhere, elsewhere.user_ids[0])
    body = {"kind": "leaderboard", "quiz_id": quiz.quiz_id, "endpoint": MANAGEMENT_API_ENDPOINT}

    _deliver(leaderboard_push, SentMessage(aws.push_queue_url, body, 1))

    expected_entries = [
        {"rank": n + 1, "user_id": user_id, "username": username(user_id), "score": 100 - n}
        for n, user_id in enumerate(quiz.user_ids[:10])
    ]
    for connection_id, user_id in [*own.items(), (second_tab, first)]:
        (board,) = aws.posts_to(connection_id)
        assert board["type"] == "leaderboard"
        assert board["entries"] == expected_entries
        rank = 12 if user_id == last else 1
        score = 0 if user_id == last else 100
        assert board["you"] == {"rank": rank, "score": score, "players": 12}
    assert aws.posts_to(other_quiz_connection) == []


def test_after_the_push_clears_the_mark_the_next_answer_asks_for_a_new_push(
    ws_message: Invoke, leaderboard_push: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=2)
    _answer_first_question(ws_message, quiz_db, aws, quiz, quiz.user_ids[0], quiz.during_ms)
    (first,) = aws.queued_pushes()
    _deliver(leaderboard_push, first)
    assert aws.push_mark(quiz.quiz_id) is None

    later = quiz.during_ms + 200
    _answer_first_question(ws_message, quiz_db, aws, quiz, quiz.user_ids[1], later)

    assert len(aws.queued_pushes()) == 2
    assert aws.push_mark(quiz.quiz_id) == later + INTERVAL_MS


@pytest.mark.parametrize(
    ("past_due_ms", "pushes"),
    [(STALE_AFTER_MS, 1), (STALE_AFTER_MS + 1, 2)],
    ids=["30 s past due: still pending", "older: taken as lost"],
)
def test_a_mark_whose_push_never_came_stops_blocking_30_seconds_after_it_was_due(
    past_due_ms: int, pushes: int, ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=2)
    _answer_first_question(ws_message, quiz_db, aws, quiz, quiz.user_ids[0], quiz.during_ms)
    due = quiz.during_ms + INTERVAL_MS

    at = due + past_due_ms
    _answer_first_question(ws_message, quiz_db, aws, quiz, quiz.user_ids[1], at)

    assert len(aws.queued_pushes()) == pushes
    assert aws.push_mark(quiz.quiz_id) == (due if pushes == 1 else at + INTERVAL_MS)


def test_a_connection_gone_during_a_push_is_forgotten_and_the_others_still_receive(
    ws_message: Invoke,
    leaderboard_push: Invoke,
    gone_api: FakeManagementApi,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    quiz = quiz_db.seed()
    sender = _answer_first_question(
        ws_message, quiz_db, aws, quiz, quiz.user_ids[0], quiz.during_ms
    )
    gone, listener = (connect(aws, quiz, user_id) for user_id in quiz.user_ids[1:])
    gone_api.make_gone(gone)
    (queued,) = aws.queued_pushes()

    assert _deliver(leaderboard_push, queued) == {"batchItemFailures": []}

    assert gone_api.attempts_to(gone) == 1
    assert aws.connection_item(gone) is None
    assert types(gone_api.messages_to(sender)) == ["answer_result", "question", "leaderboard"]
    assert types(gone_api.messages_to(listener)) == ["leaderboard"]
    assert aws.connection_ids() >= {sender, listener}
