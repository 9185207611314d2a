"""Use cases of bookings: book or hold, confirm, approve, cancel, no-show, complete, series, waitlist.

No slot is ever booked twice: every live booking claims its grid units in slot_claims, whose
primary key the database enforces (see models.SlotClaim); a lost race is a 409, never a double.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medshare.assets import ledger, rules
from medshare.assets import service as assets
from medshare.assets.models import (
    Asset,
    Booking,
    BookingSeries,
    BookingStatus,
    PriceCategory,
    SlotClaim,
    WaitlistEntry,
)
from medshare.assets.schemas import BookingIn, SeriesIn, WaitlistIn
from medshare.audit.service import record_event
from medshare.claims import service as claims
from medshare.db import utcnow
from medshare.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.permissions import Permission, Principal, authorize
from medshare.supervision.standing import ensure_actor_in_good_standing, ensure_in_good_standing

S = BookingStatus


def get_booking(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"booking {booking_id} does not exist")
    return booking


def _audit(session: Session, actor: Principal | None, action: str, booking: Booking, **details) -> None:
    record_event(session, actor, f"booking.{action}", "booking", booking.id,
                 institution_id=booking.requester_institution_id, patient_record_id=booking.patient_record_id,
                 details={"asset_id": booking.asset_id, "owner_institution_id": booking.asset.owner_institution_id,
                          **details})


def _claim(session: Session, booking: Booking, grid_minutes: int) -> None:
    """Claim the booking's units; the primary key refuses any unit already claimed."""
    rows = [{"asset_id": booking.asset_id, "unit_start": unit, "booking_id": booking.id,
             "hold_expires_at": booking.hold_expires_at}
            for unit in rules.units(booking.starts_at, booking.ends_at, grid_minutes)]
    try:
        with session.begin_nested():
            session.execute(sa.insert(SlotClaim), rows)
    except IntegrityError:
        raise Conflict.on("starts_at", "slot-free", "the slot was just taken; choose another") from None


def _release(session: Session, booking: Booking) -> None:
    session.execute(sa.delete(SlotClaim).where(SlotClaim.booking_id == booking.id))


def _count_in_quota_period(session: Session, asset: Asset, requester: rules.Requester, start: dt.datetime) -> int:
    period = dt.timedelta(days=asset.quota_period_days)
    query = sa.select(sa.func.count()).select_from(Booking).where(
        Booking.asset_id == asset.id, Booking.status.in_(rules.LIVE_STATUSES),
        Booking.starts_at > start - period, Booking.starts_at < start + period)
    if requester.practitioner_id is not None:
        query = query.where(Booking.requester_practitioner_id == requester.practitioner_id)
    else:
        query = query.where(Booking.requester_institution_id == requester.institution_id,
                            Booking.requester_practitioner_id.is_(None))
    return session.scalar(query) or 0


def _book(session: Session, actor: Principal, asset: Asset, *, exam_code: str, starts_at: dt.datetime,
          patient_record_id: int | None, hold: bool, as_individual: bool, note: str, now: dt.datetime,
          idempotency_key: str | None = None, series_id: int | None = None) -> Booking:
    """Every rule, then the claim: the one path all bookings take (single, series, waitlist)."""
    if not asset.active:
        raise Conflict.on("asset_id", "active", "the asset is no longer listed")
    minutes = assets.exam_minutes(asset, exam_code)
    slot = rules.check_slot(assets.calendar_of(asset), starts_at, minutes)
    rules.check_booking_window(now, slot.start, asset.min_lead_minutes, asset.max_horizon_days)
    requester = assets.requester_for(session, actor, as_individual=as_individual,
                                     owner_institution_id=asset.owner_institution_id, on=slot.start.date())
    policy = assets.policy_of(session, asset)
    rules.check_may_book(requester, policy)
    if patient_record_id is not None:
        record = identity.load_patient_record(session, patient_record_id)
        authorize(actor, Permission.PATIENT_WRITE, institutions=[record.institution_id])
    assets.release_expired_holds(session, asset.id, now)
    rules.check_quota(_count_in_quota_period(session, asset, requester, slot.start), asset.quota_count,
                      asset.quota_period_days)
    category = PriceCategory(rules.price_category(requester, policy))
    status = S.HELD if hold else S.PENDING if asset.approval_required else S.CONFIRMED
    booking = Booking(
        asset=asset, exam_code=exam_code, starts_at=slot.start, ends_at=slot.end, status=status,
        requester_institution_id=requester.institution_id, requester_practitioner_id=requester.practitioner_id,
        patient_record_id=patient_record_id, created_by_user_id=actor.user_id, price_category=category,
        price_fen=rules.pick_price(assets.prices_of(asset), exam_code, category),
        hold_expires_at=now + dt.timedelta(minutes=asset.hold_minutes) if hold else None,
        idempotency_key=idempotency_key, series_id=series_id, note=note)
    session.add(booking)
    session.flush()
    _claim(session, booking, asset.grid_minutes)
    _audit(session, actor, "create", booking, status=status.value)
    return booking


