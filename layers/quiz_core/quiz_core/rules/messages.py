"""The messages sent to players, built as plain JSON-ready dicts.

A question's correct choice appears only in a player's own final result
(``answer_result``, and the answered list of ``state``): no message sent before that
player's answer is final carries it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from quiz_core.errors import QuizError
from quiz_core.models import (
    LeaderboardEntry,
    Participation,
    Question,
    Quiz,
    StoredAnswer,
    User,
    epoch_ms,
    utc_from_epoch_ms,
)
from quiz_core.rules.answers import Serving

Message = dict[str, Any]

# Every action a client can send, with an example of each; used in error replies.
CLIENT_ACTIONS: dict[str, str] = {
    "answer": '{"action": "answer", "question_id": "q1", "choice": 0}',
    "next": '{"action": "next"}',
    "leaderboard": '{"action": "leaderboard"}',
    "state": '{"action": "state"}',
    "ping": '{"action": "ping"}',
}

PODIUM_SIZE = 3


@dataclass(frozen=True)
class Standing:
    """A player's place in a quiz."""

    rank: int | None
    score: int
    players: int

    @classmethod
    def by_user(cls, ranking: Sequence[LeaderboardEntry]) -> dict[str, Standing]:
        """Each ranked player's standing, for messages sent to every connection of a quiz."""
        return {e.user_id: cls(rank=e.rank, score=e.score, players=len(ranking)) for e in ranking}

    @classmethod
    def unranked(cls, players: int) -> Standing:
        """The standing of a connection whose player is not (or no longer) in the ranking."""
        return cls(rank=None, score=0, players=players)


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
    token: str,
) -> Message:
    """The reply to a join: the participation and the exact URL to connect to.

    The URL carries the caller's own token: browsers cannot set headers on a WebSocket.
    """
    query = urlencode({"quiz_id": quiz.quiz_id, "token": token})
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


def leaderboard_entries(entries: Iterable[LeaderboardEntry]) -> list[Message]:
    return [
        {"rank": e.rank, "user_id": e.user_id, "username": e.username, "score": e.score}
        for e in entries
    ]


def welcome(
    quiz: Quiz, user: User, standing: Standing, top: Sequence[LeaderboardEntry], now_ms: int
) -> Message:
    return {
        "type": "welcome",
        "message": f"Welcome to quiz {quiz.quiz_id}, user {user.user_id}",
        "quiz": quiz_summary(quiz, now_ms),
        "user": {"user_id": user.user_id, "username": user.username, "score": standing.score},
        "leaderboard": leaderboard_entries(top),
        "you": _you(standing),
        "now": now_ms,
    }


def question(quiz: Quiz, q: Question, serving: Serving, now_ms: int) -> Message:
    """A question as the player sees it: no correct choice, an honest window."""
    return {
        "type": "question",
        "quiz_id": quiz.quiz_id,
        "index": serving.question_index,
        "total": len(quiz.question_ids),
        "question_id": q.question_id,
        "category": q.category,
        "prompt": q.prompt,
        "choices": list(q.choices),
        "points": q.points,
        "time_limit_ms": serving.closes_at_ms - serving.served_at_ms,
        "opens_at": serving.served_at_ms,
        "closes_at": serving.closes_at_ms,
        "now": now_ms,
    }


def answer_result(
    answer: StoredAnswer, q: Question, total_score: int, already_answered: bool
) -> Message:
    return {
        "type": "answer_result",
        "question_id": answer.question_id,
        "status": "already_answered" if already_answered else answer.status,
        "result": answer.status,
        "choice": answer.choice,
        "correct": answer.correct,
        "correct_choice": q.correct_choice,
        "points": answer.points_awarded,
        "base_points": answer.base_points,
        "streak_bonus": answer.streak_bonus,
        "elapsed_ms": answer.elapsed_ms,
        "total_score": total_score,
        "already_answered": already_answered,
    }


def player_finished(quiz: Quiz, standing: Standing, now_ms: int) -> Message:
    """Sent once a player has a final result for every question."""
    return {"type": "finished", "quiz_id": quiz.quiz_id, "you": _you(standing), "now": now_ms}


def state(
    quiz: Quiz,
    standing: Standing,
    answered: Sequence[tuple[StoredAnswer, Question]],
    current: Message | None,
    now_ms: int,
) -> Message:
    """A snapshot for a player who (re)connects: where they are and what is left."""
    return {
        "type": "state",
        "quiz": quiz_summary(quiz, now_ms),
        "you": _you(standing),
        "answered": [
            {
                "question_id": a.question_id,
                "result": a.status,
                "correct": a.correct,
                "correct_choice": q.correct_choice,
                "points": a.points_awarded,
            }
            for a, q in answered
        ],
        "current_question": current,
        "remaining_ms": max(0, current["closes_at"] - now_ms) if current else None,
        "now": now_ms,
    }


def quiz_started(quiz: Quiz, now_ms: int) -> Message:
    return {"type": "quiz_started", "quiz": quiz_summary(quiz, now_ms), "now": now_ms}


def leaderboard(
    quiz_id: str, top: Sequence[LeaderboardEntry], standing: Standing | None, now_ms: int
) -> Message:
    message: Message = {
        "type": "leaderboard",
        "quiz_id": quiz_id,
        "entries": leaderboard_entries(top),
        "now": now_ms,
    }
    if standing is not None:
        message["you"] = _you(standing)
    return message


def final_results(
    quiz: Quiz, ranking: Sequence[LeaderboardEntry], standing: Standing, now_ms: int
) -> Message:
    return {
        "type": "final_results",
        "quiz_id": quiz.quiz_id,
        "podium": leaderboard_entries(ranking[:PODIUM_SIZE]),
        "you": _you(standing),
        "players": standing.players,
        "now": now_ms,
    }


def pong(now_ms: int) -> Message:
    return {"type": "pong", "now": now_ms}


def error(err: QuizError) -> Message:
    return {**err.details, "type": "error", "code": err.code, "message": err.message}


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


def _you(standing: Standing) -> Message:
    return {"rank": standing.rank, "score": standing.score, "players": standing.players}
