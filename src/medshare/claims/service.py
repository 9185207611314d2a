"""Use cases of insurance claims: coverage, a claim per completed shared service, adjudication, settlement.

Other capabilities bill through claim_for_service (a teleconsultation, say); the shared-assets
capability through claim_for_booking when a booking is completed.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts.models import Role
from medshare.assets import ledger
from medshare.assets import rules as asset_rules
from medshare.assets import service as assets
from medshare.assets.models import Booking, BookingStatus, ExamType, JournalEntry, JournalLine
from medshare.audit.service import record_event
from medshare.claims import rules
from medshare.claims.models import Claim, ClaimStatus, Coverage
from medshare.claims.schemas import AdjudicationIn, CoverageIn
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.identity.models import PersonLink
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry import service as registry
from medshare.registry.models import Institution, InstitutionType

SETTLEMENT_REASON = "insurance_claim"  # the ledger entry of a claim's payment, one per booking


def _audit(session: Session, actor: Principal | None, action: str, claim: Claim, **details) -> None:
    record_event(session, actor, f"claim.{action}", "claim", claim.id, institution_id=claim.provider_institution_id,
                 patient_record_id=claim.patient_record_id,
                 details={"insurer_institution_id": claim.insurer_institution_id, **details})


# Coverage ------------------------------------------------------------------------------------


def add_coverage(session: Session, actor: Principal, data: CoverageIn) -> Coverage:
    """Record a patient's insurance: by the record's institution or by the insurer itself."""
    record = identity.load_patient_record(session, data.patient_record_id)
    authorize(actor, Permission.COVERAGE_WRITE, institutions=[record.institution_id, data.insurer_institution_id])
    insurer = registry.get_institution(session, data.insurer_institution_id)
    if insurer.type is not InstitutionType.INSURER:
        raise InvalidInput.on("insurer_institution_id", "insurer", "the institution is not an insurer")
    taken = session.scalar(sa.select(Coverage.id).where(Coverage.insurer_institution_id == insurer.id,
                                                        Coverage.policy_number == data.policy_number))
    if taken is not None:
        raise Conflict.on("policy_number", "unique", "the insurer already has a policy with this number")
    coverage = Coverage(**data.model_dump())
    session.add(coverage)
    session.flush()
    record_event(session, actor, "coverage.create", "coverage", coverage.id, institution_id=record.institution_id,
                 patient_record_id=record.id, details={"insurer_institution_id": insurer.id})
    return coverage


def list_coverages(session: Session, actor: Principal, patient_record_id: int) -> list[Coverage]:
    """A patient record's coverages, for its institution, its insurers, or the patient."""
    record = identity.load_patient_record(session, patient_record_id)
    rows = list(session.scalars(sa.select(Coverage).where(Coverage.patient_record_id == record.id)
                                .order_by(Coverage.valid_from.desc(), Coverage.id)))
    if actor.patient_record_id is not None and record.id in _person_records(session, actor.patient_record_id):
        allowed = rows
    else:
        authorize(actor, Permission.CLAIM_READ, institutions=[record.institution_id,
                                                              *(c.insurer_institution_id for c in rows)])
        if scope_of(actor, Permission.CLAIM_READ) is not Scope.ANY and actor.institution_id != record.institution_id:
            rows = [c for c in rows if c.insurer_institution_id == actor.institution_id]
        allowed = rows
    record_event(session, actor, "coverage.read", "patient_record", record.id, institution_id=record.institution_id,
                 patient_record_id=record.id)
    return allowed


def _person_records(session: Session, record_id: int) -> set[int]:
    """Every record of the person that record_id belongs to (itself when it is not linked)."""
    person = session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == record_id))
    if person is None:
        return {record_id}
    return set(session.scalars(sa.select(PersonLink.patient_record_id).where(PersonLink.person_id == person))) | {
        record_id}


def coverage_for(session: Session, patient_record_id: int, on: dt.date) -> Coverage | None:
    """The patient's active coverage on a date: of this record first, else of the person's other records."""
    records = _person_records(session, patient_record_id)
    rows = session.scalars(sa.select(Coverage).where(
        Coverage.patient_record_id.in_(records), Coverage.active.is_(True), Coverage.valid_from <= on,
        sa.or_(Coverage.valid_to.is_(None), Coverage.valid_to >= on)).order_by(Coverage.valid_from.desc(),
                                                                                Coverage.id.desc()))
    found = list(rows)
    own = [c for c in found if c.patient_record_id == patient_record_id]
    return (own or found or [None])[0]


# Claims --------------------------------------------------------------------------------------