def book(session: Session, actor: Principal, data: BookingIn, *, idempotency_key: str | None = None,
         now: dt.datetime | None = None) -> tuple[Booking, bool]:
    """Book (or hold) a slot; returns the booking and whether it is new (False: a retried request)."""
    authorize(actor, Permission.BOOKING_CREATE, institutions=[actor.institution_id])
    ensure_actor_in_good_standing(session, actor, "book")
    if idempotency_key:
        earlier = session.scalar(sa.select(Booking).where(Booking.created_by_user_id == actor.user_id,
                                                          Booking.idempotency_key == idempotency_key))
        if earlier is not None:
            if (earlier.asset_id, earlier.exam_code, earlier.starts_at) != (data.asset_id, data.exam_code,
                                                                            data.starts_at):
                raise Conflict.on("Idempotency-Key", "same-request", "the key was used for a different booking")
            return earlier, False
    asset = assets.get_asset(session, data.asset_id)
    # A blacklisted owner's listings are withdrawn while it is blacklisted: nobody books them.
    ensure_in_good_standing(session, institution_id=asset.owner_institution_id, action="list_assets")
    booking = _book(session, actor, asset, exam_code=data.exam_code, starts_at=data.starts_at,
                    patient_record_id=data.patient_record_id, hold=data.hold, as_individual=data.as_individual,
                    note=data.note, now=now or utcnow(), idempotency_key=idempotency_key)
    return booking, True


def check_party(actor: Principal, booking: Booking) -> None:
    """Only the two parties of a booking (and platform-wide readers) see it."""
    try:
        _requester_side(actor, booking)
    except Forbidden:
        _owner_side(actor, booking)


def _requester_side(actor: Principal, booking: Booking) -> None:
    if booking.requester_practitioner_id is not None and booking.requester_practitioner_id == actor.practitioner_id:
        return
    authorize(actor, Permission.BOOKING_CREATE, institutions=[booking.requester_institution_id])


def _owner_side(actor: Principal, booking: Booking) -> None:
    authorize(actor, Permission.BOOKING_MANAGE, institutions=[booking.asset.owner_institution_id])


def _move(session: Session, booking: Booking, new: BookingStatus) -> None:
    rules.check_transition(booking.status.value, new.value)
    booking.status = new


def confirm_hold(session: Session, actor: Principal, booking: Booking, *, now: dt.datetime | None = None) -> Booking:
    """Turn a live hold into a booking (pending when the owner approves each one)."""
    _requester_side(actor, booking)
    now = now or utcnow()
    if booking.status is S.HELD and booking.hold_expires_at is not None and booking.hold_expires_at <= now:
        assets.release_expired_holds(session, booking.asset_id, now)
        session.refresh(booking)
    _move(session, booking, S.PENDING if booking.asset.approval_required else S.CONFIRMED)
    booking.hold_expires_at = None
    session.execute(sa.update(SlotClaim).where(SlotClaim.booking_id == booking.id).values(hold_expires_at=None))
    _audit(session, actor, "confirm", booking, status=booking.status.value)
    return booking


def decide(session: Session, actor: Principal, booking: Booking, *, approve: bool, reason: str = "",
           now: dt.datetime | None = None) -> Booking:
    """The owner approves or declines a pending booking; a declined one frees its slot."""
    _owner_side(actor, booking)
    _move(session, booking, S.CONFIRMED if approve else S.DECLINED)
    if not approve:
        _release(session, booking)
        booking.note = (booking.note + f" [declined: {reason}]").strip()[:500]
    _audit(session, actor, "approve" if approve else "decline", booking)
    if not approve:
        promote_waitlist(session, booking.asset, now=now or utcnow())
    return booking


