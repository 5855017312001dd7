"""WebSocket messages (answer, leaderboard, state, ping, $default) through ws_message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.handlers.harness import (
    Aws,
    Invoke,
    QuizDatabase,
    SeededQuiz,
    answer,
    assert_totals_match_answers,
    connect,
    send,
    types,
    username,
)
from tests.support.events import new_connection_id


@pytest.fixture
def quiz(quiz_db: QuizDatabase) -> SeededQuiz:
    return quiz_db.seed()


# Served this long before the answer, a correct answer earns the question's full points.
QUICK_MS = 400


def test_a_correct_answer_is_stored_scored_confirmed_and_followed_by_the_next_question(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)

    response = send(ws_message, connection_id, quiz.during_ms, answer(question.question_id, 0))

    assert response == {"statusCode": 200}
    result, following = aws.posts_to(connection_id)
    assert result == {
        "type": "answer_result",
        "question_id": question.question_id,
        "status": "answered",
        "result": "answered",
        "choice": 0,
        "correct": True,
        "correct_choice": 0,
        "points": 100,
        "base_points": 100,
        "streak_bonus": 0,
        "elapsed_ms": QUICK_MS,
        "total_score": 100,
        "already_answered": False,
    }
    assert (following["type"], following["index"]) == ("question", 1)
    assert following["question_id"] == quiz.questions[1].question_id
    assert (following["opens_at"], following["closes_at"]) == (
        quiz.during_ms,
        quiz.during_ms + quiz.questions[1].time_limit_ms,
    )
    assert quiz_db.answers(quiz.quiz_id) == [
        {
            "user_id": player,
            "question_id": question.question_id,
            "choice": 0,
            "is_correct": True,
            "points_awarded": 100,
        }
    ]
    assert quiz_db.progress(quiz.quiz_id, player) == {
        "score": 100,
        "streak": 1,
        "answer_time_ms": QUICK_MS,
    }


def test_a_wrong_answer_is_stored_with_no_points_and_reveals_the_correct_choice(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)

    send(ws_message, connection_id, quiz.during_ms, answer(question.question_id, 3))

    result = aws.posts_to(connection_id)[0]
    assert (result["status"], result["correct"], result["points"]) == ("answered", False, 0)
    assert (result["choice"], result["correct_choice"]) == (3, question.correct_choice)
    assert [row["is_correct"] for row in quiz_db.answers(quiz.quiz_id)] == [False]
    assert_totals_match_answers(quiz_db, quiz.quiz_id)


def test_answering_again_replies_the_first_result_and_changes_nothing(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    first = answer(question.question_id, question.correct_choice)
    send(ws_message, connection_id, quiz.during_ms, first)

    again = answer(question.question_id, question.wrong_choice)
    # Long enough after the first that its push mark no longer holds back a new push.
    send(ws_message, connection_id, quiz.during_ms + 40_000, again)

    replies = aws.posts_to(connection_id)
    assert types(replies) == ["answer_result", "question", "answer_result"]
    assert replies[2] == {**replies[0], "status": "already_answered", "already_answered": True}
    assert len(quiz_db.answers(quiz.quiz_id)) == 1
    assert quiz_db.score(quiz.quiz_id, player) == question.points
    assert len(quiz_db.servings(quiz.quiz_id, player)) == 2
    # Nothing changed, so nothing asks for a leaderboard push.
    assert len(aws.queued_pushes()) == 1


def test_an_answer_is_not_broadcast_to_the_other_players(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    sender, listener = (connect(aws, quiz, user_id) for user_id in quiz.user_ids[:2])
    quiz_db.serve(quiz, quiz.user_ids[0], 0, quiz.during_ms - QUICK_MS)

    send(ws_message, sender, quiz.during_ms, answer(quiz.questions[0].question_id, 0))

    assert types(aws.posts_to(sender)) == ["answer_result", "question"]
    assert aws.posts_to(listener) == []


def test_the_leaderboard_action_replies_the_leaderboard_and_rank_to_the_sender_only(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    asker, listener = (connect(aws, quiz, user_id) for user_id in quiz.user_ids[:2])
    quiz_db.seed_answer(quiz, quiz.user_ids[2], 1, points=200)

    send(ws_message, asker, quiz.during_ms, {"action": "leaderboard"})

    (reply,) = aws.posts_to(asker)
    assert reply == {
        "type": "leaderboard",
        "quiz_id": quiz.quiz_id,
        "entries": [
            {"rank": rank, "user_id": user_id, "username": username(user_id), "score": score}
            for rank, user_id, score in [
                (1, quiz.user_ids[2], 200),
                (2, quiz.user_ids[0], 0),
                (3, quiz.user_ids[1], 0),
            ]
        ],
        "you": {"rank": 2, "score": 0, "players": 3},
        "now": quiz.during_ms,
    }
    assert aws.posts_to(listener) == []


def test_the_state_action_replies_where_the_player_stands(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player = quiz.user_ids[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    send(ws_message, connection_id, quiz.during_ms, answer(quiz.questions[0].question_id, 0))
    asked_at = quiz.during_ms + 3_000

    send(ws_message, connection_id, asked_at, {"action": "state"})

    _, question, state = aws.posts_to(connection_id)
    assert state["type"] == "state"
    assert state["answered"] == [
        {
            "question_id": quiz.questions[0].question_id,
            "result": "answered",
            "correct": True,
            "correct_choice": 0,
            "points": 100,
        }
    ]
    assert state["current_question"] == {**question, "now": asked_at}
    assert state["remaining_ms"] == question["closes_at"] - asked_at
    assert state["you"] == {"rank": 1, "score": 100, "players": 3}


def test_a_ping_is_answered_with_pong_and_keeps_the_connection_row_alive(
    ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = connect(aws, quiz, quiz.user_ids[0])
    at_ms = quiz.during_ms + 90 * 60_000

    send(ws_message, connection_id, at_ms, {"action": "ping"})

    assert aws.posts_to(connection_id) == [{"type": "pong", "now": at_ms}]
    item = aws.connection_item(connection_id)
    assert item is not None
    assert int(item["expires_at"]) == at_ms // 1000 + 2 * 3600 + 600


def test_messages_past_the_rate_of_a_connection_are_refused_until_the_next_second(
    ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = connect(aws, quiz, quiz.user_ids[0])
    second = quiz.during_ms // 1000 * 1000

    for n in range(11):
        send(ws_message, connection_id, second + n, {"action": "ping"})
    send(ws_message, connection_id, second + 1000, {"action": "ping"})

    replies = aws.posts_to(connection_id)
    assert types(replies) == ["pong"] * 10 + ["error", "pong"]
    assert (replies[10]["code"], replies[10]["limit_per_second"]) == ("rate_limited", 10)


def test_the_eleventh_message_of_a_second_is_refused_unprocessed_and_the_next_second_works(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, question = quiz.user_ids[0], quiz.questions[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    second = quiz.during_ms // 1000 * 1000
    for n in range(10):
        send(ws_message, connection_id, second + n * 90, {"action": "ping"})

    send(ws_message, connection_id, second + 999, answer(question.question_id, 0))

    assert types(aws.posts_to(connection_id)) == ["pong"] * 10 + ["error"]
    assert aws.posts_to(connection_id)[-1]["code"] == "rate_limited"
    assert quiz_db.answers(quiz.quiz_id) == []
    assert aws.queued_pushes() == []

    send(ws_message, connection_id, second + 1000, answer(question.question_id, 0))

    assert types(aws.posts_to(connection_id))[11:] == ["answer_result", "question"]
    assert len(quiz_db.answers(quiz.quiz_id)) == 1


def test_the_rate_limit_counts_each_connection_on_its_own(
    ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    busy, quiet = (connect(aws, quiz, quiz.user_ids[0]) for _ in range(2))
    second = quiz.during_ms // 1000 * 1000
    for n in range(12):
        send(ws_message, busy, second + n, {"action": "ping"})

    send(ws_message, quiet, second + 20, {"action": "ping"})

    assert types(aws.posts_to(quiet)) == ["pong"]


def test_a_message_handled_after_a_later_one_of_its_connection_is_not_refused(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    # API Gateway may run two messages of one connection at once; the one received first,
    # in the previous second, can reach the registration last.
    player = quiz.user_ids[0]
    connection_id = connect(aws, quiz, player)
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    second = quiz.during_ms // 1000 * 1000 + 1000

    send(ws_message, connection_id, second + 10, {"action": "ping"})
    send(ws_message, connection_id, second - 10, answer(quiz.questions[0].question_id, 0))

    assert types(aws.posts_to(connection_id)) == ["pong", "answer_result", "question"]
    assert len(quiz_db.answers(quiz.quiz_id)) == 1


@pytest.mark.parametrize(
    "body",
    [{"action": "dance"}, {"question_id": "q1", "choice": 0}, {"action": None}],
    ids=["unknown action", "no action", "null action"],
)
def test_a_message_with_no_known_action_is_answered_with_the_valid_actions(
    body: dict[str, Any], ws_message: Invoke, quiz: SeededQuiz, aws: Aws
) -> None:
    connection_id = connect(aws, quiz, quiz.user_ids[0])

    response = send(ws_message, connection_id, quiz.during_ms, body)

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "invalid_request")
    for action in ("answer", "next", "leaderboard", "state", "ping"):
        assert f'"action": "{action}"' in reply["message"]


@pytest.mark.parametrize(
    "body",
    ['{"action": "answer", "question_id": "q1", "choice": ', "", "[1, 2]", '"answer"', "null"],
    ids=["truncated JSON", "empty", "array", "string", "null"],
)
def test_a_message_that_is_not_a_json_object_is_answered_with_invalid_request(
    body: str, ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = connect(aws, quiz, quiz.user_ids[0])

    response = send(ws_message, connection_id, quiz.during_ms, body)

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "invalid_request")
    assert quiz_db.answers(quiz.quiz_id) == []


@pytest.mark.parametrize(
    ("question", "choice", "at", "code"),
    [
        ("of another quiz", 0, "during", "question_not_in_quiz"),
        ("unknown", 0, "during", "question_not_in_quiz"),
        ("not served yet", 0, "during", "question_not_served"),
        ("served", 4, "during", "invalid_choice"),
        ("served", -1, "during", "invalid_request"),
        ("served", 6, "during", "invalid_request"),
        ("served", True, "during", "invalid_request"),
        ("served", "0", "during", "invalid_request"),
        ("served", 0, "before start", "quiz_not_started"),
        ("served", 0, "at end", "quiz_ended"),
        ("served", 0, "after end", "quiz_ended"),
    ],
)
def test_a_refused_answer_gets_its_error_code_and_stores_nothing(
    question: str,
    choice: object,
    at: str,
    code: str,
    ws_message: Invoke,
    quiz: SeededQuiz,
    quiz_db: QuizDatabase,
    aws: Aws,
) -> None:
    player = quiz.user_ids[0]
    sender, listener = (connect(aws, quiz, user_id) for user_id in quiz.user_ids[:2])
    quiz_db.serve(quiz, player, 0, quiz.during_ms - QUICK_MS)
    question_id = {
        "of another quiz": quiz_db.seed(players=0).questions[0].question_id,
        "unknown": "no_such_question",
        "not served yet": quiz.questions[1].question_id,
        "served": quiz.questions[0].question_id,
    }[question]
    at_ms = {
        "during": quiz.during_ms,
        "before start": quiz.start_ms - 1,
        "at end": quiz.end_ms,
        "after end": quiz.end_ms + 60_000,
    }[at]

    response = send(ws_message, sender, at_ms, answer(question_id, choice))

    assert response == {"statusCode": 200}
    (reply,) = aws.posts_to(sender)
    assert (reply["type"], reply["code"]) == ("error", code)
    assert quiz_db.answers(quiz.quiz_id) == []
    assert quiz_db.progress(quiz.quiz_id, player) == {"score": 0, "streak": 0, "answer_time_ms": 0}
    assert len(quiz_db.servings(quiz.quiz_id, player)) == 1
    assert aws.posts_to(listener) == []
    assert aws.push_mark(quiz.quiz_id) is None


def test_an_answer_exactly_at_the_start_is_accepted(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = connect(aws, quiz, quiz.user_ids[0])
    quiz_db.serve(quiz, quiz.user_ids[0], 0, quiz.start_ms)

    send(ws_message, connection_id, quiz.start_ms, answer(quiz.questions[0].question_id, 0))

    assert aws.posts_to(connection_id)[0]["type"] == "answer_result"
    assert len(quiz_db.answers(quiz.quiz_id)) == 1


def test_the_player_is_the_one_registered_for_the_connection_not_one_named_in_the_message(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    player, impersonated = quiz.user_ids[0], quiz.user_ids[1]
    connection_id = connect(aws, quiz, player)
    victims_connection = connect(aws, quiz, impersonated)
    for user_id in (player, impersonated):
        quiz_db.serve(quiz, user_id, 0, quiz.during_ms - QUICK_MS)
    victim_before = (
        quiz_db.progress(quiz.quiz_id, impersonated),
        quiz_db.servings(quiz.quiz_id, impersonated),
    )
    question = quiz.questions[0]
    message = answer(
        question.question_id, question.correct_choice, user_id=impersonated, quiz_id="other"
    )

    send(ws_message, connection_id, quiz.during_ms, message)
    for action in ("next", "state", "leaderboard"):
        body = {"action": action, "user_id": impersonated, "quiz_id": "other"}
        send(ws_message, connection_id, quiz.during_ms + 30_000, body)

    # The answer, and the next question skipped by "next", are all the player's.
    assert {row["user_id"] for row in quiz_db.answers(quiz.quiz_id)} == {player}
    assert quiz_db.score(quiz.quiz_id, player) == question.points
    assert victim_before == (
        quiz_db.progress(quiz.quiz_id, impersonated),
        quiz_db.servings(quiz.quiz_id, impersonated),
    )
    assert aws.posts_to(victims_connection) == []
    state = next(m for m in aws.posts_to(connection_id) if m["type"] == "state")
    assert state["you"]["score"] == question.points


def test_a_message_from_an_unregistered_connection_is_refused(
    ws_message: Invoke, quiz: SeededQuiz, quiz_db: QuizDatabase, aws: Aws
) -> None:
    connection_id = new_connection_id()

    send(ws_message, connection_id, quiz.during_ms, answer(quiz.questions[0].question_id, 0))

    (reply,) = aws.posts_to(connection_id)
    assert (reply["type"], reply["code"]) == ("error", "unknown_connection")
    assert quiz_db.answers(quiz.quiz_id) == []
