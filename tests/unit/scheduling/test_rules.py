"""Scheduling policy as data: urgency classes, due times, travel limits and the objective's order."""

from __future__ import annotations

import datetime as dt

import pytest

from medshare.errors import InvalidInput
from medshare.scheduling import rules

MONDAY = dt.datetime(2027, 3, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("urgency", "due"), [("emergency", dt.timedelta(hours=24)),
                                              ("urgent", dt.timedelta(hours=72)), ("routine", dt.timedelta(days=14))])
def test_the_default_due_times_are_24_hours_72_hours_and_14_days(urgency, due):
    assert rules.DEFAULT_POLICY.due_at(urgency, MONDAY) == MONDAY + due


def test_an_unknown_urgency_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as error:
        rules.DEFAULT_POLICY.index("whenever")
    assert error.value.problems[0].field == "urgency"


@pytest.mark.parametrize("km", [0, -1, 1001])
def test_a_travel_limit_is_positive_and_regional(km):
    with pytest.raises(InvalidInput) as error:
        rules.check_travel(km)
    assert error.value.problems[0].rule == "positive-regional"


def test_lateness_outweighs_leaving_out_which_outweighs_a_horizon_of_waiting():
    costs = rules.costs_of(rules.DEFAULT_POLICY)
    horizon = rules.DEFAULT_POLICY.horizon_days
    routine_out = costs.unassigned[2]
    assert min(costs.late_once[:2]) > routine_out
    assert routine_out > max(w * horizon + late * horizon for w, late in zip(costs.wait_per_day, costs.late_per_day,
                                                                             strict=True))
    assert all(out > once + (late + w) * horizon for out, once, late, w in
               zip(costs.unassigned, costs.late_once, costs.late_per_day, costs.wait_per_day, strict=True))


def test_a_moment_falls_on_its_local_day():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    assert rules.day_index(dt.datetime(2027, 3, 1, 17, tzinfo=dt.UTC), dt.date(2027, 3, 1), tz) == 1
