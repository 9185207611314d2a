"""Use cases of shared assets: listing, calendars and availability-first search."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.assets import rules
from medshare.assets.models import Asset, Blackout, ExamType, OpeningHours, Price, SlotClaim
from medshare.assets.schemas import AssetIn, AssetPatch, BlackoutIn
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Forbidden, InvalidInput, NotFound
from medshare.geo import bounding_box, distance_km
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.registry.models import CommunityMembership, Institution, Registration
from medshare.settings import get_settings
from medshare.supervision.standing import blacklisted_among, ensure_in_good_standing


def region_tz() -> ZoneInfo:
    """The region's local time zone (opening hours are local)."""
    return ZoneInfo(get_settings().timezone)


def get_asset(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id} does not exist")
    return asset


def list_assets(session: Session, *, owner_institution_id: int | None = None, kind: str | None = None,
                modality: str | None = None) -> list[Asset]:
    """Listed assets, with their calendars and prices."""
    query = sa.select(Asset).options(selectinload(Asset.hours), selectinload(Asset.exam_types),
                                     selectinload(Asset.blackouts), selectinload(Asset.prices))
    if owner_institution_id is not None:
        query = query.where(Asset.owner_institution_id == owner_institution_id)
    if kind:
        query = query.where(Asset.kind == kind)
    if modality:
        query = query.where(Asset.modality == modality)
    return list(session.scalars(query.order_by(Asset.owner_institution_id, Asset.name, Asset.id)))


def _check_exam_codes(asset: Asset) -> None:
    codes = {e.code for e in asset.exam_types}
    for price in asset.prices:
        if price.exam_code and price.exam_code not in codes:
            raise InvalidInput.on("prices", "known-exam", f"exam {price.exam_code} is not offered on this asset")
    for exam in asset.exam_types:
        if exam.minutes % asset.grid_minutes:
            raise InvalidInput.on("exam_types", "fits-grid",
                                  f"{exam.code} lasts {exam.minutes} min, not a multiple of {asset.grid_minutes}")


def _set_children(asset: Asset, hours=None, exam_types=None, prices=None) -> None:
    if hours is not None:
        asset.hours = [OpeningHours(**h) for h in hours]
    if exam_types is not None:
        asset.exam_types = [ExamType(**e) for e in exam_types]
    if prices is not None:
        asset.prices = [Price(**p) for p in prices]


def create_asset(session: Session, actor: Principal, data: AssetIn) -> Asset:
    """List an asset for sharing."""
    authorize(actor, Permission.ASSET_WRITE, institutions=[data.owner_institution_id])
    ensure_in_good_standing(session, institution_id=data.owner_institution_id, action="list_assets")
    owner = registry.get_institution(session, data.owner_institution_id)
    values = data.model_dump(exclude={"hours", "exam_types", "prices"})
    asset = Asset(**values)
    _set_children(asset, data.model_dump()["hours"], data.model_dump()["exam_types"], data.model_dump()["prices"])
    if 1440 % asset.grid_minutes:
        raise InvalidInput.on("grid_minutes", "divides-day", "must divide a day (e.g. 5, 10, 15, 30, 60)")
    _check_exam_codes(asset)
    session.add(asset)
    session.flush()
    record_event(session, actor, "asset.create", "asset", asset.id, institution_id=owner.id)
    return asset


def update_asset(session: Session, actor: Principal, asset: Asset, patch: AssetPatch) -> Asset:
    """Change an asset's policy or calendar; bookings already made keep their terms."""
    authorize(actor, Permission.ASSET_WRITE, institutions=[asset.owner_institution_id])
    changes = patch.model_dump(exclude_unset=True)
    children = {k: changes.pop(k) for k in ("hours", "exam_types", "prices") if k in changes}
    for key, value in changes.items():
        setattr(asset, key, value)
    _set_children(asset, **children)
    _check_exam_codes(asset)
    session.flush()
    record_event(session, actor, "asset.update", "asset", asset.id, institution_id=asset.owner_institution_id,
                 details={"fields": sorted(patch.model_dump(exclude_unset=True))})
    return asset


