"""The demo region's shared assets and booking history: realistic, deterministic and true to the rules."""

from __future__ import annotations

import collections
import datetime as dt
import itertools

import pytest

from medshare.assets import rules
from medshare.demo.assets import TZ, local
from medshare.demo.generator import generate
from medshare.errors import DomainError
from medshare.registry import rules as registry_rules

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def small():
    return generate("small", 1, today=TODAY)


@pytest.fixture(scope="module")
def city():
    return generate("city", 1, today=TODAY)


def _calendar(region, asset_id: int) -> rules.Calendar:
    asset = next(a for a in region.assets if a["id"] == asset_id)
    hours = tuple((h["weekday"], h["opens"], h["closes"]) for h in region.opening_hours if h["asset_id"] == asset_id)
    closures = tuple(rules.Interval(b["starts_at"], b["ends_at"]) for b in region.blackouts
                     if b["asset_id"] == asset_id)
    return rules.Calendar(TZ, asset["grid_minutes"], hours, closures)


def _booked_share(region, asset_ids: set[int], first: dt.date, days: int) -> float:
    """Live booked minutes over open minutes of the assets in [first, first + days)."""
    window = rules.Interval(local(first, dt.time()), local(first + dt.timedelta(days=days), dt.time()))
    opened = sum(rules.open_minutes(_calendar(region, a), window) for a in asset_ids)
    booked = sum((b["ends_at"] - b["starts_at"]).total_seconds() / 60 for b in region.bookings
                 if b["asset_id"] in asset_ids and b["status"] in rules.LIVE_STATUSES
                 and window.start <= b["starts_at"] < window.end)
    return booked / opened


def test_the_same_seed_gives_the_same_assets_and_bookings(small):
    again = generate("small", 1, today=TODAY)
    for name in ("assets", "prices", "bookings", "slot_claims", "journal_lines"):
        assert getattr(again, name) == getattr(small, name)
    assert generate("small", 2, today=TODAY).bookings != small.bookings


def test_ct_and_mri_follow_the_national_density_in_hospitals_of_grade_two_and_above(city):
    grade = {i["id"]: i["grade_level"] for i in city.institutions}
    kinds = {i["id"]: i["type"] for i in city.institutions}
    per = collections.Counter((a["owner_institution_id"], a["modality"]) for a in city.assets)
    ct = sum(n for (owner, modality), n in per.items() if modality == "CT" and (grade[owner] or 0) >= 2)
    mri = sum(n for (owner, modality), n in per.items() if modality == "MRI" and (grade[owner] or 0) >= 2)
    assert 20 <= ct <= 28 and 10 <= mri <= 14  # ~9.4 and ~4.9 per million for 2.5 million people
    for owner, kind in kinds.items():
        if kind == "tertiary_hospital":
            assert 3 <= per[owner, "CT"] <= 5 and 2 <= per[owner, "MRI"] <= 3 and per[owner, "DSA"] == 1
        elif kind == "secondary_hospital":
            assert 1 <= per[owner, "CT"] <= 2 and per[owner, "MRI"] <= 1
        elif grade[owner] == 1 or kind in ("community_health_centre", "village_clinic"):
            assert per[owner, "CT"] == per[owner, "MRI"] == 0
    assert sum(1 for a in city.assets if a["modality"] == "PET-CT") == 1
    assert sum(1 for a in city.assets if a["kind"] == "research_instrument") >= 4


def test_the_medical_mall_rents_rooms_to_registered_doctors_the_demo_doctor_among_them(city):
    mall = next(i for i in city.institutions if "Medical Mall" in i["name_en"])
    rooms = [a for a in city.assets if a["owner_institution_id"] == mall["id"]]
    assert sum(a["kind"] == "consulting_room" for a in rooms) == 20
    assert sum(a["kind"] == "operating_theatre" for a in rooms) == 2
    assert all(a["bookers"] in ("practitioners", "both") for a in rooms)
    doctor = next(u for u in city.users if u["username"] == "doctor")["practitioner_id"]
    at_mall = [r for r in city.registrations if r["institution_id"] == mall["id"] and not r["ended"]]
    assert any(r["practitioner_id"] == doctor and r["valid_from"] <= TODAY <= r["valid_to"] for r in at_mall)
    assert len(at_mall) >= 10
    ids = {a["id"] for a in rooms}
    individual = [b for b in city.bookings if b["asset_id"] in ids]
    assert individual and all(b["price_category"] == "individual" and b["requester_practitioner_id"]
                              for b in individual)


