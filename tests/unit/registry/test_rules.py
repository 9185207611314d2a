"""Pure rules of the registries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medshare.errors import InvalidInput
from medshare.registry import rules
from medshare.registry.models import InstitutionType as T

D = dt.date


def test_a_tertiary_hospital_must_be_grade_three():
    rules.check_grade(T.TERTIARY_HOSPITAL, 3, "A")
    with pytest.raises(InvalidInput) as error:
        rules.check_grade(T.TERTIARY_HOSPITAL, 2, "A")
    assert error.value.problems[0].rule == "grade-matches-type"


def test_a_supplier_carries_no_grade_and_a_class_needs_a_level():
    rules.check_grade(T.SUPPLIER, None, None)
    with pytest.raises(InvalidInput):
        rules.check_grade(T.SUPPLIER, 1, None)
    with pytest.raises(InvalidInput) as error:
        rules.check_grade(T.COMMUNITY_HEALTH_CENTRE, None, "A")
    assert error.value.problems[0].field == "grade_class"


@pytest.mark.parametrize("code", ["350403", "110105", "820000"])
def test_real_division_codes_pass(code):
    rules.check_division_code(code)


@pytest.mark.parametrize("code", ["35040", "990000", "35040a", ""])
def test_malformed_division_codes_fail(code):
    with pytest.raises(InvalidInput) as error:
        rules.check_division_code(code)
    assert error.value.problems[0].rule == "gb2260"


def test_licence_status_moves_from_valid_to_expiring_to_expired():
    start, end = D(2024, 1, 1), D(2027, 1, 1)
    assert rules.licence_status(start, end, D(2023, 12, 31)) == "not_yet_valid"
    assert rules.licence_status(start, end, D(2026, 1, 1)) == "valid"
    assert rules.licence_status(start, end, D(2026, 12, 1)) == "expiring"
    assert rules.licence_status(start, end, D(2027, 1, 2)) == "expired"


def test_sites_held_at_different_times_do_not_add_up():
    existing = [rules.Window(D(2026, 1, 1), D(2026, 3, 31)), rules.Window(D(2026, 4, 1), D(2026, 6, 30))]
    assert rules.most_concurrent_sites(existing, rules.Window(D(2026, 1, 1), D(2026, 12, 31))) == 3


def test_a_fourth_concurrent_site_breaks_the_default_limit():
    existing = [rules.Window(D(2026, 1, 1), D(2026, 12, 31)), rules.Window(D(2026, 6, 1), D(2027, 6, 1))]
    with pytest.raises(InvalidInput) as error:
        rules.check_site_limit(existing, rules.Window(D(2026, 7, 1), D(2026, 8, 1)), max_sites=3)
    assert (error.value.problems[0].field, error.value.problems[0].rule) == ("institution_id", "max-sites")
    rules.check_site_limit(existing, rules.Window(D(2026, 7, 1), D(2026, 8, 1)), max_sites=4)


windows = st.builds(
    lambda start, length: rules.Window(D(2026, 1, 1) + dt.timedelta(days=start),
                                       D(2026, 1, 1) + dt.timedelta(days=start + length)),
    st.integers(0, 60), st.integers(0, 60))


@given(st.lists(windows, max_size=6), windows)
def test_the_site_count_equals_a_day_by_day_count(existing, new):
    day, best = new.start, 0
    while day <= new.end:
        best = max(best, sum(1 for w in existing if w.start <= day <= w.end))
        day += dt.timedelta(days=1)
    assert rules.most_concurrent_sites(existing, new) == best + 2