def add_blackout(session: Session, actor: Principal, asset: Asset, data: BlackoutIn) -> Blackout:
    """Close the asset for a while (blackout or maintenance); existing bookings are not touched."""
    authorize(actor, Permission.ASSET_WRITE, institutions=[asset.owner_institution_id])
    if data.ends_at <= data.starts_at:
        raise InvalidInput.on("ends_at", "after-starts-at", "must be after starts_at")
    blackout = Blackout(**data.model_dump())
    asset.blackouts.append(blackout)
    session.flush()
    record_event(session, actor, "asset.blackout", "asset", asset.id, institution_id=asset.owner_institution_id,
                 details={"kind": data.kind})
    return blackout


def calendar_of(asset: Asset) -> rules.Calendar:
    """The asset's calendar as the pure rules see it."""
    return rules.Calendar(
        tz=region_tz(),
        grid_minutes=asset.grid_minutes,
        hours=tuple((h.weekday, h.opens, h.closes) for h in asset.hours),
        closures=tuple(rules.Interval(b.starts_at, b.ends_at) for b in asset.blackouts),
    )


def exam_minutes(asset: Asset, exam_code: str) -> int:
    """The slot length of an exam on the asset; unknown exams are refused naming the field."""
    for exam in asset.exam_types:
        if exam.code == exam_code:
            return exam.minutes
    raise InvalidInput.on("exam_code", "offered-on-asset", f"{exam_code} is not offered on this asset")


def release_expired_holds(session: Session, asset_id: int, now: dt.datetime) -> None:
    """Free the units of holds nobody confirmed in time (done lazily, before each claim and search)."""
    from medshare.assets.models import Booking, BookingStatus

    expired = sa.select(SlotClaim.booking_id).where(SlotClaim.asset_id == asset_id,
                                                    SlotClaim.hold_expires_at.is_not(None),
                                                    SlotClaim.hold_expires_at <= now)
    ids = list(session.scalars(expired.distinct()))
    if ids:
        session.execute(sa.delete(SlotClaim).where(SlotClaim.booking_id.in_(ids)))
        session.execute(sa.update(Booking).where(Booking.id.in_(ids), Booking.status == BookingStatus.HELD)
                        .values(status=BookingStatus.EXPIRED, hold_expires_at=None))


def taken_units(session: Session, asset_id: int, window: rules.Interval, now: dt.datetime) -> set[dt.datetime]:
    """Units of the asset claimed by live bookings inside window (expired holds do not count)."""
    query = sa.select(SlotClaim.unit_start).where(
        SlotClaim.asset_id == asset_id, SlotClaim.unit_start >= window.start, SlotClaim.unit_start < window.end,
        sa.or_(SlotClaim.hold_expires_at.is_(None), SlotClaim.hold_expires_at > now))
    return set(session.scalars(query))


def communities_of(session: Session, institution_id: int) -> frozenset[int]:
    return frozenset(session.scalars(sa.select(CommunityMembership.community_id)
                                     .where(CommunityMembership.institution_id == institution_id)))


def policy_of(session: Session, asset: Asset) -> rules.SharingPolicy:
    return rules.SharingPolicy(
        owner_institution_id=asset.owner_institution_id,
        owner_communities=communities_of(session, asset.owner_institution_id),
        open_to=asset.open_to.value,
        allowed_grades=tuple(asset.allowed_grades),
        allowed_types=tuple(asset.allowed_types),
        bookers=asset.bookers.value,
    )


def requester_for(session: Session, actor: Principal, *, as_individual: bool, owner_institution_id: int,
                  on: dt.date) -> rules.Requester:
    """The actor as a requester: their institution's grade, type and communities, or themselves as a doctor."""
    if actor.institution_id is None:
        raise Forbidden("only accounts of an institution book shared assets")
    institution = session.get(Institution, actor.institution_id)
    practitioner_id = None
    registered = False
    if as_individual:
        if actor.practitioner_id is None:
            raise InvalidInput.on("as_individual", "practitioner-account",
                                  "only a practitioner's account books on its own account")
        practitioner = registry.get_practitioner(session, actor.practitioner_id)
        practitioner_id = practitioner.id
        registered = practitioner.primary_institution_id == owner_institution_id or session.scalar(
            sa.select(sa.func.count()).select_from(Registration).where(
                Registration.practitioner_id == practitioner.id,
                Registration.institution_id == owner_institution_id, Registration.ended.is_(False),
                Registration.valid_from <= on, Registration.valid_to >= on)) > 0
    return rules.Requester(
        institution_id=institution.id,
        institution_type=institution.type.value,
        grade_level=institution.grade_level,
        communities=communities_of(session, institution.id),
        practitioner_id=practitioner_id,
        registered_at_owner=registered,
    )


