"""Pure rules of shared assets: slots, sharing policy, prices, fees, ledger lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from medshare.assets import rules
from medshare.errors import Conflict, Forbidden, InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 12, 7)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.UTC)


CALENDAR = rules.Calendar(tz=TZ, grid_minutes=15, hours=((0, dt.time(8), dt.time(12)), (0, dt.time(14), dt.time(17))),
                          closures=(rules.Interval(local(MONDAY, 10), local(MONDAY, 11)),))


def test_a_slot_inside_opening_hours_on_the_grid_passes():
    slot = rules.check_slot(CALENDAR, local(MONDAY, 8, 30), 30)
    assert slot.end - slot.start == dt.timedelta(minutes=30)


@pytest.mark.parametrize(("start", "minutes", "rule"), [
    (local(MONDAY, 7, 45), 30, "within-opening-hours"),
    (local(MONDAY, 11, 45), 30, "within-opening-hours"),  # runs past closing
    (local(MONDAY, 8, 10), 30, "on-grid"),
    (local(MONDAY, 10, 30), 15, "not-closed"),
    (local(MONDAY + dt.timedelta(days=1), 9), 30, "within-opening-hours"),  # closed on Tuesdays
])
def test_slots_outside_the_calendar_are_refused_naming_the_rule(start, minutes, rule):
    with pytest.raises(InvalidInput) as error:
        rules.check_slot(CALENDAR, start, minutes)
    assert error.value.problems[0].field == "starts_at" and error.value.problems[0].rule == rule


def test_free_slots_skip_closures_and_taken_units():
    window = rules.Interval(local(MONDAY, 0), local(MONDAY, 23))
    taken = rules.units(local(MONDAY, 8), local(MONDAY, 8, 30), 15)
    starts = [s.start for s in rules.free_slots(CALENDAR, 30, window, taken)]
    assert starts[0] == local(MONDAY, 8, 30)
    assert local(MONDAY, 10) not in starts and local(MONDAY, 10, 30) not in starts
    assert starts[-1] == local(MONDAY, 16, 30)
    assert len(starts) == 3 + 2 + 6  # 8:30-10:00, 11:00-12:00, 14:00-17:00


def test_lead_time_and_horizon():
    now = local(MONDAY, 8)
    rules.check_booking_window(now, local(MONDAY, 10), 60, 30)
    with pytest.raises(InvalidInput, match="at least 60 minutes"):
        rules.check_booking_window(now, local(MONDAY, 8, 30), 60, 30)
    with pytest.raises(InvalidInput) as error:
        rules.check_booking_window(now, now + dt.timedelta(days=31), 60, 30)
    assert error.value.problems[0].rule == "max-horizon"


POLICY = rules.SharingPolicy(owner_institution_id=1, owner_communities=frozenset({10}), open_to="community")


def test_a_community_asset_admits_members_and_the_owner_only():
    rules.check_may_book(rules.Requester(2, "community_health_centre", 1, frozenset({10})), POLICY)
    rules.check_may_book(rules.Requester(1, "tertiary_hospital", 3), POLICY)
    with pytest.raises(Forbidden, match="open-to"):
        rules.check_may_book(rules.Requester(3, "secondary_hospital", 2, frozenset({11})), POLICY)


def test_a_listed_policy_admits_by_grade():
    listed = rules.SharingPolicy(1, frozenset(), "listed", allowed_grades=(1, 2))
    rules.check_may_book(rules.Requester(2, "secondary_hospital", 2), listed)
    with pytest.raises(Forbidden):
        rules.check_may_book(rules.Requester(3, "tertiary_hospital", 3), listed)


def test_an_individual_doctor_needs_a_registration_at_the_owner():
    mall = rules.SharingPolicy(1, frozenset(), "all", bookers="both")
    registered = rules.Requester(5, "individual_clinic", None, practitioner_id=9, registered_at_owner=True)
    rules.check_may_book(registered, mall)
    with pytest.raises(InvalidInput) as error:
        rules.check_may_book(rules.Requester(5, "individual_clinic", None, practitioner_id=9), mall)
    assert error.value.problems[0].rule == "registered-at-owner"
    with pytest.raises(Forbidden, match="bookers"):
        rules.check_may_book(rules.Requester(5, "x", None, practitioner_id=9, registered_at_owner=True),
                             rules.SharingPolicy(1, frozenset(), "all", bookers="institutions"))


def test_price_category_and_price_list_fallbacks():
    assert rules.price_category(rules.Requester(1, "t", 3), POLICY) == "own"
    assert rules.price_category(rules.Requester(2, "c", 1, frozenset({10})), POLICY) == "community"
    assert rules.price_category(rules.Requester(3, "s", 2), POLICY) == "other"
    prices = {("MRI-HEAD", "community"): 40000, ("", "community"): 45000, ("", "other"): 60000}
    assert rules.pick_price(prices, "MRI-HEAD", "community") == 40000
    assert rules.pick_price(prices, "MRI-SPINE", "community") == 45000
    assert rules.pick_price(prices, "MRI-SPINE", "individual") == 60000
    assert rules.pick_price({}, "X", "own") == 0


def test_cancellation_is_free_until_the_cut_off():
    start = local(MONDAY, 10)
    assert rules.cancellation_fee(10000, start - dt.timedelta(hours=30), start, 24, 50) == 0
    assert rules.cancellation_fee(10000, start - dt.timedelta(hours=2), start, 24, 50) == 5000


def test_the_state_machine_refuses_illegal_moves():
    rules.check_transition("held", "confirmed")
    with pytest.raises(Conflict):
        rules.check_transition("cancelled", "confirmed")
    with pytest.raises(Conflict):
        rules.check_transition("completed", "no_show")


def test_settlement_lines_balance():
    lines = rules.settlement_lines(12345, payer_account=1, owner_account=2)
    assert sum(amount for _, amount in lines) == 0 and lines[0] == (1, 12345)
    assert rules.settlement_lines(0, 1, 2) == [] and rules.settlement_lines(5, 1, 1) == []


def test_quota():
    rules.check_quota(1, 2, 7)
    with pytest.raises(InvalidInput) as error:
        rules.check_quota(2, 2, 7)
    assert error.value.problems[0].rule == "quota"
