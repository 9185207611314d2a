"""Where the rules' inputs come from: plain functions over the tables, one list per kind of input.

Another capability adds its data to a rule by appending one function to a list here: the care
capability's teleconsultations and rota shifts are in COMMITMENT_SOURCES, the recognition
capability's repeat-exam decisions in OVERRIDE_SOURCES, consultations held and reports signed in
WORKLOAD_SOURCES. Each function takes (session, start, end) and returns the rule's plain inputs for
that window.
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


def recognition_overrides(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[RateUnit]:
    """Repeat-exam decisions of the mutual-recognition capability: for each ordering practitioner (the ordering
    institution when no practitioner is named), the orders repeated although a prior result was recognisable,
    out of the orders where one was; labs and imaging are peers apart (their rates differ for good reasons)."""
    from medshare.recognition.models import Decision, RecognitionCheck, RecognitionItem

    rows = session.execute(
        sa.select(RecognitionCheck.practitioner_id, RecognitionCheck.institution_id, RecognitionItem.category,
                  RecognitionCheck.decision, sa.func.count())
        .join(RecognitionItem, RecognitionItem.id == RecognitionCheck.item_id)
        .where(RecognitionCheck.recognisable_count > 0,
               RecognitionCheck.decision.in_((Decision.ACCEPTED, Decision.REPEATED)),
               RecognitionCheck.checked_at >= start, RecognitionCheck.checked_at < end)
        .group_by(RecognitionCheck.practitioner_id, RecognitionCheck.institution_id, RecognitionItem.category,
                  RecognitionCheck.decision))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for practitioner_id, institution_id, category, decision, count in rows:
        key = f"practitioner:{practitioner_id}" if practitioner_id is not None else f"institution:{institution_id}"
        group = f"{key.split(':', 1)[0]}/{getattr(category, 'value', category)}"
        counts[(key, group)][1] += count
        if decision == Decision.REPEATED:
            counts[(key, group)][0] += count
    for (key, group), (repeated, offered) in counts.items():
        yield RateUnit(key, repeated, offered, group=group)


def teleconsult_work(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[WorkItem]:
    """Teleconsultations specialists held (completed), each for its scheduled length."""
    from medshare.care.models import Teleconsult, TeleconsultStatus

    rows = session.execute(
        sa.select(Teleconsult.id, Teleconsult.specialist_id, Teleconsult.starts_at, Teleconsult.ends_at,
                  Teleconsult.specialist_institution_id)
        .where(Teleconsult.status == TeleconsultStatus.COMPLETED, Teleconsult.specialist_id.is_not(None),
               Teleconsult.starts_at >= start, Teleconsult.starts_at < end))
    for tc_id, practitioner_id, starts_at, ends_at, site_id in rows:
        yield WorkItem(practitioner_id, starts_at, (ends_at - starts_at).total_seconds() / 60, "teleconsultation",
                       f"teleconsult:{tc_id}", site_id)


SIGNING_MINUTES = 3  # the least time reading a report before signing it takes


def signing_work(session: Session, start: dt.datetime, end: dt.datetime) -> Iterable[WorkItem]:
    """Reports practitioners signed (a teleconsultation's signed opinion is part of the consultation)."""
    from medshare.pki.models import Signature

    rows = session.execute(
        sa.select(Signature.id, Signature.practitioner_id, Signature.signed_at, Signature.document_type,
                  Signature.document_id)
        .where(Signature.document_type != "teleconsult_opinion", Signature.signed_at >= start,
               Signature.signed_at < end))
    for signature_id, practitioner_id, signed_at, document_type, document_id in rows:
        yield WorkItem(practitioner_id, signed_at, SIGNING_MINUTES, "signature",
                       f"signature:{signature_id}:{document_type}/{document_id}"[:120])


COMMITMENT_SOURCES: list[Source] = [booking_commitments, care_commitments]  # rooms; teleconsultations, rota shifts
OVERRIDE_SOURCES: list[Source] = [recognition_overrides]
NO_SHOW_SOURCES: list[Source] = [booking_no_shows]
WORKLOAD_SOURCES: list[Source] = [booking_work, teleconsult_work, signing_work]


def gather(sources: list[Source], session: Session, start: dt.datetime, end: dt.datetime) -> list:
    """Every source's inputs for the window, in one list."""
    return [item for source in sources for item in source(session, start, end)]