def prices_of(asset: Asset) -> dict[tuple[str, str], int]:
    return {(p.exam_code, p.category.value): p.amount_fen for p in asset.prices}


# Free slots are looked for in the first FIRST_DAYS of the window for every candidate at once;
# only assets with nothing free there are read further (a booked-out asset, typically).
FIRST_DAYS = 2


def _claims_by_asset(session: Session, asset_ids: list[int], window: rules.Interval,
                     now: dt.datetime) -> dict[int, set[dt.datetime]]:
    """Units claimed by live bookings inside window, per asset, in one query."""
    claimed: dict[int, set[dt.datetime]] = {asset_id: set() for asset_id in asset_ids}
    if not asset_ids:
        return claimed
    query = sa.select(SlotClaim.asset_id, SlotClaim.unit_start).where(
        SlotClaim.asset_id.in_(asset_ids), SlotClaim.unit_start >= window.start, SlotClaim.unit_start < window.end,
        sa.or_(SlotClaim.hold_expires_at.is_(None), SlotClaim.hold_expires_at > now))
    for asset_id, unit in session.execute(query):
        claimed[asset_id].add(unit)
    return claimed


def _bookable(session: Session, actor: Principal, assets: list[Asset], *, as_individual: bool,
              on: dt.date) -> dict[int, str]:
    """The assets' ids the actor may book, each with the price category that applies to them.

    Reads the actor's institution, the owners' communities and the actor's registrations once,
    whatever the number of assets.
    """
    if actor.institution_id is None:
        return {}
    institution = session.get(Institution, actor.institution_id)
    owners = {asset.owner_institution_id for asset in assets}
    communities: dict[int, set[int]] = {owner: set() for owner in owners | {institution.id}}
    for community_id, member in session.execute(sa.select(CommunityMembership.community_id,
                                                          CommunityMembership.institution_id)
                                                .where(CommunityMembership.institution_id.in_(communities))):
        communities[member].add(community_id)
    registered_at: set[int] = set()
    if as_individual:
        if actor.practitioner_id is None:
            return {}
        practitioner = registry.get_practitioner(session, actor.practitioner_id)
        registered_at = {practitioner.primary_institution_id, *session.scalars(
            sa.select(Registration.institution_id).where(
                Registration.practitioner_id == practitioner.id, Registration.ended.is_(False),
                Registration.valid_from <= on, Registration.valid_to >= on))}
    bookable = {}
    for asset in assets:
        requester = rules.Requester(
            institution_id=institution.id, institution_type=institution.type.value,
            grade_level=institution.grade_level, communities=frozenset(communities[institution.id]),
            practitioner_id=actor.practitioner_id if as_individual else None,
            registered_at_owner=asset.owner_institution_id in registered_at)
        policy = rules.SharingPolicy(
            owner_institution_id=asset.owner_institution_id,
            owner_communities=frozenset(communities[asset.owner_institution_id]),
            open_to=asset.open_to.value, allowed_grades=tuple(asset.allowed_grades),
            allowed_types=tuple(asset.allowed_types), bookers=asset.bookers.value)
        try:
            rules.check_may_book(requester, policy)
        except (Forbidden, InvalidInput):
            continue
        bookable[asset.id] = rules.price_category(requester, policy)
    return bookable


