"""Who may read a patient's records, on what basis, and the audited trail of every read.

A practitioner (or an institution's staff) reads their own institution's records of a
patient freely. Another institution's records of the same person (the master patient index
links them) are readable only:

1. within a **care relationship** between the reader's institution (or the practitioner) and
   the person in the policy window: a visit (Encounter) at the reader's institution, a
   booking of shared equipment requested by or held at it, or any source another capability
   registers (referrals) with ``register_care_source``;
2. under the patient's active **Consent** that permits the reader's institution, the
   practitioner, or anyone (a ``deny`` Consent for the reader overrides 1.);
3. in an **emergency**, with a stated reason: allowed, and flagged in the audit trail.

Every read of patient data writes an audit event naming the basis and the purpose, which
the patient sees as "who read what, when and why" (and FHIR serves as AuditEvent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts.models import Role
from medshare.audit.models import AuditEvent
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Forbidden
from medshare.identity.models import PatientRecord, PersonLink
from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.records.models import Consent, ConsentStatus, Encounter

CARE_WINDOW_DAYS = 90  # a visit or booking this recent (or this soon) opens the patient's shared record
READ_ACTIONS = ("records.read", "records.emergency-read")

# v3 PurposeOfUse codes accepted as the stated purpose of a read.
PURPOSES = {"TREAT": "treatment", "ETREAT": "emergency treatment", "PATRQT": "patient request",
            "HPAYMT": "payment", "HOPERAT": "operations", "PUBHLTH": "public health", "HRESCH": "research"}


@dataclass(frozen=True)
class CareActor:
    """Who wants to read: an institution and, when a practitioner, the practitioner."""

    institution_id: int | None
    practitioner_id: int | None = None


# A source of care relationships: the person ids with a relationship to actor since `since`,
# as a SELECT of one column of person ids.
CareSource = Callable[[CareActor, dt.datetime, dt.datetime], sa.Select]
_SOURCES: dict[str, CareSource] = {}


def register_care_source(name: str, source: CareSource) -> None:
    """Add a kind of care relationship (e.g. "referral") that opens a patient's records to an institution.

    source(actor, since, until) returns ``select(person_id)`` of persons in that relationship.
    """
    _SOURCES[name] = source


def _persons_of_records(records: sa.Select) -> sa.Select:
    return sa.select(PersonLink.person_id).where(PersonLink.patient_record_id.in_(records))


def _encounters(actor: CareActor, since: dt.datetime, until: dt.datetime) -> sa.Select:
    who = Encounter.institution_id == actor.institution_id
    if actor.practitioner_id is not None:
        who = sa.or_(who, Encounter.practitioner_id == actor.practitioner_id)
    return _persons_of_records(sa.select(Encounter.patient_record_id).where(
        who, Encounter.status != "entered-in-error", Encounter.status != "cancelled",
        sa.func.coalesce(Encounter.period_end, Encounter.period_start) >= since,
        Encounter.period_start <= until))


def _bookings(actor: CareActor, since: dt.datetime, until: dt.datetime) -> sa.Select:
    from medshare.assets.models import Asset, Booking, BookingStatus

    live = [BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED]
    at_ours = sa.select(Asset.id).where(Asset.owner_institution_id == actor.institution_id)
    return _persons_of_records(sa.select(Booking.patient_record_id).where(
        Booking.patient_record_id.is_not(None), Booking.status.in_(live),
        sa.or_(Booking.requester_institution_id == actor.institution_id, Booking.asset_id.in_(at_ours)),
        Booking.ends_at >= since, Booking.starts_at <= until))


register_care_source("encounter", _encounters)
register_care_source("booking", _bookings)
import medshare.care.referrals  # noqa: E402, F401  (registers "referral": the receiver of a live referral)


def person_of_record(session: Session, patient_record_id: int) -> int | None:
    return session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == patient_record_id))


def records_of_person(session: Session, person_id: int) -> list[int]:
    return list(session.scalars(sa.select(PersonLink.patient_record_id).where(PersonLink.person_id == person_id)))


def same_person_records(session: Session, patient_record_id: int) -> list[int]:
    """Every record of the person patient_record_id belongs to (itself when unlinked)."""
    person = person_of_record(session, patient_record_id)
    return records_of_person(session, person) if person is not None else [patient_record_id]


def care_relationship(session: Session, actor: CareActor | Principal, person_id: int, *,
                      at: dt.datetime | None = None, window_days: int = CARE_WINDOW_DAYS) -> str | None:
    """The kind of care relationship (e.g. "encounter") actor has with the person now, or None.

    actor: a CareActor, or a Principal (its institution and practitioner).
    """
    if isinstance(actor, Principal):
        actor = CareActor(actor.institution_id, actor.practitioner_id)
    if actor.institution_id is None and actor.practitioner_id is None:
        return None
    at = at or utcnow()
    since, until = at - dt.timedelta(days=window_days), at + dt.timedelta(days=window_days)
    for name, source in _SOURCES.items():
        persons = source(actor, since, until)
        if session.scalar(sa.select(sa.literal(1)).where(sa.literal(person_id).in_(persons))) is not None:
            return name
    return None


def _consents(session: Session, actor: CareActor, records: list[int], resource_type: str,
              at: dt.datetime) -> list[Consent]:
    rows = session.scalars(sa.select(Consent).where(
        Consent.patient_record_id.in_(records), Consent.status == ConsentStatus.ACTIVE,
        sa.or_(Consent.period_start.is_(None), Consent.period_start <= at),
        sa.or_(Consent.period_end.is_(None), Consent.period_end >= at)))
    out = []
    for c in rows:
        whom = (c.grantee_institution_id is None and c.grantee_practitioner_id is None) or \
            (c.grantee_institution_id is not None and c.grantee_institution_id == actor.institution_id) or \
            (c.grantee_practitioner_id is not None and c.grantee_practitioner_id == actor.practitioner_id)
        if whom and (not c.resource_types or resource_type in c.resource_types):
            out.append(c)
    return out


@dataclass(frozen=True)
class Access:
    """A decision to let a reader see one person's records: on what basis, and whether flagged."""

    basis: str  # own-record, own-institution, care:<source>, consent, emergency, platform
    emergency: bool = False
    reason: str = ""