def test_no_practitioner_holds_more_sites_than_the_limit_with_the_mall(city, small):
    for region, limit in ((city, 3), (small, 3), (generate("small", 1, today=TODAY, max_sites=2), 2)):
        by_practitioner = collections.defaultdict(list)
        for r in region.registrations:
            by_practitioner[r["practitioner_id"]].append(registry_rules.Window(r["valid_from"], r["valid_to"]))
        for windows in by_practitioner.values():
            for i, window in enumerate(windows):
                assert registry_rules.most_concurrent_sites(windows[:i] + windows[i + 1:], window) <= limit


def test_every_booking_lies_on_the_grid_inside_opening_hours_and_outside_closures(small):
    exams = {(e["asset_id"], e["code"]): e["minutes"] for e in small.exam_types}
    calendars = {a["id"]: _calendar(small, a["id"]) for a in small.assets}
    for booking in small.bookings:
        minutes = exams[booking["asset_id"], booking["exam_code"]]
        slot = rules.check_slot(calendars[booking["asset_id"]], booking["starts_at"], minutes)
        assert slot.end == booking["ends_at"]


def test_no_unit_is_claimed_twice_and_live_bookings_never_overlap(city):
    keys = [(c["asset_id"], c["unit_start"]) for c in city.slot_claims]
    assert len(keys) == len(set(keys))
    grid = {a["id"]: a["grid_minutes"] for a in city.assets}
    claimed = collections.defaultdict(list)
    for claim in city.slot_claims:
        claimed[claim["booking_id"]].append(claim["unit_start"])
    by_asset = collections.defaultdict(list)
    for booking in city.bookings:
        if booking["status"] in (*rules.LIVE_STATUSES, "completed", "no_show"):
            assert claimed[booking["id"]] == rules.units(booking["starts_at"], booking["ends_at"],
                                                         grid[booking["asset_id"]])
            by_asset[booking["asset_id"]].append((booking["starts_at"], booking["ends_at"]))
        else:
            assert booking["id"] not in claimed
    for intervals in by_asset.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))


def test_requesters_are_admitted_by_the_policy_and_pay_the_frozen_category_price(city):
    institutions = {i["id"]: i for i in city.institutions}
    communities = collections.defaultdict(set)
    for m in city.memberships:
        communities[m["institution_id"]].add(m["community_id"])
    prices = {(p["asset_id"], p["exam_code"], p["category"]): p["amount_fen"] for p in city.prices}
    assets = {a["id"]: a for a in city.assets}
    for booking in city.bookings[::7]:
        asset = assets[booking["asset_id"]]
        owner = asset["owner_institution_id"]
        requester = institutions[booking["requester_institution_id"]]
        who = rules.Requester(requester["id"], requester["type"], requester["grade_level"],
                              frozenset(communities[requester["id"]]), booking["requester_practitioner_id"],
                              registered_at_owner=booking["requester_practitioner_id"] is not None)
        policy = rules.SharingPolicy(owner, frozenset(communities[owner]), asset["open_to"],
                                     tuple(asset["allowed_grades"]), tuple(asset["allowed_types"]), asset["bookers"])
        try:
            rules.check_may_book(who, policy)
        except DomainError as error:
            pytest.fail(f"booking {booking['id']} breaks the policy: {error}")
        assert booking["price_category"] == rules.price_category(who, policy)
        assert booking["price_fen"] == prices[asset["id"], booking["exam_code"], booking["price_category"]]


def test_prices_rise_from_own_to_community_to_other_at_realistic_levels(city):
    rows = collections.defaultdict(dict)
    for p in city.prices:
        rows[p["asset_id"], p["exam_code"]][p["category"]] = p["amount_fen"]
    for by_category in rows.values():
        assert by_category["own"] < by_category["community"] < by_category["other"] == by_category["individual"]
    modality = {a["id"]: a["modality"] for a in city.assets}
    plain = {"CT": "CT-CHEST", "MRI": "MRI-HEAD"}
    for name, (low, high) in (("CT", (200, 400)), ("MRI", (400, 800))):
        yuan = [by["other"] / 100 for (asset, code), by in rows.items()
                if modality[asset] == name and code == plain[name]]
        assert yuan and all(low * 0.8 <= y <= high for y in yuan)