def cancel(session: Session, actor: Principal, booking: Booking, *, reason: str = "",
           now: dt.datetime | None = None) -> Booking:
    """Cancel (requester or owner); a late cancellation by the requester costs the owner's fee."""
    now = now or utcnow()
    by_owner = False
    try:
        _requester_side(actor, booking)
    except Forbidden:
        _owner_side(actor, booking)
        by_owner = True
    was_hold = booking.status is S.HELD
    _move(session, booking, S.CANCELLED)
    _release(session, booking)
    fee = 0
    if not by_owner and not was_hold:
        fee = rules.cancellation_fee(booking.price_fen, now, booking.starts_at, booking.asset.free_cancel_hours,
                                     booking.asset.late_cancel_fee_percent)
    if fee:
        ledger.settle(session, booking, fee, reason="late_cancellation", now=now)
    _audit(session, actor, "cancel", booking, by_owner=by_owner, fee_fen=fee, reason=reason[:100])
    promote_waitlist(session, booking.asset, now=now)
    return booking


def record_outcome(session: Session, actor: Principal, booking: Booking, *, completed: bool,
                   now: dt.datetime | None = None) -> Booking:
    """The owner records that the booking was used (settled at price) or a no-show (settled at the fee)."""
    _owner_side(actor, booking)
    now = now or utcnow()
    if booking.starts_at > now:
        raise Conflict.on("status", "after-start", "an outcome is recorded once the slot has started")
    _move(session, booking, S.COMPLETED if completed else S.NO_SHOW)
    if completed:
        ledger.settle(session, booking, booking.price_fen, reason="completed", now=now)
        claims.claim_for_booking(session, booking, actor=actor, now=now)  # to the patient's insurer, if any
    else:
        fee = booking.price_fen * booking.asset.no_show_fee_percent // 100
        if fee:
            ledger.settle(session, booking, fee, reason="no_show", now=now)
    _audit(session, actor, "complete" if completed else "no_show", booking)
    return booking


def book_series(session: Session, actor: Principal, data: SeriesIn, *,
                now: dt.datetime | None = None) -> tuple[BookingSeries, list[Booking]]:
    """Book the same weekly slot several times; occurrences that break a rule or clash are skipped and reported."""
    authorize(actor, Permission.BOOKING_CREATE, institutions=[actor.institution_id])
    ensure_actor_in_good_standing(session, actor, "book")
    now = now or utcnow()
    asset = assets.get_asset(session, data.asset_id)
    ensure_in_good_standing(session, institution_id=asset.owner_institution_id, action="list_assets")
    # Refused whole when the requester may not book the asset at all; per occurrence only for slot rules.
    rules.check_may_book(assets.requester_for(session, actor, as_individual=data.as_individual,
                                              owner_institution_id=asset.owner_institution_id,
                                              on=data.first_starts_at.date()), assets.policy_of(session, asset))
    tz = assets.region_tz()
    first_local = data.first_starts_at.astimezone(tz)
    series = BookingSeries(asset_id=asset.id, created_at=now,
                           rule={"weekday": first_local.weekday(), "time": first_local.time().isoformat(),
                                 "weeks": data.weeks, "exam_code": data.exam_code})
    session.add(series)
    session.flush()
    booked, skipped = [], []
    for week in range(data.weeks):
        # Added in local time, so the series keeps its wall-clock time.
        start = (first_local + dt.timedelta(weeks=week)).astimezone(dt.UTC)
        try:
            with session.begin_nested():
                booked.append(_book(session, actor, asset, exam_code=data.exam_code, starts_at=start,
                                    patient_record_id=None, hold=False, as_individual=data.as_individual,
                                    note=data.note, now=now, series_id=series.id))
        except DomainError as error:
            problem = error.problems[0] if error.problems else None
            skipped.append({"starts_at": start.isoformat(), "rule": problem.rule if problem else error.code,
                            "message": problem.message if problem else error.message})
    series.skipped = skipped
    session.flush()
    record_event(session, actor, "booking.series", "booking_series", series.id, institution_id=actor.institution_id,
                 details={"booked": len(booked), "skipped": len(skipped)})
    return series, booked


