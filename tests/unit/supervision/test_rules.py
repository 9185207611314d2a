"""Credit rules as policy data: decay, levels, remediation, blacklisting, no-show and complaint limits."""

from __future__ import annotations

import datetime as dt

from medshare.supervision import rules

TODAY = dt.date(2026, 11, 1)
POLICY = rules.merged_policy(None)


def test_a_clean_record_scores_the_base_and_level_a():
    assert rules.score([], TODAY, POLICY) == 100.0
    assert rules.level_of(100.0, POLICY) == "A"


def test_a_sanction_weighs_half_as_much_after_one_half_life():
    fresh = rules.score([rules.Event("sanction.fine", TODAY)], TODAY, POLICY)
    old = rules.score([rules.Event("sanction.fine", TODAY - dt.timedelta(days=365))], TODAY, POLICY)
    assert fresh == 85.0 and old == 92.5


def test_levels_follow_the_policy_thresholds():
    assert [rules.level_of(v, POLICY) for v in (95, 80, 61, 59.9)] == ["A", "B", "C", "D"]
    strict = rules.merged_policy({"levels": [["A", 99], ["B", 80], ["C", 70], ["D", None]]})
    assert rules.level_of(95, strict) == "B"


def test_level_d_blacklists_and_an_approved_remediation_clears_the_old_events():
    events = [rules.Event("sanction.blacklist", TODAY), rules.Event("complaint.substantiated", TODAY)]
    state = rules.standing(events, [], TODAY, POLICY)
    assert state.level == "D" and state.blacklisted and "credit level D" in state.reasons[0]
    cleared = rules.standing(events, [], TODAY, POLICY, remediated_on=TODAY)
    assert cleared.level == "A" and not cleared.blacklisted


def test_a_blacklisting_sanction_in_force_blacklists_whatever_the_score():
    state = rules.standing([], [rules.ActiveSanction(7, "suspension", True, TODAY + dt.timedelta(days=3))],
                           TODAY, POLICY)
    assert state.level == "A" and state.blacklisted and "#7" in state.reasons[0]


def test_a_sanction_ends_on_its_end_date():
    start = TODAY - dt.timedelta(days=10)
    assert rules.sanction_in_force(start, TODAY + dt.timedelta(days=1), False, TODAY)
    assert not rules.sanction_in_force(start, TODAY, False, TODAY)
    assert not rules.sanction_in_force(start, None, True, TODAY)


def test_positive_points_are_capped():
    good = [rules.Event("qc.passed", TODAY)] * 50
    assert rules.score(good, TODAY, POLICY) == 110.0


def test_no_show_rate_needs_enough_bookings_and_a_rate_over_the_policy():
    assert not rules.no_show_rate_over(5, 5, POLICY)
    assert not rules.no_show_rate_over(20, 3, POLICY)
    assert rules.no_show_rate_over(20, 4, POLICY)


def test_complaints_are_limited_per_hour_and_per_day():
    assert rules.complaint_allowed(0, 0, POLICY) is None
    assert "an hour" in rules.complaint_allowed(3, 3, POLICY)
    assert "a day" in rules.complaint_allowed(0, 10, POLICY)