def test_bookings_were_made_within_lead_time_horizon_and_before_today(city):
    assets = {a["id"]: a for a in city.assets}
    midnight = local(TODAY, dt.time())
    for booking in city.bookings:
        asset = assets[booking["asset_id"]]
        rules.check_booking_window(booking["created_at"], booking["starts_at"], asset["min_lead_minutes"],
                                   asset["max_horizon_days"])
        assert booking["created_at"] < midnight


def test_tertiary_mri_is_booked_out_for_weeks_and_secondary_equipment_half_idle(city):
    grade = {i["id"]: i["grade_level"] for i in city.institutions}
    kinds = {i["id"]: i["type"] for i in city.institutions}

    def of(kind: str, modality: str) -> set[int]:
        return {a["id"] for a in city.assets if a["modality"] == modality
                and kinds[a["owner_institution_id"]] == kind}

    assert _booked_share(city, of("tertiary_hospital", "MRI"), TODAY, 14) >= 0.88
    assert _booked_share(city, of("tertiary_hospital", "MRI"), TODAY + dt.timedelta(days=14), 7) >= 0.8
    assert 0.3 <= _booked_share(city, of("secondary_hospital", "MRI"), TODAY, 14) <= 0.55
    secondary_ct = _booked_share(city, of("secondary_hospital", "CT"), TODAY, 7)
    assert 0.35 <= secondary_ct <= 0.6
    assert secondary_ct > _booked_share(city, of("secondary_hospital", "MRI"), TODAY, 7) - 0.05
    assert grade  # every owner is a registered institution


def test_past_bookings_are_mostly_completed_with_some_no_shows_and_cancellations(city):
    midnight = local(TODAY, dt.time())
    past = collections.Counter(b["status"] for b in city.bookings if b["starts_at"] < midnight)
    future = collections.Counter(b["status"] for b in city.bookings if b["starts_at"] >= midnight)
    total = sum(past.values())
    assert past["completed"] / total > 0.75 and 0.01 < past["no_show"] / total < 0.08
    assert past["cancelled"] > 0 and not set(past) & set(rules.LIVE_STATUSES)
    assert future["confirmed"] > future["pending"] > 0 and future["held"] > 0
    assert not {"completed", "no_show"} & set(future)


def test_the_ledger_balances_and_settles_every_outside_completed_or_missed_booking(city):
    lines = collections.defaultdict(list)
    for line in city.journal_lines:
        lines[line["entry_id"]].append(line["amount_fen"])
    assert sum(sum(v) for v in lines.values()) == 0
    assert all(len(v) == 2 and sum(v) == 0 for v in lines.values())
    entries = {e["booking_id"]: e for e in city.journal_entries}
    owner = {a["id"]: a["owner_institution_id"] for a in city.assets}
    for booking in city.bookings:
        outside = (booking["requester_practitioner_id"] is not None
                   or booking["requester_institution_id"] != owner[booking["asset_id"]])
        settled = booking["status"] in ("completed", "no_show") and outside and booking["price_fen"] > 0
        assert (booking["id"] in entries) == settled
        if settled:
            assert entries[booking["id"]]["reason"] == booking["status"]
    parties = [a["party"] for a in city.ledger_accounts]
    assert len(parties) == len(set(parties))


def test_room_series_repeat_weekly_and_report_what_they_skipped(city):
    assert city.booking_series
    by_series = collections.defaultdict(list)
    for booking in city.bookings:
        if booking["series_id"]:
            by_series[booking["series_id"]].append(booking["starts_at"])
    for series in city.booking_series:
        starts = sorted(by_series[series["id"]])
        assert len(starts) + len(series["skipped"]) == series["rule"]["weeks"]
        assert all(s.astimezone(TZ).weekday() == series["rule"]["weekday"] for s in starts)
        assert all(skip["rule"] in ("slot-free", "not-closed", "registered-at-owner") for skip in series["skipped"])


def test_blackouts_have_reasons_and_no_booking_falls_in_one(city):
    assert 1 <= len(city.blackouts) <= 4 and all(b["reason"] for b in city.blackouts)
    for blackout in city.blackouts:
        closed = rules.Interval(blackout["starts_at"], blackout["ends_at"])
        assert not any(rules.Interval(b["starts_at"], b["ends_at"]).overlaps(closed) for b in city.bookings
                       if b["asset_id"] == blackout["asset_id"])