def decide(session: Session, principal: Principal, *, patient_record_id: int, custodian_institution_id: int | None,
           resource_type: str, emergency_reason: str = "", at: dt.datetime | None = None) -> Access:
    """Whether principal may read a record of resource_type about patient_record_id held by the custodian.

    Raises Forbidden when not. Checks the role's grant first (permissions.py), then the rules above.
    """
    scope = scope_of(principal, Permission.RECORDS_READ)
    if scope is None:
        raise Forbidden(f"the role {principal.role.value} lacks the permission {Permission.RECORDS_READ.value}")
    if scope is Scope.ANY:
        return Access("platform")
    at = at or utcnow()
    records = same_person_records(session, patient_record_id)
    if scope is Scope.OWN_RECORD:
        if principal.patient_record_id is not None and principal.patient_record_id in records:
            return Access("own-record")
        raise Forbidden("a patient reads only their own records")
    if principal.institution_id is not None and principal.institution_id == custodian_institution_id:
        return Access("own-institution")
    if custodian_institution_id is None and principal.institution_id is not None:
        held_here = session.scalar(sa.select(PatientRecord.institution_id).where(
            PatientRecord.id == patient_record_id))
        if held_here == principal.institution_id:
            return Access("own-institution")
    actor = CareActor(principal.institution_id, principal.practitioner_id)
    consents = _consents(session, actor, records, resource_type, at)
    denied = any(c.provision == "deny" for c in consents)
    if not denied:
        if any(c.provision == "permit" for c in consents):
            return Access("consent")
        person = person_of_record(session, patient_record_id)
        kind = care_relationship(session, actor, person, at=at) if person is not None else None
        if kind is not None:
            return Access(f"care:{kind}")
    if emergency_reason.strip() and scope_of(principal, Permission.RECORDS_EMERGENCY) is not None:
        return Access("emergency", emergency=True, reason=emergency_reason.strip()[:200])
    why = "the patient's consent denies it" if denied else \
        "no care relationship in the policy window and no consent from the patient"
    raise Forbidden(f"another institution's records of this patient: {why}; "
                    "state an emergency reason (X-Emergency-Reason) to read them anyway")


def audit_read(session: Session, principal: Principal, access: Access, *, resource_type: str, fhir_ids: list[str],
               patient_record_id: int, custodian_institution_id: int | None, purpose: str = "TREAT",
               interaction: str = "read") -> None:
    """One audit event for a read of one patient's resources of one type (ids listed, at most 50)."""
    purpose = "ETREAT" if access.emergency else (purpose if purpose in PURPOSES else "TREAT")
    details = {"basis": access.basis, "purpose": purpose, "interaction": interaction,
               "ids": fhir_ids[:50], "count": len(fhir_ids)}
    if access.emergency:
        details["emergency"] = True
        details["reason"] = access.reason
    record_event(session, principal, "records.emergency-read" if access.emergency else "records.read",
                 resource_type, fhir_ids[0] if len(fhir_ids) == 1 else f"{len(fhir_ids)} resources",
                 institution_id=custodian_institution_id, patient_record_id=patient_record_id, details=details)


def access_log(session: Session, principal: Principal, *, person_id: int | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[AuditEvent], int]:
    """Reads of a person's records, newest first: who read what, when and why.

    A patient sees their own; others need the audit permission over the records' institutions.
    """
    if person_id is None:
        if principal.patient_record_id is None:
            raise Forbidden("only a patient account has records of its own")
        person_id = person_of_record(session, principal.patient_record_id)
    records = records_of_person(session, person_id) if person_id is not None else [principal.patient_record_id]
    scope = scope_of(principal, Permission.ACCESS_LOG_READ)
    if scope is None:
        raise Forbidden(f"the role {principal.role.value} lacks the permission {Permission.ACCESS_LOG_READ.value}")
    if scope is Scope.OWN_RECORD and principal.patient_record_id not in records:
        raise Forbidden("a patient sees only the reads of their own records")
    query = sa.select(AuditEvent).where(AuditEvent.patient_record_id.in_(records),
                                        AuditEvent.action.in_((*READ_ACTIONS, "patient.read")))
    if scope is Scope.OWN_INSTITUTION:
        query = query.where(AuditEvent.institution_id == principal.institution_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def readers(session: Session, user_ids: Iterable[int | None]) -> dict[int, tuple[str, str, str]]:
    """user id -> (display name, role, institution name) of the accounts that read."""
    from medshare.accounts.models import User
    from medshare.registry.models import Institution

    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.display_name, User.username, User.role, Institution.name)
                           .outerjoin(Institution, Institution.id == User.institution_id)
                           .where(User.id.in_(ids))).all()
    return {r.id: (r.display_name or r.username, Role(r.role).value if r.role else "", r.name or "") for r in rows}
