"""Where the rules' inputs come from: plain functions over the tables, one list per kind of input.

Another capability adds its data to a rule by appending one function to a list here, e.g. the
care capability's teleconsultations and rota shifts to COMMITMENT_SOURCES, the recognition
capability's repeat-exam decisions to OVERRIDE_SOURCES. Each function takes (session, start, end)
and returns the rule's plain inputs for that window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.assets.models import Asset, AssetKind, Booking, BookingStatus
from medshare.care.service import risk_commitments as care_commitments
from medshare.risk.rules import Commitment, RateUnit, WorkItem

# Booking kinds that put the booker in the room: a doctor renting a consulting room or theatre time
# is there; one booking a scanner for a patient is not.
PRESENCE_KINDS = (AssetKind.CONSULTING_ROOM, AssetKind.OPERATING_THEATRE, AssetKind.RESEARCH_INSTRUMENT)
COMMITTED = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)

Source = Callable[[Session, dt.datetime, dt.datetime], Iterable]


def booking_commitments(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[Commitment]:
    """Rooms and theatres practitioners booked for themselves: they are at the owner's site for the slot."""
    rows = session.execute(
        sa.select(Booking.id, Booking.requester_practitioner_id, Asset.owner_institution_id, Booking.starts_at,
                  Booking.ends_at)
        .join(Asset, Asset.id == Booking.asset_id)
        .where(Booking.requester_practitioner_id.is_not(None), Booking.status.in_(COMMITTED),
               Asset.kind.in_(PRESENCE_KINDS), Booking.starts_at < end, Booking.ends_at > start))
    for booking_id, practitioner_id, site_id, starts_at, ends_at in rows:
        yield Commitment(practitioner_id, site_id, starts_at, ends_at, "booking", f"booking:{booking_id}")


def booking_no_shows(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[RateUnit]:
    """Each requester's no-shows out of its bookings with an outcome; institutions and doctors are peers apart."""
    rows = session.execute(
        sa.select(Booking.requester_institution_id, Booking.requester_practitioner_id, Booking.status,
                  sa.func.count())
        .where(Booking.status.in_((BookingStatus.COMPLETED, BookingStatus.NO_SHOW)), Booking.starts_at >= start,
               Booking.starts_at < end)
        .group_by(Booking.requester_institution_id, Booking.requester_practitioner_id, Booking.status))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for institution_id, practitioner_id, status, count in rows:
        key = f"practitioner:{practitioner_id}" if practitioner_id is not None else f"institution:{institution_id}"
        counts[key][1] += count
        if status == BookingStatus.NO_SHOW:
            counts[key][0] += count
    for key, (no_shows, total) in counts.items():
        yield RateUnit(key, no_shows, total, group=key.split(":", 1)[0])


def booking_work(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[WorkItem]:
    """Sessions practitioners held on rooms, theatres and equipment they booked for themselves and completed."""
    rows = session.execute(
        sa.select(Booking.id, Booking.requester_practitioner_id, Booking.starts_at, Booking.ends_at,
                  Asset.owner_institution_id)
        .join(Asset, Asset.id == Booking.asset_id)
        .where(Booking.requester_practitioner_id.is_not(None), Booking.status == BookingStatus.COMPLETED,
               Booking.starts_at >= start, Booking.starts_at < end))
    for booking_id, practitioner_id, starts_at, ends_at, site_id in rows:
        yield WorkItem(practitioner_id, starts_at, (ends_at - starts_at).total_seconds() / 60, "booking",
                       f"booking:{booking_id}", site_id)


# One line per source; the care capability adds teleconsultations and rota shifts here.
COMMITMENT_SOURCES: list[Source] = [booking_commitments, care_commitments]
# Repeat-exam decisions per practitioner: RateUnit(key="practitioner:ID", events=repeats despite a
# recognisable prior result, trials=orders where one was offered, group=e.g. the exam category).
OVERRIDE_SOURCES: list[Source] = []
NO_SHOW_SOURCES: list[Source] = [booking_no_shows]
WORKLOAD_SOURCES: list[Source] = [booking_work]


def gather(sources: list[Source], session: Session, start: dt.datetime, end: dt.datetime) -> list:
    """Every source's inputs for the window, in one list."""
    return [item for source in sources for item in source(session, start, end)]
