"""The messages sent to players, built as plain JSON-ready dicts.

A question's correct choice never appears here: the only way it reaches a player is the
``correct`` flag of their own final answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from quiz_core.errors import QuizError
from quiz_core.models import (
    AnswerOutcome,
    LeaderboardEntry,
    Participation,
    Question,
    Quiz,
    User,
    epoch_ms,
    utc_from_epoch_ms,
)

Message = dict[str, Any]

# Every action a client can send, with the fields each takes; used in error replies.
CLIENT_ACTIONS: dict[str, str] = {
    "answer": '{"action": "answer", "question_id": "q1", "choice": 0}',
    "leaderboard": '{"action": "leaderboard"}',
    "ping": '{"action": "ping"}',
}


def quiz_summary(quiz: Quiz, now_ms: int) -> Message:
    return {
        "quiz_id": quiz.quiz_id,
        "name": quiz.name,
        "start_time": quiz.start_time.isoformat(),
        "end_time": quiz.end_time.isoformat(),
        "starts_at": epoch_ms(quiz.start_time),
        "ends_at": epoch_ms(quiz.end_time),
        "phase": quiz.phase(utc_from_epoch_ms(now_ms)).value,
        "question_count": len(quiz.question_ids),
    }


def joined(
    quiz: Quiz,
    participation: Participation,
    newly_joined: bool,
    now: datetime,
    websocket_url: str,
) -> Message:
    """The reply to a join: the participation and the exact URL to connect to."""
    query = urlencode({"quiz_id": quiz.quiz_id, "user_id": participation.user_id})
    return {
        "participation": {
            "quiz_id": participation.quiz_id,
            "user_id": participation.user_id,
            "joined_at": participation.joined_at.isoformat(),
            "score": participation.score,
            "newly_joined": newly_joined,
        },
        "quiz": quiz_summary(quiz, epoch_ms(now)),
        "websocket_url": f"{websocket_url}?{query}",
    }


def public_question(question: Question) -> Message:
    return {
        "question_id": question.question_id,
        "category": question.category,
        "prompt": question.prompt,
        "choices": list(question.choices),
        "time_limit_ms": question.time_limit_ms,
        "points": question.points,
    }


def leaderboard_entries(entries: Iterable[LeaderboardEntry]) -> list[Message]:
    return [
        {"rank": e.rank, "user_id": e.user_id, "username": e.username, "score": e.score}
        for e in entries
    ]


def welcome(
    quiz: Quiz,
    user: User,
    questions: Sequence[Question],
    leaderboard: Sequence[LeaderboardEntry],
    score: int,
    now_ms: int,
) -> Message:
    return {
        "type": "welcome",
        "message": f"Welcome to quiz {quiz.quiz_id}, user {user.user_id}",
        "quiz": quiz_summary(quiz, now_ms),
        "user": {"user_id": user.user_id, "username": user.username, "score": score},
        "questions": [public_question(q) for q in questions],
        "leaderboard": leaderboard_entries(leaderboard),
        "server_time": now_ms,
    }


def answer_result(outcome: AnswerOutcome) -> Message:
    return {
        "type": "answer_result",
        "question_id": outcome.question_id,
        "choice": outcome.choice,
        "correct": outcome.correct,
        "points": outcome.points_awarded,
        "total_score": outcome.total_score,
        "already_answered": outcome.already_answered,
    }


def leaderboard(quiz_id: str, entries: Sequence[LeaderboardEntry], now_ms: int) -> Message:
    return {
        "type": "leaderboard",
        "quiz_id": quiz_id,
        "entries": leaderboard_entries(entries),
        "server_time": now_ms,
    }


def pong(now_ms: int) -> Message:
    return {"type": "pong", "server_time": now_ms}


def error(err: QuizError) -> Message:
    return {"type": "error", "code": err.code, "message": err.message, **err.details}


def internal_error() -> Message:
    return {
        "type": "error",
        "code": "internal_error",
        "message": "The server could not handle this message; try again shortly",
    }


def unavailable() -> Message:
    return {
        "type": "error",
        "code": "service_unavailable",
        "message": "The quiz database is unreachable right now; try again in a few seconds",
    }
