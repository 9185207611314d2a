"""Demo extension: insurers' accounts, patients' coverage, claims for completed exams in every state, and a few
planted risks (a doctor in two sites' rooms at once, a requester whose patients often miss their exams, an
18-hour day) found by a first risk scan.

Calibration: basic medical insurance covers about 95% of residents (NHSA statistical bulletin 2023), most of
them through the city's fund, the rest through commercial health insurers; insurers pay roughly 70% of claims
in full, 20% in part and deny about 10%, and pay approved claims within a few weeks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medshare.accounts.models import Role, User
from medshare.assets import ledger
from medshare.assets import rules as asset_rules
from medshare.assets import service as assets
from medshare.assets.models import (
    Asset,
    AssetKind,
    Booking,
    BookingStatus,
    ExamType,
    JournalEntry,
    JournalLine,
    PriceCategory,
    SlotClaim,
)
from medshare.claims.models import Claim, ClaimStatus, Coverage
from medshare.claims.service import SETTLEMENT_REASON
from medshare.identity.models import PatientRecord
from medshare.registry.models import Institution, InstitutionType, Practitioner
from medshare.risk import service as risk

COVERED_SHARE = 0.95
CITY_FUND_SHARE = 0.8
OUTCOMES = (("approve", 0.7), ("partial", 0.2), ("deny", 0.1))
PARTIAL_REASONS = ("over-limit", "not-covered")
DENY_REASONS = ("not-covered", "not-necessary", "policy-inactive", "duplicate")
NO_SHOW_PLANT_SHARE = 0.35


def _pick(rng: random.Random, weighted) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def _insurer_accounts(session: Session, insurers: list[int], password_hash: str) -> int:
    """An account for every insurer that has none (the generator opens one for the first)."""
    have = set(session.scalars(sa.select(User.institution_id).where(User.role == Role.INSURER)))
    added = 0
    for n, insurer in enumerate(insurers, start=1):
        if insurer in have:
            continue
        session.add(User(username=f"insurer-{n}", display_name="", password_hash=password_hash, role=Role.INSURER,
                         institution_id=insurer, locale="zh_Hans"))
        added += 1
    session.flush()
    return added


def _patients_on_exams(session: Session, rng: random.Random, patient_record: int | None) -> int:
    """Exams an institution had done get the patient they were for (a record of that institution)."""
    records: dict[int, list[int]] = defaultdict(list)
    for record_id, institution_id in session.execute(sa.select(PatientRecord.id, PatientRecord.institution_id)
                                                     .where(PatientRecord.active.is_(True))):
        records[institution_id].append(record_id)
    home = session.get(PatientRecord, patient_record) if patient_record else None
    rows = session.execute(
        sa.select(Booking.id, Booking.requester_institution_id, Booking.status).join(Asset)
        .where(Asset.kind == AssetKind.EQUIPMENT, Booking.requester_practitioner_id.is_(None),
               Booking.status.in_((BookingStatus.COMPLETED, BookingStatus.NO_SHOW)),
               Booking.patient_record_id.is_(None)).order_by(Booking.id)).all()
    updates, given_home = [], 0
    for booking_id, institution_id, status in rows:
        if not records.get(institution_id):
            continue
        record = rng.choice(records[institution_id])
        if home is not None and institution_id == home.institution_id and status == BookingStatus.COMPLETED \
                and given_home < 4:
            record, given_home = home.id, given_home + 1  # the demo patient sees claims of their own
        updates.append({"id": booking_id, "patient_record_id": record})
    if updates:
        # Core executemany: the ORM's bulk update costs a statement per row here.
        table = Booking.__table__
        session.connection().execute(
            table.update().where(table.c.id == sa.bindparam("b_id")).values(patient_record_id=sa.bindparam("record")),
            [{"b_id": u["id"], "record": u["patient_record_id"]} for u in updates])
    return len(updates)


def _coverage(session: Session, rng: random.Random, insurers: list[int], codes: dict[int, str], today: dt.date,
              patient_record: int | None) -> dict[int, tuple[int, int]]:
    """Coverage for most patients with exams: record -> (coverage id, insurer)."""
    records = sorted(set(session.scalars(sa.select(Booking.patient_record_id).where(
        Booking.patient_record_id.is_not(None)))) | ({patient_record} if patient_record else set()))
    rows = []
    for record in records:
        if record != patient_record and rng.random() > COVERED_SHARE:
            continue
        insurer = insurers[0] if len(insurers) == 1 or rng.random() < CITY_FUND_SHARE else rng.choice(insurers[1:])
        rows.append({"patient_record_id": record, "insurer_institution_id": insurer,
                     "policy_number": f"{codes[insurer]}-{record:09d}",
                     "valid_from": today - dt.timedelta(days=rng.randint(200, 2000)), "valid_to": None, "active": True})
    if rows:
        session.connection().execute(Coverage.__table__.insert(), rows)
    return {record: (coverage_id, insurer) for coverage_id, record, insurer in session.execute(
        sa.select(Coverage.id, Coverage.patient_record_id, Coverage.insurer_institution_id))}


def _claims(session: Session, rng: random.Random, covered: dict[int, tuple[int, int]], now: dt.datetime,
            tz) -> dict[str, int]:
    """A claim for every completed exam of a covered patient, decided and paid the older it is."""
    names = {(a, c): n for a, c, n in session.execute(sa.select(ExamType.asset_id, ExamType.code, ExamType.name))}
    bookings = session.execute(
        sa.select(Booking.id, Booking.asset_id, Booking.exam_code, Booking.ends_at, Booking.patient_record_id,
                  Booking.requester_institution_id, Asset.owner_institution_id, Booking.price_fen).join(Asset)
        .where(Booking.status == BookingStatus.COMPLETED, Booking.patient_record_id.is_not(None),
               Booking.price_fen > 0).order_by(Booking.id)).all()
    regulator_or_insurer = dict(session.execute(sa.select(User.institution_id, User.id).where(
        User.role == Role.INSURER)).all())
    claims, payments = [], []
    for booking_id, asset_id, code, ends_at, record, provider, owner, price in bookings:
        if record not in covered:
            continue
        coverage_id, insurer = covered[record]
        age = (now - ends_at).days
        claim = {"service_kind": "booking", "service_ref": f"booking:{booking_id}", "booking_id": booking_id,
                 "patient_record_id": record, "coverage_id": coverage_id, "insurer_institution_id": insurer,
                 "provider_institution_id": provider, "facility_institution_id": owner, "practitioner_id": None,
                 "item_code": code, "item_display": names.get((asset_id, code), "")[:200],
                 "service_date": ends_at.astimezone(tz).date(), "total_fen": price, "approved_fen": None,
                 "status": ClaimStatus.SUBMITTED, "reasons": [], "submitted_at": ends_at,
                 "adjudicated_at": None, "adjudicated_by_user_id": None, "settled_at": None, "settlement_ref": ""}
        if age >= 3 and rng.random() < min(0.95, age / 10):
            outcome = _pick(rng, OUTCOMES)
            decided = ends_at + dt.timedelta(days=rng.randint(1, min(age, 7)), hours=rng.randint(0, 8))
            claim |= {"adjudicated_at": min(decided, now), "adjudicated_by_user_id": regulator_or_insurer.get(insurer)}
            if outcome == "approve":
                claim |= {"status": ClaimStatus.APPROVED, "approved_fen": price}
            elif outcome == "partial":
                claim |= {"status": ClaimStatus.PARTIAL, "approved_fen": price * rng.randint(50, 90) // 100,
                          "reasons": [{"code": rng.choice(PARTIAL_REASONS), "note": ""}]}
            else:
                claim |= {"status": ClaimStatus.DENIED, "approved_fen": 0,
                          "reasons": [{"code": rng.choice(DENY_REASONS), "note": ""}]}
            if outcome != "deny" and age >= 10 and rng.random() < 0.85:
                paid = min(claim["adjudicated_at"] + dt.timedelta(days=rng.randint(2, 6)), now)
                claim |= {"status": ClaimStatus.SETTLED, "settled_at": paid,
                          "settlement_ref": f"PAY{booking_id:08d}"}
                payments.append((booking_id, insurer, provider, claim["approved_fen"], paid))
        claims.append(claim)
    if claims:
        session.connection().execute(Claim.__table__.insert(), claims)
    accounts: dict[int, int] = {}
    for _, insurer, provider, _, _ in payments:
        for party in (insurer, provider):
            if party not in accounts:
                accounts[party] = ledger.account_for(session, institution_id=party)
    entries = [{"booking_id": b, "posted_at": paid, "reason": SETTLEMENT_REASON} for b, _, _, _, paid in payments]
    if entries:
        ids = dict(session.execute(sa.insert(JournalEntry).returning(JournalEntry.booking_id, JournalEntry.id),
                                   entries).all())
        lines = [{"entry_id": ids[b], "account_id": account, "amount_fen": amount}
                 for b, insurer, provider, paid_fen, _ in payments
                 for account, amount in asset_rules.settlement_lines(paid_fen, accounts[insurer], accounts[provider])]
        if lines:
            session.connection().execute(JournalLine.__table__.insert(), lines)
    by_status: dict[str, int] = defaultdict(int)
    for claim in claims:
        by_status[claim["status"].value] += 1
    return {"claims": len(claims), "claims settled": by_status["settled"],
            "claims awaiting the insurer": by_status["submitted"]}


def _claim_units(session: Session, booking: Booking, grid: int) -> bool:
    """Claim the booking's units; False (and nothing kept) when any is taken."""
    rows = [{"asset_id": booking.asset_id, "unit_start": unit, "booking_id": booking.id, "hold_expires_at": None}
            for unit in asset_rules.units(booking.starts_at, booking.ends_at, grid)]
    try:
        with session.begin_nested():
            session.execute(sa.insert(SlotClaim), rows)
    except IntegrityError:
        return False
    return True


