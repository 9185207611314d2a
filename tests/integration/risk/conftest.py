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
from medshare.risk import sources
from medshare.risk.rules import RateUnit
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
    # Repeat-exam overrides come from the recognition capability: a plain function of the window.
    units = []
    for doctor in doctors:
        trials = rng.randint(30, 200)
        rate = rng.betavariate(10, 90)
        units.append(RateUnit(f"practitioner:{doctor}", sum(rng.random() < rate for _ in range(trials)), trials))
    if planted:
        out.override_outlier = doctors[2]
        units[2] = RateUnit(f"practitioner:{doctors[2]}", 45, 120)
    monkeypatch.setattr(sources, "OVERRIDE_SOURCES", [lambda _session, _start, _end: units])
    session.flush()
    return out