def join_waitlist(session: Session, actor: Principal, data: WaitlistIn, *,
                  now: dt.datetime | None = None) -> WaitlistEntry:
    """Wait for a slot of an exam within a window; the first eligible entry is booked when one frees."""
    authorize(actor, Permission.BOOKING_CREATE, institutions=[actor.institution_id])
    asset = assets.get_asset(session, data.asset_id)
    assets.exam_minutes(asset, data.exam_code)
    if data.latest <= data.earliest:
        raise InvalidInput.on("latest", "after-earliest", "must be after earliest")
    requester = assets.requester_for(session, actor, as_individual=data.as_individual,
                                     owner_institution_id=asset.owner_institution_id, on=data.earliest.date())
    rules.check_may_book(requester, assets.policy_of(session, asset))
    entry = WaitlistEntry(asset_id=asset.id, exam_code=data.exam_code, earliest=data.earliest, latest=data.latest,
                          requester_institution_id=requester.institution_id,
                          requester_practitioner_id=requester.practitioner_id,
                          patient_record_id=data.patient_record_id, created_by_user_id=actor.user_id,
                          created_at=now or utcnow())
    session.add(entry)
    session.flush()
    record_event(session, actor, "waitlist.join", "waitlist_entry", entry.id, institution_id=actor.institution_id)
    return entry


def promote_waitlist(session: Session, asset: Asset, *, now: dt.datetime) -> Booking | None:
    """Book the earliest-waiting entry that a free slot fits, on its requester's behalf."""
    from medshare.accounts import service as accounts

    waiting = session.scalars(sa.select(WaitlistEntry).where(
        WaitlistEntry.asset_id == asset.id, WaitlistEntry.status == "waiting", WaitlistEntry.latest > now)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id))
    for entry in waiting:
        minutes = assets.exam_minutes(asset, entry.exam_code)
        window = rules.Interval(max(entry.earliest, now + dt.timedelta(minutes=asset.min_lead_minutes)), entry.latest)
        if window.end <= window.start:
            continue
        slot = next(rules.free_slots(assets.calendar_of(asset), minutes, window,
                                     assets.taken_units(session, asset.id, window, now)), None)
        if slot is None:
            continue
        requester = accounts.principal_of(accounts.get_user(session, entry.created_by_user_id))
        try:
            with session.begin_nested():
                booking = _book(session, requester, asset, exam_code=entry.exam_code, starts_at=slot.start,
                                patient_record_id=entry.patient_record_id, hold=False,
                                as_individual=entry.requester_practitioner_id is not None,
                                note="from the waitlist", now=now)
        except DomainError:
            continue  # no longer eligible (quota, policy): the next one in line gets the slot
        entry.status, entry.booking_id = "promoted", booking.id
        session.flush()
        record_event(session, None, "waitlist.promote", "waitlist_entry", entry.id,
                     institution_id=entry.requester_institution_id, details={"booking_id": booking.id})
        return booking
    return None


def list_waitlist(session: Session, actor: Principal, *, status: str | None = "waiting") -> list[WaitlistEntry]:
    """The waitlist entries the actor's institution has made."""
    authorize(actor, Permission.BOOKING_CREATE, institutions=[actor.institution_id])
    query = sa.select(WaitlistEntry).where(WaitlistEntry.requester_institution_id == actor.institution_id)
    if status:
        query = query.where(WaitlistEntry.status == status)
    return list(session.scalars(query.order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id)))


def list_bookings(session: Session, actor: Principal, *, side: str = "requester", status: str | None = None,
                  asset_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Booking], int]:
    """The actor's institution's bookings, as requester (made) or owner (received)."""
    if side == "owner":
        authorize(actor, Permission.BOOKING_MANAGE, institutions=[actor.institution_id])
        query = sa.select(Booking).join(Asset).where(Asset.owner_institution_id == actor.institution_id)
    else:
        authorize(actor, Permission.BOOKING_CREATE, institutions=[actor.institution_id])
        query = sa.select(Booking).where(Booking.requester_institution_id == actor.institution_id)
    if status:
        query = query.where(Booking.status == status)
    if asset_id:
        query = query.where(Booking.asset_id == asset_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Booking.starts_at.desc(), Booking.id).limit(limit).offset(offset))
    return list(rows), total