def _place(session: Session, asset: Asset, practitioner: Practitioner, start: dt.datetime, hours: float,
           status: BookingStatus, creator: int) -> Booking | None:
    """A booking of asset by the practitioner as an individual, if its time is free."""
    try:
        with session.begin_nested():
            booking = _new_booking(asset, practitioner, start, hours, status, creator)
            session.add(booking)
            session.flush()
            if not _claim_units(session, booking, asset.grid_minutes):
                raise _Taken
    except _Taken:
        return None
    return booking


class _Taken(Exception):
    """The time is not free: the savepoint is rolled back."""


def _new_booking(asset: Asset, practitioner: Practitioner, start: dt.datetime, hours: float, status: BookingStatus,
                 creator: int) -> Booking:
    code = asset.exam_types[0].code if asset.exam_types else "SESSION"
    return Booking(asset_id=asset.id, exam_code=code, starts_at=start, ends_at=start + dt.timedelta(hours=hours),
                   status=status, requester_institution_id=practitioner.primary_institution_id,
                   requester_practitioner_id=practitioner.id, created_by_user_id=creator,
                   price_category=PriceCategory.INDIVIDUAL, price_fen=0, note="")


def _plant_overlap(session: Session, rng: random.Random, now: dt.datetime, creator: int) -> int:
    """A doctor renting a mall room who also booked a hospital's research instrument for the same hours."""
    room_bookings = session.execute(
        sa.select(Booking).join(Asset).where(Asset.kind == AssetKind.CONSULTING_ROOM,
                                             Booking.requester_practitioner_id.is_not(None),
                                             Booking.status == BookingStatus.CONFIRMED, Booking.starts_at > now)
        .order_by(Booking.starts_at, Booking.id).limit(40)).scalars().all()
    instruments = session.scalars(sa.select(Asset).where(Asset.kind == AssetKind.RESEARCH_INSTRUMENT)
                                  .order_by(Asset.id)).all()
    for booking in room_bookings:
        owner = session.get(Asset, booking.asset_id).owner_institution_id
        practitioner = session.get(Practitioner, booking.requester_practitioner_id)
        for instrument in [i for i in instruments if i.owner_institution_id != owner]:
            # Inside the room booking, so the clash is with it alone.
            start = booking.starts_at + dt.timedelta(minutes=30)
            hours = max(0.5, (booking.ends_at - booking.starts_at).total_seconds() / 3600 - 1)
            if _place(session, instrument, practitioner, start, hours, BookingStatus.CONFIRMED, creator):
                return 1
    return 0


