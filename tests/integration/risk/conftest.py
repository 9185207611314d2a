"""A generated region of bookings in a window of its own (2033), clean or with planted cases."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets.models import Asset, AssetKind, Booking, BookingStatus, PriceCategory
from medshare.permissions import Principal
from medshare.recognition.models import (
    Decision,
    ItemCategory,
    RecognitionCheck,
    RecognitionItem,
    RepeatReason,
    ResultKind,
)
from tests import factories as f

NOW = dt.datetime(2033, 6, 1, 0, tzinfo=dt.UTC)
DAY0 = NOW - dt.timedelta(days=80)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Accounts made here never sign in with a password: a light argon2 keeps each test's setup quick."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@dataclass
class Generated:
    regulator: Principal
    double_booked: int | None = None  # a practitioner in two sites' rooms at once
    overworked: int | None = None  # a practitioner with 18 hours of sessions in one day
    no_show_requester: int | None = None  # an institution whose patients miss a third of their exams
    override_outlier: int | None = None  # a practitioner repeating exams against recognised results
    sites: list[int] = field(default_factory=list)


def _booking(asset: Asset, user_id: int, start: dt.datetime, hours: float, status: BookingStatus, *,
             institution_id: int, practitioner_id: int | None = None) -> dict:
    return {"asset_id": asset.id, "exam_code": "ROOM", "starts_at": start, "ends_at": start + dt.timedelta(hours=hours),
            "status": status, "requester_institution_id": institution_id, "requester_practitioner_id": practitioner_id,
            "created_by_user_id": user_id, "price_category": PriceCategory.OTHER, "price_fen": 10000}


def generate(session, *, seed: int, planted: bool, monkeypatch) -> Generated:
    """Sites with rooms and scanners, 12 requesting institutions, 15 doctors renting rooms; ordinary behaviour
    drawn at random, and with planted=True one case of each rule on top."""
    rng = random.Random(seed)
    admin = f.admin_principal(session)
    sites = [f.make_institution(session, admin).id for _ in range(3)]
    regulator = accounts.principal_of(f.make_user(session, Role.REGULATOR, institution_id=sites[0]))
    out = Generated(regulator)
    out.sites = sites
    rooms = {s: Asset(owner_institution_id=s, name=f.unique("诊室"), kind=AssetKind.CONSULTING_ROOM, latitude=26.2,
                      longitude=117.6) for s in sites}
    scanner = Asset(owner_institution_id=sites[0], name=f.unique("CT"), kind=AssetKind.EQUIPMENT, latitude=26.2,
                    longitude=117.6)
    extra_rooms = {s: Asset(owner_institution_id=s, name=f.unique("诊室"), kind=AssetKind.CONSULTING_ROOM,
                            latitude=26.2, longitude=117.6) for s in sites}
    session.add_all([*rooms.values(), *extra_rooms.values(), scanner])
    session.flush()
    rows = []
    # Requesting institutions: patients mostly come, some 3-12% miss their exams.
    requesters = [f.make_institution(session, admin).id for _ in range(12)]
    for index, institution in enumerate(requesters):
        rate = rng.betavariate(8, 92)
        count = rng.randint(40, 120)
        if planted and index == 0:
            rate, count, out.no_show_requester = 0.35, 100, institution
        for k in range(count):
            start = DAY0 + dt.timedelta(days=k % 70, hours=1 + (k // 70) + index * 0.5)
            status = BookingStatus.NO_SHOW if rng.random() < rate else BookingStatus.COMPLETED
            rows.append(_booking(scanner, regulator.user_id, start, 0.25, status, institution_id=institution))
    # Doctors renting rooms at up to two sites: a morning and an afternoon session, never at once.
    doctors = [f.make_practitioner(session, admin, sites[0]).id for _ in range(15)]
    for doctor in doctors:
        home, away = rng.sample(sites, 2)
        for day in range(0, 70, rng.randint(1, 3)):
            base = DAY0 + dt.timedelta(days=day)
            rows.append(_booking(rooms[home], regulator.user_id, base + dt.timedelta(hours=1), 3,
                                 BookingStatus.COMPLETED, institution_id=sites[0], practitioner_id=doctor))
            if rng.random() < 0.5:
                rows.append(_booking(rooms[away], regulator.user_id, base + dt.timedelta(hours=5.5), 3,
                                     BookingStatus.COMPLETED, institution_id=sites[0], practitioner_id=doctor))
    if planted:
        out.double_booked, out.overworked = doctors[0], doctors[1]
        # A future session at another site that clashes with none of the doctor's own... except this one.
        clash = NOW + dt.timedelta(days=3, hours=1)
        rows.append(_booking(rooms[sites[0]], regulator.user_id, clash, 3, BookingStatus.CONFIRMED,
                             institution_id=sites[0], practitioner_id=doctors[0]))
        rows.append(_booking(rooms[sites[1]], regulator.user_id, clash + dt.timedelta(hours=2), 2,
                             BookingStatus.CONFIRMED, institution_id=sites[0], practitioner_id=doctors[0]))
        # 18 hours back to back in two rooms of one site: no overlap, but no one works that long.
        long_day = DAY0 + dt.timedelta(days=75)
        for block in range(6):
            room = rooms[sites[2]] if block % 2 == 0 else extra_rooms[sites[2]]
            rows.append(_booking(room, regulator.user_id, long_day + dt.timedelta(hours=3 * block), 3,
                                 BookingStatus.COMPLETED, institution_id=sites[0], practitioner_id=doctors[1]))
    session.execute(sa.insert(Booking), rows)
    # Repeat-exam decisions of the recognition capability: each doctor orders labs where a recognisable prior
    # result is offered, and repeats some 10% of them (spread between doctors); the planted one 45 of 120.
    counts = []
    for doctor in doctors:
        trials = rng.randint(30, 200)
        rate = rng.betavariate(10, 90)
        counts.append((doctor, sum(rng.random() < rate for _ in range(trials)), trials))
    if planted:
        out.override_outlier = doctors[2]
        counts[2] = (doctors[2], 45, 120)
    add_recognition_checks(session, admin, regulator.user_id, sites[0], counts, rng)
    session.flush()
    return out


def add_recognition_checks(session, admin, user_id: int, institution_id: int, counts, rng) -> None:
    """Decided look-ups of a lab item with a recognisable prior result: (doctor, repeated, offered) each; the
    rest of each doctor's offers accepted; a few look-ups with nothing recognisable, which do not count."""
    item = RecognitionItem(code=f.unique("LAB-K"), code_system="http://loinc.org", name="Potassium",
                           category=ItemCategory.LAB, result_kind=ResultKind.OBSERVATION, match_codes=[],
                           validity_days=7, fee_fen=1000)
    session.add(item)
    session.flush()
    patient = f.make_patient(session, admin, institution_id).id
    rows = []
    for doctor, repeated, offered in counts:
        for k in range(offered + 3):
            at = DAY0 + dt.timedelta(days=rng.randint(0, 75), hours=rng.randint(0, 10))
            decision = Decision.NEW if k >= offered else (Decision.REPEATED if k < repeated else Decision.ACCEPTED)
            rows.append({"item_id": item.id, "patient_record_id": patient, "institution_id": institution_id,
                         "practitioner_id": doctor, "user_id": user_id, "checked_at": at, "month": at.strftime("%Y-%m"),
                         "candidates": [], "recognisable_count": 0 if decision is Decision.NEW else 1,
                         "decision": decision, "decided_at": at,
                         "repeat_reason": RepeatReason.CONDITION_CHANGED if decision is Decision.REPEATED else None})
    session.execute(sa.insert(RecognitionCheck), rows)
