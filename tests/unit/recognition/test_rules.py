"""Each recognition rule on its own: status, validity window, the HR mark, and the scope rules."""

from __future__ import annotations

import datetime as dt

import pytest

from medshare.recognition.rules import Scope, Site, Why, Window, in_scope, judge, month_of, rank, recognisable

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
TERTIARY = Site(1, "tertiary_hospital", 3)
SECONDARY = Site(2, "secondary_hospital", 2)
SECONDARY_2 = Site(3, "secondary_hospital", 2)
COMMUNITY_CENTRE = Site(4, "community_health_centre", None)
LAB = Site(5, "third_party_lab", None)
ALWAYS = [Window(dt.date(2025, 1, 1), dt.date(2027, 1, 1))]


def verdict(ordering=SECONDARY, performing=TERTIARY, *, status="final", days_ago=3, validity=7, windows=ALWAYS,
            scope=Scope()):
    return judge(status=status, made_at=NOW - dt.timedelta(days=days_ago), validity_days=validity,
                 ordering=ordering, performing=performing, windows=windows, scope=scope, now=NOW)


def test_a_lower_grade_accepts_a_higher_grades_result():
    assert verdict() is Why.HIGHER_GRADE and recognisable(Why.HIGHER_GRADE)
    assert verdict(scope=Scope(lower_accepts_higher=False)) is Why.SCOPE


def test_the_same_grade_accept_each_other():
    assert verdict(SECONDARY, SECONDARY_2) is Why.SAME_GRADE
    assert verdict(SECONDARY, SECONDARY_2, scope=Scope(same_grade=False)) is Why.SCOPE


def test_a_tertiary_hospital_accepts_a_lower_grade_only_when_the_policy_says_so():
    assert verdict(TERTIARY, SECONDARY) is Why.SCOPE and not recognisable(Why.SCOPE)
    assert verdict(TERTIARY, SECONDARY, scope=Scope(higher_accepts_lower=True)) is Why.LOWER_GRADE_ACCEPTED


def test_members_of_one_medical_community_accept_each_other_whatever_their_grades():
    lead = Site(1, "tertiary_hospital", 3, frozenset({9}))
    member = Site(4, "community_health_centre", None, frozenset({9}))
    assert verdict(lead, member) is Why.SAME_COMMUNITY
    assert verdict(lead, member, scope=Scope(same_community=False)) is Why.SCOPE


def test_an_institutions_own_results_need_no_hr_mark():
    assert verdict(SECONDARY, SECONDARY, windows=[]) is Why.SAME_INSTITUTION


def test_a_result_without_the_hr_mark_on_the_day_it_was_made_is_not_accredited():
    assert verdict(windows=[]) is Why.NOT_ACCREDITED
    lapsed = [Window(dt.date(2025, 1, 1), dt.date(2026, 6, 1))]
    assert verdict(windows=lapsed) is Why.NOT_ACCREDITED
    assert verdict(windows=lapsed, days_ago=40, validity=60) is Why.HIGHER_GRADE  # made while accredited


def test_a_result_older_than_the_items_window_is_expired_and_the_last_day_still_counts():
    assert verdict(days_ago=7, validity=7) is Why.HIGHER_GRADE
    assert verdict(days_ago=8, validity=7) is Why.EXPIRED
    assert verdict(days_ago=-1) is Why.EXPIRED  # dated in the future: not a prior result


@pytest.mark.parametrize("status", ["preliminary", "registered", "cancelled", "entered-in-error"])
def test_only_final_results_are_recognised(status):
    assert verdict(status=status) is Why.NOT_FINAL
    assert verdict(status="amended") is Why.HIGHER_GRADE


def test_third_party_labs_rank_as_the_policy_says_and_primary_care_as_grade_one():
    assert rank(LAB, Scope()) == 2 and rank(LAB, Scope(independent_rank=3)) == 3
    assert rank(COMMUNITY_CENTRE, Scope()) == 1
    assert in_scope(COMMUNITY_CENTRE, LAB, Scope()) is Why.HIGHER_GRADE
    assert in_scope(TERTIARY, LAB, Scope(independent_rank=3)) is Why.SAME_GRADE


def test_figures_count_by_the_regions_month():
    from zoneinfo import ZoneInfo

    late = dt.datetime(2026, 6, 30, 17, 0, tzinfo=dt.UTC)  # 01:00 on 1 July in Shanghai
    assert month_of(late, ZoneInfo("Asia/Shanghai")) == "2026-07"
