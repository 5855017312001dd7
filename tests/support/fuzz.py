"""Hostile inputs for property tests, and the settings that keep them bounded.

Every property test runs a fixed number of examples chosen deterministically
(``derandomize``), so CI sees the same inputs on every run and a failure reproduces; no
example database is written. ``HOSTILE_FUZZ_EXAMPLES`` in the environment scales every test
up for a longer local search (``HOSTILE_FUZZ_EXAMPLES=10 make test-integration``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

F = TypeVar("F", bound=Callable[..., Any])
_SCALE = max(1, int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "1")))


def fuzz(examples: int) -> Callable[[F], F]:
    """Hypothesis settings for a property test of ``examples`` inputs."""
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        derandomize=True,
        database=None,
        # The handler fixtures are set up once per test on purpose: the examples share one
        # database and one connection, and each checks that it changed neither.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


FUZZ = fuzz(200)

# Any code point at all, with lone surrogates, controls, format and separator characters
# drawn far more often than their share of Unicode.
ANY_CHARACTER = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co"]),
)
# Strings that have broken parsers, SQL and loggers before.
NASTY_STRINGS = (
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '"; DELETE FROM participants; --',
    "1; SELECT pg_sleep(10)",
    "%s%s%s%n",
    "{0}{1}",
    "\\",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",
    "\u202eevil",
    "\ufeff",
    "\u2028",
    "𝕦𝕤𝕖𝕣",
    "Ω" * 64,
    "../../etc/passwd",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "null",
    "undefined",
    "NaN",
    "-0",
    "9" * 400,
    " ",
    "",
)


def nasty_text(max_size: int = 80) -> st.SearchStrategy[str]:
    """Short hostile text: known bad strings, any characters, or both glued together."""
    generated = st.text(ANY_CHARACTER, max_size=max_size)
    known = st.sampled_from(NASTY_STRINGS)
    return st.one_of(known, generated, st.tuples(known, generated).map("".join))


def huge_text() -> st.SearchStrategy[str]:
    """One character or short string repeated to between 4 KB and about 1.5 MB."""
    unit = st.sampled_from(["x", "'", "\x00", "é", "\ud83d", "{", "[", '"', "\\", "ab\u202e"])
    return st.builds(lambda text, times: text * times, unit, st.integers(4_000, 1_500_000))


def token_shaped() -> st.SearchStrategy[str]:
    """Three hostile parts joined by dots, the shape of a JWT."""
    return st.lists(nasty_text(30), min_size=3, max_size=3).map(".".join)


def altered(text: str) -> st.SearchStrategy[str]:
    """``text`` with one character replaced by any other, or with something appended."""

    def replace(position: int, character: str) -> str:
        return text[:position] + character + text[position + 1 :]

    replaced = st.builds(replace, st.integers(0, len(text) - 1), ANY_CHARACTER)
    appended = nasty_text(10).map(lambda tail: text + tail)
    return st.one_of(replaced, appended).filter(lambda changed: changed != text)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value, with hostile strings and numbers at the leaves."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        nasty_text(40),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(nasty_text(12), children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def deeply_nested(key: str) -> st.SearchStrategy[str]:
    """A JSON object whose ``key`` holds arrays or objects nested 9 to 20,000 levels deep."""

    def nest(depth: int, kind: str) -> str:
        inner = '{"a":' * depth + "1" + "}" * depth if kind == "{" else "[" * depth + "]" * depth
        return f'{{"{key}": {inner}}}'

    return st.builds(nest, st.integers(9, 20_000), st.sampled_from(["[", "{"]))


def duplicated_keys(keys: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A JSON object text naming one of ``keys`` (or a hostile key) twice."""

    def text(key: str, first: Any, second: Any, others: dict[str, Any]) -> str:
        members = [*(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in others.items())]
        members += [
            f"{json.dumps(key)}: {json.dumps(first)}",
            f"{json.dumps(key)}: {json.dumps(second)}",
        ]
        return "{" + ", ".join(members) + "}"

    key = st.one_of(st.sampled_from(keys), nasty_text(12))
    others = st.dictionaries(st.sampled_from(keys), json_values(3), max_size=3)
    return st.builds(text, key, json_values(3), json_values(3), others)


def objects_with(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[str]:
    """JSON objects with these fields (each present or not) plus hostile extra ones."""
    optional = {name: st.one_of(strategy, json_values(4)) for name, strategy in fields.items()}
    chosen = st.fixed_dictionaries({}, optional=optional)
    extra = st.dictionaries(nasty_text(12), json_values(4), max_size=3)
    return st.builds(lambda a, b: json.dumps({**b, **a}), chosen, extra)


def hostile_bodies(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[str | None]:
    """Everything a client could send as a body meant to hold ``fields``."""
    keys = tuple(fields)
    return st.one_of(
        st.none(),
        nasty_text(200),
        huge_text(),
        json_values().map(json.dumps),
        objects_with(fields),
        duplicated_keys(keys),
        deeply_nested(keys[0]),
    )
