"""The rules of play through the handlers: question windows, the grace, speed and streaks,
``next``, and the server's clock as the only clock.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.handlers.harness import (
    MANAGEMENT_API_ENDPOINT,
    Aws,
    Invoke,
    QuizDatabase,
    answer,
    assert_totals_match_answers,
    connect,
    now_ms,
    send,
    types,
)
from tests.support.events import welcome_event

QUICK_MS = 400
GRACE_MS = 500


def _results(aws: Aws, connection_id: str) -> list[dict[str, Any]]:
    return [m for m in aws.posts_to(connection_id) if m["type"] == "answer_result"]


def _last(aws: Aws, connection_id: str, kind: str) -> dict[str, Any]:
    return [m for m in aws.posts_to(connection_id) if m["type"] == kind][-1]


@pytest.mark.parametrize(
    ("after_closing_ms", "status", "points"),
    [(GRACE_MS, "answered", 50), (GRACE_MS + 1, "too_late", 0)],
    ids=["last moment of the grace", "just after the grace"],
)
def test_an_answer_counts_until_the_grace_after_the_question_closes(
    after_closing_ms: int,
    status: str,
    points: int,
    ws_message: Invoke,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    quiz = quiz_db.seed(players=1)
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    closes_at = quiz_db.serve(quiz, player, 0, quiz.during_ms)

    send(ws_message, connection_id, closes_at + after_closing_ms, answer(question.question_id, 0))

    (result,) = _results(aws, connection_id)
    assert (result["status"], result["points"], result["total_score"]) == (status, points, points)
    assert result["elapsed_ms"] == question.time_limit_ms + after_closing_ms
    assert [row["points_awarded"] for row in quiz_db.answers(quiz.quiz_id)] == [points]


def test_a_late_answer_scores_nothing_and_breaks_the_streak(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1, questions=4)
    player, q = quiz.user_ids[0], quiz.questions
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    send(ws_message, connection_id, quiz.during_ms, answer(q[0].question_id, 0))
    send(ws_message, connection_id, quiz.during_ms + QUICK_MS, answer(q[1].question_id, 1))
    late_at = _last(aws, connection_id, "question")["closes_at"] + GRACE_MS + 1

    send(ws_message, connection_id, late_at, answer(q[2].question_id, q[2].correct_choice))
    streak_after_late = quiz_db.progress(quiz.quiz_id, player)
    send(ws_message, connection_id, late_at + QUICK_MS, answer(q[3].question_id, 3))

    results = _results(aws, connection_id)
    assert [(r["status"], r["correct"], r["points"], r["streak_bonus"]) for r in results] == [
        ("answered", True, 100, 0),
        ("answered", True, 400, 200),
        ("too_late", False, 0, 0),
        ("answered", True, 400, 0),
    ]
    assert streak_after_late is not None
    assert (streak_after_late["score"], streak_after_late["streak"]) == (500, 0)
    assert quiz_db.progress(quiz.quiz_id, player) == {
        "score": 900,
        "streak": 1,
        "answer_time_ms": 3 * QUICK_MS + q[2].time_limit_ms + GRACE_MS + 1,
    }
    assert_totals_match_answers(quiz_db, quiz.quiz_id)


@pytest.mark.parametrize(
    "client_fields",
    [
        {"client_time": "behind"},
        {"client_time": "ahead", "sent_at": "ahead", "elapsed_ms": 1},
        {},
    ],
    ids=["30 s behind", "30 s ahead, with its own elapsed time", "no client time"],
)
def test_a_client_clock_30_seconds_off_changes_nothing(
    client_fields: dict[str, str], ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    served_at = quiz.during_ms
    quiz_db.serve(quiz, player, 0, served_at)
    received_at = served_at + 3_000
    device_time = {"behind": received_at - 30_000, "ahead": received_at + 30_000}
    extra = {key: device_time.get(str(value), value) for key, value in client_fields.items()}

    send(ws_message, connection_id, received_at, answer(question.question_id, 0, **extra))

    (result,) = _results(aws, connection_id)
    # 100 * (1 - 3 / 20 / 2) = 92.5, rounded half up: measured from the server's times only.
    assert (result["status"], result["elapsed_ms"], result["points"]) == ("answered", 3_000, 93)
    following = _last(aws, connection_id, "question")
    assert (following["opens_at"], following["now"]) == (received_at, received_at)


def test_speed_and_streak_points_add_up_over_a_whole_quiz(
    ws_welcome: Invoke, ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1, questions=5)
    player = quiz.user_ids[0]
    connection_id = connect(aws, quiz, player)
    ws_welcome(
        welcome_event(
            connection_id=connection_id,
            quiz_id=quiz.quiz_id,
            user_id=player,
            endpoint=MANAGEMENT_API_ENDPOINT,
            requested_at_ms=now_ms(),
        )
    )
    # (elapsed ms, correct?) per question; every question lasts 20 s.
    plays = [(250, True), (10_000, True), (20_400, True), (1_000, False), (5_000, True)]

    for question, (elapsed, right) in zip(quiz.questions, plays, strict=True):
        current = _last(aws, connection_id, "question")
        assert current["question_id"] == question.question_id
        choice = question.correct_choice if right else question.wrong_choice
        send(
            ws_message,
            connection_id,
            current["opens_at"] + elapsed,
            answer(question.question_id, choice),
        )

    results = _results(aws, connection_id)
    assert [(r["base_points"], r["streak_bonus"], r["points"]) for r in results] == [
        (100, 0, 100),  # within 0.5 s: full points; a streak of one earns no bonus
        (150, 200, 350),  # 200 * (1 - 10/20/2); streak of 2
        (150, 300, 450),  # inside the grace, counted as the whole 20 s; streak of 3
        (0, 0, 0),  # wrong: nothing, and the streak ends
        (438, 0, 438),  # 500 * (1 - 5/20/2) = 437.5 rounds up; a new streak of one
    ]
    assert [r["total_score"] for r in results] == [100, 450, 900, 900, 1338]
    finished = aws.posts_to(connection_id)[-1]
    assert finished["type"] == "finished"
    assert finished["you"] == {"rank": 1, "score": 1338, "players": 1}
    assert_totals_match_answers(quiz_db, quiz.quiz_id)


def test_next_while_the_question_is_open_is_refused_with_its_closing_time(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    closes_at = quiz_db.serve(quiz, player, 0, quiz.during_ms)

    send(ws_message, connection_id, quiz.during_ms + 5_000, {"action": "next"})
    send(ws_message, connection_id, closes_at + GRACE_MS, {"action": "next"})

    for refusal in aws.posts_to(connection_id):
        assert (refusal["type"], refusal["code"]) == ("error", "question_still_open")
        assert (refusal["question_id"], refusal["closes_at"]) == (question.question_id, closes_at)
    assert len(aws.posts_to(connection_id)) == 2
    assert quiz_db.answers(quiz.quiz_id) == []
    assert len(quiz_db.servings(quiz.quiz_id, player)) == 1


def test_next_after_the_time_is_up_records_a_skip_that_breaks_the_streak(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    player, q = quiz.user_ids[0], quiz.questions
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    send(ws_message, connection_id, quiz.during_ms, answer(q[0].question_id, 0))
    skip_at = _last(aws, connection_id, "question")["closes_at"] + GRACE_MS + 1

    send(ws_message, connection_id, skip_at, {"action": "next"})

    skip_result = _results(aws, connection_id)[-1]
    assert (skip_result["question_id"], skip_result["status"]) == (q[1].question_id, "skipped")
    assert (skip_result["points"], skip_result["correct"]) == (0, False)
    following = _last(aws, connection_id, "question")
    assert (following["index"], following["question_id"]) == (2, q[2].question_id)
    assert (following["opens_at"], following["closes_at"]) == (
        skip_at,
        skip_at + q[2].time_limit_ms,
    )
    skipped = quiz_db.scored_answers(quiz.quiz_id)[1]
    assert skipped == {
        "user_id": player,
        "question_id": q[1].question_id,
        "status": "skipped",
        "choice": None,
        "is_correct": False,
        "points_awarded": 0,
        "base_points": 0,
        "streak_bonus": 0,
        "elapsed_ms": q[1].time_limit_ms,
    }
    progress = quiz_db.progress(quiz.quiz_id, player)
    assert progress is not None
    assert (progress["score"], progress["streak"]) == (100, 0)

    send(ws_message, connection_id, skip_at + QUICK_MS, answer(q[2].question_id, 2))

    assert _results(aws, connection_id)[-1]["streak_bonus"] == 0
    assert types(aws.posts_to(connection_id))[-2:] == ["answer_result", "finished"]
    assert_totals_match_answers(quiz_db, quiz.quiz_id)


def test_next_before_any_question_was_served_is_refused(
    ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    connection_id = connect(aws, quiz, quiz.user_ids[0])

    send(ws_message, connection_id, quiz.during_ms, {"action": "next"})

    (refusal,) = aws.posts_to(connection_id)
    assert (refusal["type"], refusal["code"]) == ("error", "no_current_question")
    assert quiz_db.answers(quiz.quiz_id) == []


@pytest.mark.parametrize("served", [0, 1], ids=["nothing served", "only the first served"])
def test_answering_a_question_not_yet_served_is_refused_and_stores_nothing(
    served: int, ws_message: Invoke, quiz_db: QuizDatabase, aws: Aws
) -> None:
    quiz = quiz_db.seed(players=1)
    player = quiz.user_ids[0]
    connection_id = connect(aws, quiz, player)
    for index in range(served):
        quiz_db.serve(quiz, player, index, quiz.during_ms - QUICK_MS)
    ahead = quiz.questions[served + 1]

    send(ws_message, connection_id, quiz.during_ms, answer(ahead.question_id, ahead.correct_choice))

    (refusal,) = aws.posts_to(connection_id)
    assert (refusal["type"], refusal["code"]) == ("error", "question_not_served")
    assert quiz_db.answers(quiz.quiz_id) == []
    assert len(quiz_db.servings(quiz.quiz_id, player)) == served
    assert quiz_db.score(quiz.quiz_id, player) == 0