def claim_for_service(session: Session, *, service_kind: str, service_ref: str, patient_record_id: int | None,
                      provider_institution_id: int, item_code: str, item_display: str, service_date: dt.date,
                      total_fen: int, facility_institution_id: int | None = None, practitioner_id: int | None = None,
                      booking_id: int | None = None, actor: Principal | None = None,
                      now: dt.datetime | None = None) -> Claim | None:
    """The claim of one completed shared service to the patient's insurer, made once.

    Returns the claim (the existing one when the service was claimed before), or None when there
    is nothing to claim: no patient, nothing to pay, or no coverage on the day of the service.
    Carries only what the claim needs: record reference, service code, date, amount.
    """
    existing = session.scalar(sa.select(Claim).where(Claim.service_kind == service_kind,
                                                     Claim.service_ref == service_ref))
    if existing is not None:
        return existing
    if patient_record_id is None or total_fen <= 0:
        return None
    coverage = coverage_for(session, patient_record_id, service_date)
    if coverage is None:
        return None
    claim = Claim(service_kind=service_kind, service_ref=service_ref, booking_id=booking_id,
                  patient_record_id=patient_record_id, coverage_id=coverage.id,
                  insurer_institution_id=coverage.insurer_institution_id,
                  provider_institution_id=provider_institution_id, facility_institution_id=facility_institution_id,
                  practitioner_id=practitioner_id, item_code=item_code, item_display=item_display[:200],
                  service_date=service_date, total_fen=total_fen, status=ClaimStatus.SUBMITTED,
                  submitted_at=now or utcnow(), reasons=[])
    session.add(claim)
    session.flush()
    _audit(session, actor, "submit", claim, service=service_kind, total_fen=total_fen)
    return claim


def claim_for_booking(session: Session, booking: Booking, *, actor: Principal | None = None,
                      now: dt.datetime | None = None) -> Claim | None:
    """The claim of a completed booking of shared equipment for a patient (None when there is none to make)."""
    if booking.status is not BookingStatus.COMPLETED or booking.patient_record_id is None:
        return None
    display = session.scalar(sa.select(ExamType.name).where(ExamType.asset_id == booking.asset_id,
                                                            ExamType.code == booking.exam_code)) or ""
    return claim_for_service(
        session, service_kind="booking", service_ref=f"booking:{booking.id}", booking_id=booking.id,
        patient_record_id=booking.patient_record_id, provider_institution_id=booking.requester_institution_id,
        facility_institution_id=booking.asset.owner_institution_id, practitioner_id=booking.requester_practitioner_id,
        item_code=booking.exam_code, item_display=display,
        service_date=booking.starts_at.astimezone(assets.region_tz()).date(), total_fen=booking.price_fen,
        actor=actor, now=now)


def submit_for_booking(session: Session, actor: Principal, booking_id: int, *,
                       now: dt.datetime | None = None) -> Claim:
    """A provider claims a completed booking by hand (coverage recorded after the exam, say)."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"booking {booking_id} does not exist")
    authorize(actor, Permission.CLAIM_SUBMIT, institutions=[booking.requester_institution_id])
    if booking.status is not BookingStatus.COMPLETED:
        raise Conflict.on("booking_id", "completed", "only a completed booking is claimed")
    if booking.patient_record_id is None:
        raise InvalidInput.on("booking_id", "patient", "the booking names no patient to claim for")
    if session.scalar(sa.select(Claim.id).where(Claim.service_kind == "booking",
                                                Claim.service_ref == f"booking:{booking.id}")) is not None:
        raise Conflict.on("booking_id", "unique", "the booking is already claimed")
    claim = claim_for_booking(session, booking, actor=actor, now=now)
    if claim is None:
        raise InvalidInput.on("booking_id", "coverage", "the patient has no coverage on the day of the exam")
    return claim


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} does not exist")
    return claim


def check_reader(session: Session, actor: Principal, claim: Claim) -> None:
    """The claim's provider, its insurer, its patient, and regulators read it; nobody else."""
    if actor.role is Role.PATIENT:
        if actor.patient_record_id is None or claim.patient_record_id not in _person_records(
                session, actor.patient_record_id):
            raise Forbidden("a patient reads only their own claims")
        return
    authorize(actor, Permission.CLAIM_READ, institutions=[claim.provider_institution_id, claim.insurer_institution_id])


def read_claim(session: Session, actor: Principal, claim_id: int) -> Claim:
    """One claim, for those who may read it; the read is audited (it is about a patient)."""
    claim = get_claim(session, claim_id)
    check_reader(session, actor, claim)
    _audit(session, actor, "read", claim)
    return claim


