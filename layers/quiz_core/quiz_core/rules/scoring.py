"""Points for an answer: speed and streaks, in integer arithmetic.

A correct answer earns ``round(points * (1 - (elapsed / limit) / 2))`` (halves round up),
the full points when it came within ``FULL_POINTS_WITHIN_MS``. From the second correct
answer in a row, a streak bonus of ``STREAK_BONUS_STEP`` per answer in the streak, capped at
``STREAK_BONUS_CAP``. A wrong, late or skipped answer earns nothing and ends the streak.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL_POINTS_WITHIN_MS = 500
STREAK_BONUS_STEP = 100
STREAK_BONUS_CAP = 500


@dataclass(frozen=True)
class Score:
    correct: bool
    base_points: int
    streak_bonus: int
    streak: int

    @property
    def points(self) -> int:
        return self.base_points + self.streak_bonus


NOTHING = Score(correct=False, base_points=0, streak_bonus=0, streak=0)


def speed_points(points: int, elapsed_ms: int, limit_ms: int) -> int:
    """Points for a correct answer after ``elapsed_ms`` of a ``limit_ms`` question."""
    if elapsed_ms < FULL_POINTS_WITHIN_MS:
        return points
    elapsed = min(elapsed_ms, limit_ms)
    # points * (1 - elapsed / (2 * limit)), rounded half up, without floats.
    numerator = points * (2 * limit_ms - elapsed)
    denominator = 2 * limit_ms
    return (2 * numerator + denominator) // (2 * denominator)


def streak_bonus(streak: int) -> int:
    """The bonus of a correct answer that makes the streak ``streak`` long."""
    if streak < 2:
        return 0
    return min(STREAK_BONUS_STEP * streak, STREAK_BONUS_CAP)


def score_correct_or_wrong(
    correct: bool, points: int, elapsed_ms: int, limit_ms: int, streak_before: int
) -> Score:
    if not correct:
        return NOTHING
    streak = streak_before + 1
    return Score(
        correct=True,
        base_points=speed_points(points, elapsed_ms, limit_ms),
        streak_bonus=streak_bonus(streak),
        streak=streak,
    )