def _plant_long_day(session: Session, rng: random.Random, now: dt.datetime, creator: int) -> int:
    """A doctor with six back-to-back three-hour sessions in the mall's rooms on one day last week."""
    rooms = session.scalars(sa.select(Asset).where(Asset.kind == AssetKind.CONSULTING_ROOM).order_by(Asset.id)).all()
    doctor_id = session.scalar(sa.select(Booking.requester_practitioner_id).join(Asset).where(
        Asset.kind == AssetKind.CONSULTING_ROOM, Booking.requester_practitioner_id.is_not(None))
        .order_by(Booking.id.desc()).limit(1))
    if not rooms or doctor_id is None:
        return 0
    practitioner = session.get(Practitioner, doctor_id)
    day = now - dt.timedelta(days=6) + dt.timedelta(hours=5)  # 05:00 local, six days ago
    placed = 0
    for block in range(6):
        placed += _fill(session, rng, list(rooms), practitioner, day + dt.timedelta(hours=3 * block), 3.0, creator)
    return int(placed == 6 * 3.0)


def _fill(session: Session, rng: random.Random, rooms: list[Asset], practitioner: Practitioner, start: dt.datetime,
          hours: float, creator: int) -> float:
    """Hours of sessions placed from start: in one free room, or else in halves in whichever rooms are free."""
    for room in rng.sample(rooms, len(rooms)):
        if _place(session, room, practitioner, start, hours, BookingStatus.COMPLETED, creator):
            return hours
    if hours <= 0.75:
        return 0.0
    half = hours / 2
    return (_fill(session, rng, rooms, practitioner, start, half, creator)
            + _fill(session, rng, rooms, practitioner, start + dt.timedelta(hours=half), half, creator))