def search_slots(
    session: Session,
    actor: Principal,
    *,
    modality: str | None = None,
    kind: str | None = None,
    capabilities: list[str] | None = None,
    exam_code: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_km: float | None = None,
    days: int = 14,
    as_individual: bool = False,
    sort: str = "time",
    limit: int = 20,
    now: dt.datetime | None = None,
) -> list[dict]:
    """The earliest free slots across every owner that the actor may book, soonest or nearest first.

    Each asset's free slots are produced lazily, in time order, and merged: the search reads
    only as much of each calendar as the first `limit` answers need.
    """
    now = now or utcnow()
    query = sa.select(Asset).where(Asset.active.is_(True)).options(
        selectinload(Asset.hours), selectinload(Asset.exam_types), selectinload(Asset.blackouts),
        selectinload(Asset.prices))
    if modality:
        query = query.where(Asset.modality == modality)
    if kind:
        query = query.where(Asset.kind == kind)
    if exam_code:
        query = query.where(Asset.exam_types.any(ExamType.code == exam_code))
    if latitude is not None and longitude is not None and radius_km is not None:
        south, north, west, east = bounding_box(latitude, longitude, radius_km)
        query = query.where(Asset.latitude.between(south, north), Asset.longitude.between(west, east))
    wanted = set(capabilities or [])
    nearby = []
    for asset in session.scalars(query):
        if not wanted <= set(asset.capabilities):
            continue
        distance = None
        if latitude is not None and longitude is not None:
            distance = distance_km(latitude, longitude, asset.latitude, asset.longitude)
            if radius_km is not None and distance > radius_km:
                continue
        exams = [e for e in asset.exam_types if exam_code in (None, "", e.code)]
        if exams:
            nearby.append((asset, exams, distance))
    # A blacklisted owner's listings are withdrawn from search while it is blacklisted (the one standing check).
    barred, _ = blacklisted_among(session, institution_ids={a.owner_institution_id for a, _, _ in nearby})
    nearby = [n for n in nearby if n[0].owner_institution_id not in barred]
    categories = _bookable(session, actor, [asset for asset, _, _ in nearby], as_individual=as_individual,
                           on=now.date())
    candidates = []
    for asset, exams, distance in nearby:
        window = rules.Interval(now + dt.timedelta(minutes=asset.min_lead_minutes),
                                min(now + dt.timedelta(days=days), now + dt.timedelta(days=asset.max_horizon_days)))
        if asset.id in categories and window.end > window.start:
            candidates.append((asset, exams, distance, window))
    # A day boundary, so that no slot straddles it (opening hours never cross local midnight).
    first_day = (now.astimezone(region_tz()) + dt.timedelta(days=FIRST_DAYS)).date()
    first_end = dt.datetime.combine(first_day, dt.time(0), region_tz()).astimezone(dt.UTC)
    claimed = _claims_by_asset(session, [asset.id for asset, *_ in candidates],
                               rules.Interval(now, first_end), now)

    def taken(asset: Asset, window: rules.Interval) -> set[dt.datetime]:
        # Read the rest of an asset's window only when its first days are not enough.
        if window.end > first_end and asset.id not in later_read:
            later_read.add(asset.id)
            claimed[asset.id] |= taken_units(session, asset.id, rules.Interval(first_end, window.end), now)
        return claimed[asset.id]

    later_read: set[int] = set()

    def stream(asset: Asset, exam: ExamType, distance: float | None, window: rules.Interval):
        price = rules.pick_price(prices_of(asset), exam.code, categories[asset.id])
        calendar = calendar_of(asset)
        early = rules.Interval(window.start, min(window.end, first_end))
        for part in (early, rules.Interval(early.end, window.end)):
            if part.end <= part.start:
                continue
            for slot in rules.free_slots(calendar, exam.minutes, part, taken(asset, part)):
                yield {"asset_id": asset.id, "asset_name": asset.name,
                       "owner_institution_id": asset.owner_institution_id, "exam_code": exam.code,
                       "starts_at": slot.start, "ends_at": slot.end,
                       "distance_km": None if distance is None else round(distance, 2), "price_fen": price}

    if sort == "distance":
        def order(slot):
            return slot["distance_km"] or 0.0, slot["starts_at"]
    else:
        def order(slot):
            return slot["starts_at"], slot["distance_km"] or 0.0
    streams = [stream(asset, exam, distance, window) for asset, exams, distance, window in candidates
               for exam in exams]
    return list(itertools.islice(heapq.merge(*streams, key=order), limit))


def asset_calendar(session: Session, asset: Asset, *, start: dt.datetime, end: dt.datetime,
                   exam_code: str, now: dt.datetime | None = None) -> list[dict]:
    """Every slot of an exam in [start, end): whether it is free, and whether it has passed."""
    now = now or utcnow()
    minutes = exam_minutes(asset, exam_code)
    window = rules.Interval(start, end)
    taken = taken_units(session, asset.id, window, now)
    free = {s.start for s in rules.free_slots(calendar_of(asset), minutes, window, taken)}
    everything = rules.free_slots(calendar_of(asset), minutes, window, ())
    return [{"starts_at": s.start, "ends_at": s.end, "free": s.start in free and s.start >= now,
             "past": s.start < now} for s in everything]
