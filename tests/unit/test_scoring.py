"""Speed and streak scoring, in integer arithmetic."""

from __future__ import annotations

import pytest

from quiz_core.rules.scoring import (
    NOTHING,
    score_correct_or_wrong,
    speed_points,
    streak_bonus,
)


@pytest.mark.parametrize(
    ("elapsed_ms", "expected"),
    [
        (0, 1000),
        (499, 1000),
        (500, 988),  # 1000 * (1 - 0.025 / 2) = 987.5, rounded half up
        (10_000, 750),
        (19_999, 500),  # 500.025
        (20_000, 500),
        (20_400, 500),  # inside the grace: counted as the full limit
    ],
)
def test_speed_points_fall_from_full_to_half_over_the_time_limit(
    elapsed_ms: int, expected: int
) -> None:
    assert speed_points(1000, elapsed_ms, 20_000) == expected


def test_speed_points_round_halves_up_without_floats() -> None:
    # 7 * (1 - 1000 / 4000) = 5.25 -> 5; 7 * (1 - 2000 / 4000) = 3.5 -> 4
    assert speed_points(7, 2000, 2000) == 4
    assert speed_points(7, 1000, 2000) == 5


@pytest.mark.parametrize(
    ("streak", "bonus"), [(0, 0), (1, 0), (2, 200), (3, 300), (5, 500), (6, 500), (40, 500)]
)
def test_streak_bonus_starts_at_the_second_correct_answer_and_is_capped(
    streak: int, bonus: int
) -> None:
    assert streak_bonus(streak) == bonus


def test_a_wrong_answer_earns_nothing_and_ends_the_streak() -> None:
    score = score_correct_or_wrong(False, 1000, 100, 20_000, streak_before=4)
    assert score == NOTHING
    assert score.streak == 0


def test_a_correct_answer_extends_the_streak_and_adds_its_bonus() -> None:
    score = score_correct_or_wrong(True, 1000, 10_000, 20_000, streak_before=2)
    assert (score.base_points, score.streak_bonus, score.streak) == (750, 300, 3)
    assert score.points == 1050


def test_the_first_correct_answer_has_no_bonus() -> None:
    score = score_correct_or_wrong(True, 1000, 0, 20_000, streak_before=0)
    assert (score.points, score.streak) == (1000, 1)