def list_claims(session: Session, actor: Principal, *, status: str | None = None, side: str | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[Claim], int]:
    """The claims the actor sees: an insurer's queue, a provider's bills, a patient's own, or (regulator) all.

    side narrows a platform-wide reader to "insurer" or "provider" of their own institution.
    """
    scope = scope_of(actor, Permission.CLAIM_READ)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.CLAIM_READ.value}")
    query = sa.select(Claim)
    if actor.role is Role.PATIENT:
        if actor.patient_record_id is None:
            raise Forbidden("the account is tied to no patient record")
        query = query.where(Claim.patient_record_id.in_(_person_records(session, actor.patient_record_id)))
    elif actor.role is Role.INSURER or (side == "insurer" and scope is not Scope.ANY):
        query = query.where(Claim.insurer_institution_id == actor.institution_id)
    elif scope is not Scope.ANY or side == "provider":
        query = query.where(Claim.provider_institution_id == actor.institution_id)
    if status:
        query = query.where(Claim.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Claim.submitted_at.desc(), Claim.id.desc()).limit(limit)
                                .offset(offset)))
    record_event(session, actor, "claim.list", "claim", "*", institution_id=actor.institution_id,
                 patient_record_id=actor.patient_record_id, details={"count": len(rows), "status": status or ""})
    return rows, total


def adjudicate(session: Session, actor: Principal, claim: Claim, data: AdjudicationIn, *,
               now: dt.datetime | None = None) -> Claim:
    """The insurer decides: approve (all), partial (some, with reasons) or deny (none, with reasons)."""
    authorize(actor, Permission.CLAIM_ADJUDICATE, institutions=[claim.insurer_institution_id])
    reasons = [rules.Reason(r.code, r.note) for r in data.reasons]
    status, approved = rules.adjudication(claim.total_fen, data.outcome, data.approved_fen, reasons)
    rules.check_transition(claim.status.value, status)
    claim.status, claim.approved_fen = ClaimStatus(status), approved
    claim.reasons = [{"code": r.code, "note": r.note} for r in reasons]
    claim.adjudicated_at, claim.adjudicated_by_user_id = now or utcnow(), actor.user_id
    session.flush()
    _audit(session, actor, "adjudicate", claim, outcome=status, approved_fen=approved,
           reasons=[r.code for r in reasons])
    return claim


def _payee_account(session: Session, claim: Claim) -> int:
    """Who is paid: the party that paid for the booking, else the provider."""
    booking = session.get(Booking, claim.booking_id) if claim.booking_id else None
    if booking is not None and booking.requester_practitioner_id is not None:
        return ledger.account_for(session, practitioner_id=booking.requester_practitioner_id)
    return ledger.account_for(session, institution_id=claim.provider_institution_id)


def settle(session: Session, actor: Principal, claim: Claim, *, reference: str = "",
           now: dt.datetime | None = None) -> Claim:
    """The insurer pays the approved amount directly to the provider; posted to the shared ledger.

    A booking's claim posts balanced lines (the insurer owes, the provider is owed) under the
    booking, once; a claim of another service records the payment on the claim alone.
    """
    authorize(actor, Permission.CLAIM_ADJUDICATE, institutions=[claim.insurer_institution_id])
    rules.check_transition(claim.status.value, ClaimStatus.SETTLED.value)
    now = now or utcnow()
    entry_id = None
    if claim.booking_id is not None:
        insurer = ledger.account_for(session, institution_id=claim.insurer_institution_id)
        lines = asset_rules.settlement_lines(claim.approved_fen or 0, insurer, _payee_account(session, claim))
        if lines:
            entry = JournalEntry(booking_id=claim.booking_id, posted_at=now, reason=SETTLEMENT_REASON,
                                 lines=[JournalLine(account_id=a, amount_fen=amount) for a, amount in lines])
            session.add(entry)
            session.flush()
            entry_id = entry.id
    claim.status, claim.settled_at = ClaimStatus.SETTLED, now
    fallback = f"journal:{entry_id}" if entry_id else ""
    claim.settlement_ref = (reference.strip() or fallback)[:64]
    session.flush()
    _audit(session, actor, "settle", claim, amount_fen=claim.approved_fen, journal_entry_id=entry_id)
    return claim


def withdraw(session: Session, actor: Principal, claim: Claim, *, now: dt.datetime | None = None) -> Claim:
    """The provider takes back a claim the insurer has not decided yet."""
    authorize(actor, Permission.CLAIM_SUBMIT, institutions=[claim.provider_institution_id])
    rules.check_transition(claim.status.value, ClaimStatus.WITHDRAWN.value)
    claim.status = ClaimStatus.WITHDRAWN
    session.flush()
    _audit(session, actor, "withdraw", claim)
    return claim


def insurers(session: Session) -> list[tuple[int, str]]:
    """The region's insurers (id, name), to choose from."""
    return [(i, n) for i, n in session.execute(sa.select(Institution.id, Institution.name).where(
        Institution.type == InstitutionType.INSURER).order_by(Institution.name))]
