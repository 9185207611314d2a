"""Booking rules over a real database: policy, calendar, quota, holds, series, waitlist, settlement."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.assets import booking as bookings
from medshare.assets import ledger
from medshare.assets import service as assets
from medshare.assets.models import SlotClaim
from medshare.assets.schemas import AssetPatch, BlackoutIn, BookingIn, SeriesIn, WaitlistIn
from medshare.errors import Conflict, Forbidden, InvalidInput
from tests.integration.assets.conftest import NOW, at, every_day, mri_in


def book(session, actor, asset, start, exam="MRI-HEAD", now=NOW, key=None, **extra):
    data = BookingIn(asset_id=asset.id, exam_code=exam, starts_at=start, **extra)
    return bookings.book(session, actor, data, idempotency_key=key, now=now)[0]


def test_a_booking_is_confirmed_at_the_price_of_the_requesters_category(session, region, mri):
    own = book(session, region.owner, mri, at(0, 9))
    member = book(session, region.member, mri, at(0, 10))
    other = book(session, region.outsider, mri, at(0, 11), exam="MRI-SPINE")
    assert [b.status.value for b in (own, member, other)] == ["confirmed"] * 3
    assert [(b.price_category.value, b.price_fen) for b in (own, member, other)] == [
        ("own", 30000), ("community", 40000), ("other", 70000)]


def test_a_slot_cannot_be_booked_twice_even_partly(session, region, mri):
    book(session, region.member, mri, at(0, 9), exam="MRI-SPINE")  # 09:00-09:45
    with pytest.raises(Conflict) as error:
        book(session, region.outsider, mri, at(0, 9, 30))
    assert error.value.problems[0].rule == "slot-free"
    book(session, region.outsider, mri, at(0, 9, 45))  # touching, not overlapping


def test_the_database_refuses_a_second_claim_on_a_unit(session, region, mri):
    first = book(session, region.member, mri, at(0, 9))
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.execute(sa.insert(SlotClaim).values(asset_id=mri.id, unit_start=at(0, 9), booking_id=first.id))


@pytest.mark.parametrize(("start", "rule"), [
    (at(0, 7), "within-opening-hours"), (at(0, 9, 5), "on-grid"), (at(0, 7, 30), "within-opening-hours"),
    (at(40, 9), "max-horizon")])
def test_calendar_and_window_rules_refuse_naming_the_rule(session, region, mri, start, rule):
    with pytest.raises(InvalidInput) as error:
        book(session, region.member, mri, start)
    assert error.value.problems[0].rule == rule


def test_the_minimum_lead_time_is_kept(session, region, mri):
    with pytest.raises(InvalidInput) as error:
        book(session, region.member, mri, at(0, 8), now=at(0, 7, 30))
    assert error.value.problems[0].rule == "min-lead-time"


def test_a_blackout_closes_the_calendar(session, region, mri):
    assets.add_blackout(session, region.owner, mri, BlackoutIn(starts_at=at(1, 8), ends_at=at(1, 12),
                                                               kind="maintenance", reason="coil replacement"))
    with pytest.raises(InvalidInput) as error:
        book(session, region.member, mri, at(1, 9))
    assert error.value.problems[0].rule == "not-closed"


def test_an_unknown_exam_is_refused_naming_the_field(session, region, mri):
    with pytest.raises(InvalidInput) as error:
        book(session, region.member, mri, at(0, 9), exam="PET-WHOLE")
    assert error.value.problems[0].field == "exam_code"


def test_a_community_only_asset_refuses_outsiders(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(open_to="community"))
    book(session, region.member, mri, at(0, 9))
    with pytest.raises(Forbidden, match="open-to"):
        book(session, region.outsider, mri, at(0, 10))


def test_the_quota_per_requester_is_kept(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(quota_count=2, quota_period_days=7))
    book(session, region.outsider, mri, at(0, 9))
    book(session, region.outsider, mri, at(1, 9))
    with pytest.raises(InvalidInput) as error:
        book(session, region.outsider, mri, at(2, 9))
    assert error.value.problems[0].rule == "quota"
    book(session, region.member, mri, at(2, 9))  # another requester has its own quota


def test_a_retried_request_with_the_same_key_books_once(session, region, mri):
    request = BookingIn(asset_id=mri.id, exam_code="MRI-HEAD", starts_at=at(0, 9))
    first, new = bookings.book(session, region.member, request, idempotency_key="k-1", now=NOW)
    again, new_again = bookings.book(session, region.member, request, idempotency_key="k-1", now=NOW)
    assert (new, new_again) == (True, False) and again.id == first.id
    with pytest.raises(Conflict):
        bookings.book(session, region.member, BookingIn(asset_id=mri.id, exam_code="MRI-HEAD", starts_at=at(0, 10)),
                      idempotency_key="k-1", now=NOW)


def test_an_expired_hold_frees_its_slot(session, region, mri):
    hold = book(session, region.member, mri, at(0, 9), hold=True)
    assert hold.status.value == "held"
    with pytest.raises(Conflict):
        book(session, region.outsider, mri, at(0, 9))
    later = NOW + dt.timedelta(minutes=mri.hold_minutes + 1)
    taken = book(session, region.outsider, mri, at(0, 9), now=later)
    assert taken.status.value == "confirmed"
    session.refresh(hold)
    assert hold.status.value == "expired"
    with pytest.raises(Conflict):
        bookings.confirm_hold(session, region.member, hold, now=later)


def test_approval_required_bookings_wait_for_the_owner(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(approval_required=True))
    pending = book(session, region.outsider, mri, at(0, 9))
    assert pending.status.value == "pending"
    with pytest.raises(Forbidden):
        bookings.decide(session, region.outsider, pending, approve=True)
    bookings.decide(session, region.owner, pending, approve=False, reason="scanner reserved for inpatients",
                    now=NOW)
    assert pending.status.value == "declined"
    book(session, region.member, mri, at(0, 9))  # the declined slot is free again


def test_an_individual_doctor_books_only_with_a_registration_at_the_owner(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(bookers="both"))
    own_account = book(session, region.doctor, mri, at(0, 9), as_individual=True)
    assert (own_account.price_category.value, own_account.requester_practitioner_id) == (
        "individual", region.doctor.practitioner_id)
    with pytest.raises(InvalidInput) as error:
        book(session, region.unregistered_doctor, mri, at(0, 10), as_individual=True)
    assert error.value.problems[0].rule == "registered-at-owner"


def test_a_weekly_series_skips_conflicts_and_reports_them(session, region, mri):
    book(session, region.outsider, mri, at(14, 9))  # the third Monday is taken
    series, booked = bookings.book_series(session, region.member, SeriesIn(
        asset_id=mri.id, exam_code="MRI-HEAD", first_starts_at=at(0, 9), weeks=4), now=NOW)
    assert [b.starts_at for b in booked] == [at(0, 9), at(7, 9), at(21, 9)]
    assert [(s["starts_at"], s["rule"]) for s in series.skipped] == [(at(14, 9).isoformat(), "slot-free")]


def test_a_cancellation_promotes_the_first_eligible_waiting_request(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(hours=[{"weekday": 0, "opens": "09:00",
                                                                      "closes": "09:30"}]))
    taken = book(session, region.outsider, mri, at(0, 9))
    entry = bookings.join_waitlist(session, region.member, WaitlistIn(
        asset_id=mri.id, exam_code="MRI-HEAD", earliest=at(0, 8), latest=at(0, 12)), now=NOW)
    assert [e.id for e in bookings.list_waitlist(session, region.member)] == [entry.id]
    bookings.cancel(session, region.outsider, taken, reason="patient better", now=NOW)
    session.refresh(entry)
    assert entry.status == "promoted"
    promoted = bookings.get_booking(session, entry.booking_id)
    assert (promoted.starts_at, promoted.requester_institution_id) == (at(0, 9), region.member_id)


def test_completion_no_show_and_late_cancellation_post_a_balanced_ledger(session, region, mri):
    used = book(session, region.outsider, mri, at(0, 9))
    missed = book(session, region.outsider, mri, at(0, 10))
    late = book(session, region.outsider, mri, at(0, 11))
    bookings.record_outcome(session, region.owner, used, completed=True, now=at(0, 10))
    bookings.record_outcome(session, region.owner, missed, completed=False, now=at(0, 11))
    bookings.cancel(session, region.outsider, late, now=at(0, 10))  # an hour before: late
    month = at(0, 9).strftime("%Y-%m")
    payer = ledger.statement(session, f"institution:{region.outsider_id}", month)
    owner = ledger.statement(session, f"institution:{region.owner_id}", month)
    assert [(line["reason"], line["amount_fen"]) for line in payer["lines"]] == [
        ("completed", 60000), ("late_cancellation", 30000), ("no_show", 60000)]
    assert payer["closing_fen"] == -owner["closing_fen"] == 150000
    assert ledger.imbalance(session) == 0
    with pytest.raises(Conflict):
        bookings.record_outcome(session, region.owner, used, completed=True, now=at(0, 10))


def test_search_finds_the_earliest_slots_within_reach_for_the_requester(session, region, mri):
    far = assets.create_asset(session, region.owner, mri_in(region.owner_id, latitude=27.5, longitude=119.0))
    book(session, region.outsider, mri, at(0, 8))
    slots = assets.search_slots(session, region.outsider, modality="MRI", capabilities=["contrast"],
                                exam_code="MRI-HEAD", latitude=26.26, longitude=117.64, radius_km=30, limit=2000,
                                now=NOW)
    # Other tests' assets share the database: look at this test's two.
    ours = [s for s in slots if s["asset_id"] == mri.id]
    assert ours[0]["starts_at"] == at(0, 8, 30) and ours[0]["price_fen"] == 60000
    assert [s["starts_at"] for s in slots] == sorted(s["starts_at"] for s in slots)
    assert far.id not in {s["asset_id"] for s in slots}
    assert all(s["distance_km"] <= 30 for s in slots)
    cardiac = assets.search_slots(session, region.outsider, modality="MRI", capabilities=["cardiac"], now=NOW)
    assert mri.id not in {s["asset_id"] for s in cardiac}


def test_search_reads_past_booked_out_days_and_merges_every_asset_in_order(session, region, mri):
    busy = assets.create_asset(session, region.owner, mri_in(region.owner_id, hours=every_day(8, 10)))
    for day in range(3):  # booked out until Thursday: past the days the search reads first
        for hour, minute in ((8, 0), (8, 30), (9, 0), (9, 30)):
            book(session, region.member, busy, at(day, hour, minute))
    everything = assets.search_slots(session, region.outsider, modality="MRI", exam_code="MRI-HEAD",
                                     latitude=26.3, longitude=117.6, limit=5000, now=NOW)
    assert next(s["starts_at"] for s in everything if s["asset_id"] == busy.id) == at(3, 8)
    assert assets.search_slots(session, region.outsider, modality="MRI", exam_code="MRI-HEAD", latitude=26.3,
                               longitude=117.6, limit=7, now=NOW) == everything[:7]
    nearest = assets.search_slots(session, region.outsider, modality="MRI", exam_code="MRI-HEAD", latitude=26.3,
                                  longitude=117.6, sort="distance", limit=5000, now=NOW)
    assert sorted(nearest, key=lambda s: (s["distance_km"], s["starts_at"])) == nearest
    assert len(nearest) == len(everything)


def test_changing_opening_hours_takes_effect_for_new_bookings(session, region, mri):
    assets.update_asset(session, region.owner, mri, AssetPatch(hours=every_day(12, 14)))
    with pytest.raises(InvalidInput):
        book(session, region.member, mri, at(0, 9))
    book(session, region.member, mri, at(0, 12))


def test_utilisation_counts_booked_and_used_hours_over_open_hours(session, region, mri):
    from medshare.assets import utilisation

    used = book(session, region.outsider, mri, at(0, 9))
    book(session, region.outsider, mri, at(1, 9), exam="MRI-SPINE")
    bookings.record_outcome(session, region.owner, used, completed=True, now=at(0, 10))
    rows = utilisation.utilisation(session, region.owner, start=at(0, 0).astimezone(mri_tz()).date(), weeks=1)
    row = next(r for r in rows if r["key"] == str(mri.id))
    assert row["open_hours"] == 70.0  # 10 hours a day, 7 days
    assert (row["booked_hours"], row["used_hours"]) == (1.25, 0.5)
    assert row["booked_ratio"] == round(1.25 / 70, 3)
    outsider_view = utilisation.utilisation(session, region.outsider, start=at(0, 0).date(), weeks=1)
    assert str(mri.id) not in {r["key"] for r in outsider_view}


def mri_tz():
    return assets.region_tz()
