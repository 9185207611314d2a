"""Properties of the pure rules of sign-in lockout and of the input guard, over generated values."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from medshare import input_guard
from medshare.accounts.rules import locked_until

NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
WINDOW, LOCKOUT = dt.timedelta(minutes=15), dt.timedelta(minutes=15)
ages = st.lists(st.integers(min_value=0, max_value=3600), max_size=30)  # seconds before NOW


def _times(seconds: list[int]) -> list[dt.datetime]:
    return [NOW - dt.timedelta(seconds=s) for s in seconds]


@given(ages, st.integers(min_value=1, max_value=8))
def test_a_lock_ends_in_the_future_and_no_later_than_a_lockout_after_the_last_failure(seconds, limit):
    until = locked_until(_times(seconds), NOW, limit, WINDOW, LOCKOUT)
    if until is not None:
        assert NOW < until <= max(_times(seconds)) + LOCKOUT
    if len(seconds) < limit:
        assert until is None


@given(ages, st.integers(min_value=0, max_value=3600), st.integers(min_value=1, max_value=8))
def test_one_more_failure_never_shortens_a_lock(seconds, extra, limit):
    before = locked_until(_times(seconds), NOW, limit, WINDOW, LOCKOUT)
    after = locked_until(_times([*seconds, extra]), NOW, limit, WINDOW, LOCKOUT)
    if before is not None:
        assert after is not None and after >= before


@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=int(WINDOW.total_seconds()) - 1))
def test_limit_failures_inside_one_window_lock_at_once(limit, spread):
    seconds = [spread * i // max(1, limit - 1) for i in range(limit)]
    assert locked_until(_times(seconds), NOW, limit, WINDOW, LOCKOUT) is not None


clean_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160), *range(0x202A, 0x202F),
                     *range(0x2066, 0x206A)])), max_size=40)
forbidden = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u202a", "\u2066", "\u2069"])


@settings(max_examples=200)
@given(clean_text, st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_clean_text_and_64_bit_integers_pass(text, number):
    body = json.dumps({"name": text, "n": number, "items": [{"note": text}]}).encode()
    assert input_guard.problems_in(body) == []
    assert input_guard.problems_in(json.dumps({"name": text}, ensure_ascii=False).encode()) == []


@settings(max_examples=200)
@given(clean_text, forbidden, clean_text, st.booleans())
def test_a_forbidden_character_anywhere_in_a_string_is_named(before, bad, after, ascii_only):
    body = json.dumps({"items": [{"note": before + bad + after}]}, ensure_ascii=ascii_only).encode()
    assert ("items.0.note", input_guard.RULE, input_guard.MESSAGE) in input_guard.problems_in(body)


@given(st.integers(min_value=2**63, max_value=2**200), st.booleans())
def test_integers_beyond_64_bits_are_named(number, negative):
    body = json.dumps({"a": {"b": -number if negative else number}}).encode()
    assert [field for field, rule, _ in input_guard.problems_in(body) if rule == "out-of-range"] == ["a.b"]


@given(st.integers(min_value=input_guard.MAX_DEPTH + 1, max_value=300))
def test_documents_nested_deeper_than_the_limit_are_refused(depth):
    body = ("[" * depth + "]" * depth).encode()
    assert ("body", "max-depth") in {(field, rule) for field, rule, _ in input_guard.problems_in(body)}
    shallow = ("[" * 10 + "]" * 10).encode()
    assert input_guard.problems_in(shallow) == []
