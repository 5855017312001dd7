"""What a quiz, user or question id may look like."""

from __future__ import annotations

import pytest

from quiz_core.errors import InvalidRequest
from quiz_core.rules.identifiers import ensure_identifier


@pytest.mark.parametrize("value", ["voc202411290900", "1a2b3c", "q1", "a", "A-b_9", "x" * 64])
def test_letters_digits_dashes_and_underscores_up_to_64_are_accepted(value: str) -> None:
    assert ensure_identifier(value, "quiz_id") == value


@pytest.mark.parametrize(
    "value",
    ["", "x" * 65, "voc.2024", "a b", "q1\n", "../q1", "quiz'; --", "jörg", "١٢٣", "q%31"],
    ids=[
        "empty",
        "65 long",
        "dot",
        "space",
        "trailing newline",
        "path",
        "quote",
        "non-ASCII letter",
        "non-ASCII digits",
        "percent",
    ],
)
def test_anything_else_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidRequest, match="user_id must be 1 to 64") as refused:
        ensure_identifier(value, "user_id")

    assert refused.value.details == {"field": "user_id"}


@pytest.mark.parametrize("value", [None, 42, ["q1"], {"id": "q1"}])
def test_a_value_that_is_not_a_string_is_refused(value: object) -> None:
    with pytest.raises(InvalidRequest, match="question_id must be a string"):
        ensure_identifier(value, "question_id")