def _plant_no_shows(session: Session, rng: random.Random, now: dt.datetime) -> int:
    """One requesting hospital's patients miss about a third of their exams (their fee is the full price)."""
    since = now - dt.timedelta(days=90)
    counts = session.execute(
        sa.select(Booking.requester_institution_id, sa.func.count()).join(Asset)
        .where(Booking.status == BookingStatus.COMPLETED, Booking.requester_practitioner_id.is_(None),
               Asset.no_show_fee_percent == 100, Booking.starts_at >= since, Booking.starts_at < now,
               Asset.owner_institution_id != Booking.requester_institution_id)
        .group_by(Booking.requester_institution_id).order_by(sa.func.count().desc(), Booking.requester_institution_id)
        .limit(5)).all()
    if not counts:
        return 0
    institution = counts[min(2, len(counts) - 1)][0]
    ids = session.scalars(sa.select(Booking.id).join(Asset).where(
        Booking.requester_institution_id == institution, Booking.status == BookingStatus.COMPLETED,
        Booking.requester_practitioner_id.is_(None), Asset.no_show_fee_percent == 100, Booking.starts_at >= since,
        Booking.starts_at < now).order_by(Booking.id)).all()
    flipped = [i for i in ids if rng.random() < NO_SHOW_PLANT_SHARE]
    if flipped:
        # The fee of a no-show is the full price here, so the settlement stands; only its reason changes.
        session.execute(sa.update(Booking).where(Booking.id.in_(flipped)).values(status=BookingStatus.NO_SHOW))
        session.execute(sa.update(JournalEntry).where(JournalEntry.booking_id.in_(flipped),
                                                      JournalEntry.reason == "completed").values(reason="no_show"))
    return 1


def extend(session: Session, context) -> dict[str, int]:
    """Insurers' accounts, coverage, claims in every state, planted risks and a first risk scan."""
    region = context.region
    rng = random.Random(f"{region.seed}:claims")
    tz = assets.region_tz()
    now = dt.datetime.combine(region.today, dt.time(), tz).astimezone(dt.UTC)
    insurers = list(session.scalars(sa.select(Institution.id).where(Institution.type == InstitutionType.INSURER)
                                    .order_by(Institution.id)))
    # Planted risks add bookings and their units, settlement adds journal lines: report them with the region's.
    shared_tables = {"bookings": Booking, "slot_claims": SlotClaim, "journal_lines": JournalLine}
    before = _row_counts(session, shared_tables)
    counts: dict[str, int] = {}
    creator = session.scalar(sa.select(User.id).where(User.role == Role.PLATFORM_ADMIN).order_by(User.id).limit(1))
    if creator is not None:
        counts["planted risks"] = (_plant_no_shows(session, rng, now) + _plant_overlap(session, rng, now, creator)
                                   + _plant_long_day(session, rng, now, creator))
    if insurers:
        codes = dict(session.execute(sa.select(Institution.id, Institution.code)
                                     .where(Institution.id.in_(insurers))).all())
        patient_record = session.scalar(sa.select(User.patient_record_id).where(User.username == "patient"))
        counts["insurer accounts"] = _insurer_accounts(session, insurers, context.password_hash)
        counts["exams with their patient"] = _patients_on_exams(session, rng, patient_record)
        covered = _coverage(session, rng, insurers, codes, region.today, patient_record)
        counts["coverages"] = len(covered)
        counts |= _claims(session, rng, covered, now, tz)
    run = risk.scan(session, None, now=now)
    counts["risk alerts"] = sum(c["new"] for c in run.counts.values())
    after = _row_counts(session, shared_tables)
    return counts | {name: after[name] - before[name] for name in shared_tables if after[name] > before[name]}


def _row_counts(session: Session, tables: dict) -> dict[str, int]:
    return {name: session.scalar(sa.select(sa.func.count()).select_from(model)) for name, model in tables.items()}
