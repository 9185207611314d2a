"""Teleconsultation: a request to the region's specialist pool (every institution, multi-site registrations
included), assignment balancing load and availability, the scheduled session, the specialist's signed
opinion and the fee posted to the settlement ledger."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.assets import ledger
from medshare.audit.service import record_event
from medshare.care import common, rules
from medshare.care.models import Teleconsult
from medshare.care.rules import TeleconsultStatus, Urgency
from medshare.care.schemas import TeleconsultIn
from medshare.claims import service as claims
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, NotFound
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry.models import Practitioner, Profession, Title
from medshare.supervision.standing import blacklisted_among, ensure_in_good_standing

HORIZON = {Urgency.EMERGENCY: dt.timedelta(hours=4), Urgency.URGENT: dt.timedelta(days=2),
           Urgency.ROUTINE: dt.timedelta(days=10)}
POOL_TITLES = (Title.ATTENDING, Title.ASSOCIATE_CHIEF, Title.CHIEF)


def get_teleconsult(session: Session, teleconsult_id: int) -> Teleconsult:
    found = session.get(Teleconsult, teleconsult_id)
    if found is None:
        raise NotFound(f"teleconsultation {teleconsult_id} does not exist")
    return found


def check_party(actor: Principal, tc: Teleconsult) -> None:
    """The requesting institution, the specialist, or the specialist's site may see a teleconsultation."""
    if actor.practitioner_id is not None and actor.practitioner_id == tc.specialist_id:
        return
    authorize(actor, Permission.TELECONSULT_REQUEST, institutions=[tc.requester_institution_id,
                                                                   tc.specialist_institution_id])


def read_teleconsult(session: Session, actor: Principal, teleconsult_id: int) -> Teleconsult:
    """A teleconsultation of one of its parties; an audited read of patient data."""
    tc = get_teleconsult(session, teleconsult_id)
    check_party(actor, tc)
    record_event(session, actor, "teleconsult.read", "teleconsult", tc.id, institution_id=actor.institution_id,
                 patient_record_id=tc.patient_record_id)
    return tc


def pool(session: Session, specialty: str, *, exclude: int | None, start: dt.datetime, end: dt.datetime
         ) -> list[rules.Specialist]:
    """Every active doctor of specialty at attending level or above, from any institution, with their load and
    commitments at every site they practise at (multi-site registrations included); they consult from their
    primary site, which is paid the fee."""
    from medshare.care import service

    doctors = session.scalars(sa.select(Practitioner).where(
        Practitioner.specialty == specialty, Practitioner.active.is_(True),
        Practitioner.profession == Profession.DOCTOR, Practitioner.title.in_(POOL_TITLES))).all()
    # A blacklisted practitioner gives no teleconsultation, so none is assigned to them.
    _, barred = blacklisted_among(session, practitioner_ids=[d.id for d in doctors])
    doctors = [d for d in doctors if d.id not in barred]
    if not doctors:
        return []
    ids = [d.id for d in doctors]
    week = start + dt.timedelta(days=7)
    load = dict(session.execute(sa.select(Teleconsult.specialist_id, sa.func.count()).where(
        Teleconsult.specialist_id.in_(ids), Teleconsult.status == TeleconsultStatus.SCHEDULED,
        Teleconsult.starts_at < week, Teleconsult.ends_at > start).group_by(Teleconsult.specialist_id)).all())
    out = []
    for d in doctors:
        if d.id == exclude:
            continue
        busy = tuple((s, e) for s, e, *_ in service.practitioner_commitments(session, d.id, start, end))
        out.append(rules.Specialist(d.id, d.primary_institution_id, load.get(d.id, 0), busy,
                                    common.SENIORITY.get(d.title.value, 0)))
    return out


def _assign(session: Session, tc: Teleconsult, now: dt.datetime, not_before: dt.datetime | None = None) -> bool:
    earliest = max(now + rules.TELECONSULT_LEAD[tc.urgency], not_before or now)
    horizon = earliest + HORIZON[tc.urgency]
    candidates = pool(session, tc.specialty, exclude=tc.requester_practitioner_id, start=earliest, end=horizon)
    if tc.urgency is Urgency.EMERGENCY:
        # In an emergency the soonest free specialist comes first; load only breaks ties.
        options = [(rules.first_free(s.busy, earliest, rules.TELECONSULT_MINUTES, horizon), s) for s in candidates]
        options = [(start, s.load, -s.seniority, s.practitioner_id, s) for start, s in options if start]
        chosen = (min(options)[4], min(options)[0]) if options else None
    else:
        chosen = rules.assign_specialist(candidates, earliest, horizon)
    if chosen is None:
        return False
    specialist, start = chosen
    tc.specialist_id = specialist.practitioner_id
    tc.specialist_institution_id = specialist.institution_id
    tc.starts_at = start
    tc.ends_at = start + dt.timedelta(minutes=rules.TELECONSULT_MINUTES)
    tc.status = TeleconsultStatus.SCHEDULED
    return True


def request_teleconsult(session: Session, actor: Principal, data: TeleconsultIn, *,
                        now: dt.datetime | None = None) -> Teleconsult:
    """Ask the region's specialists for an opinion on a patient of the actor's institution; assigned at once
    when someone is free within the urgency's horizon, else it waits for the next assignment pass."""
    now = now or utcnow()
    record = common.patient(session, data.patient_record_id)
    authorize(actor, Permission.TELECONSULT_REQUEST, institutions=[record.institution_id])
    tc = Teleconsult(requester_institution_id=record.institution_id,
                     requester_practitioner_id=actor.practitioner_id, patient_record_id=record.id,
                     specialty=data.specialty, urgency=data.urgency, case_summary=data.case_summary,
                     attachments=list(data.attachments), status=TeleconsultStatus.REQUESTED,
                     video_link=data.video_link, fee_fen=rules.TELECONSULT_FEE_FEN[data.urgency],
                     created_by_user_id=actor.user_id)
    _assign(session, tc, now, data.not_before)
    session.add(tc)
    session.flush()
    record_event(session, actor, "teleconsult.request", "teleconsult", tc.id, institution_id=record.institution_id,
                 patient_record_id=record.id, details={"urgency": tc.urgency.value, "status": tc.status.value})
    return tc


def assign_waiting(session: Session, *, now: dt.datetime | None = None) -> int:
    """Try again to assign every teleconsultation still waiting for a specialist; returns how many were."""
    now = now or utcnow()
    done = 0
    for tc in session.scalars(sa.select(Teleconsult).where(Teleconsult.status == TeleconsultStatus.REQUESTED)):
        if _assign(session, tc, now):
            session.flush()
            record_event(session, None, "teleconsult.assign", "teleconsult", tc.id,
                         institution_id=tc.requester_institution_id, patient_record_id=tc.patient_record_id)
            done += 1
    return done


def opinion_payload(tc: Teleconsult, opinion: str | None = None) -> bytes:
    """The bytes the specialist signs: the opinion bound to the consultation and patient it answers."""
    return json.dumps({"teleconsult": tc.id, "patient_record": tc.patient_record_id, "specialty": tc.specialty,
                       "opinion": tc.opinion if opinion is None else opinion}, ensure_ascii=False,
                      sort_keys=True).encode()


def give_opinion(session: Session, actor: Principal, tc: Teleconsult, opinion: str, *,
                 now: dt.datetime | None = None, secret: str | None = None) -> Teleconsult:
    """The assigned specialist's opinion, signed with their certificate (none active: refused, nothing changes);
    completes the consultation and posts its fee from the requesting institution to the specialist's site."""
    from medshare.pki import service as pki

    now = now or utcnow()
    ensure_in_good_standing(session, practitioner_id=actor.practitioner_id, action="consult")
    if scope_of(actor, Permission.TELECONSULT_ANSWER) is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.TELECONSULT_ANSWER.value}")
    if actor.practitioner_id is None or actor.practitioner_id != tc.specialist_id:
        raise Forbidden("teleconsult-opinion-by-specialist: only the assigned specialist gives the opinion")
    if tc.status is not TeleconsultStatus.SCHEDULED:
        raise Conflict.on("status", "teleconsult-opinion-scheduled",
                          f"an opinion is given on a scheduled consultation; this one is {tc.status.value}")
    signature = pki.sign_document(session, actor, tc.specialist_id, opinion_payload(tc, opinion),
                                  document_type="teleconsult_opinion", document_id=str(tc.id), secret=secret,
                                  now=now)
    tc.opinion = opinion
    tc.opinion_signature = {"signature_id": signature.id, "certificate_id": signature.certificate_id,
                            "digest_sha256": signature.digest_sha256, "signed_at": signature.signed_at.isoformat()}
    tc.status = TeleconsultStatus.COMPLETED
    tc.completed_at = now
    tc.fee_posted = post_fee(session, tc, now)
    session.flush()
    claims.claim_for_service(
        session, service_kind="teleconsultation", service_ref=f"teleconsult:{tc.id}",
        patient_record_id=tc.patient_record_id, provider_institution_id=tc.specialist_institution_id,
        facility_institution_id=tc.requester_institution_id, practitioner_id=tc.specialist_id,
        item_code=f"TELECONSULT-{tc.urgency.value.upper()}", item_display=f"远程会诊 {tc.specialty}",
        service_date=now.date(), total_fen=tc.fee_fen, actor=actor, now=now)
    record_event(session, actor, "teleconsult.opinion", "teleconsult", tc.id,
                 institution_id=tc.specialist_institution_id, patient_record_id=tc.patient_record_id,
                 details={"signature_id": signature.id, "fee_fen": tc.fee_fen, "fee_posted": tc.fee_posted})
    return tc


def post_fee(session: Session, tc: Teleconsult, now: dt.datetime) -> bool:
    """Post the fee to the settlement ledger (payer: the requesting institution; payee: the specialist's site);
    nothing to post when it is free or both are the same institution."""
    if not tc.fee_fen or tc.requester_institution_id == tc.specialist_institution_id:
        return False
    return ledger.post_service_fee(session, service_ref=f"teleconsult:{tc.id}",
                                   payer_institution_id=tc.requester_institution_id,
                                   payee_institution_id=tc.specialist_institution_id, amount_fen=tc.fee_fen,
                                   reason="teleconsult", now=now)


def cancel_teleconsult(session: Session, actor: Principal, tc: Teleconsult, *, now: dt.datetime | None = None
                       ) -> Teleconsult:
    """Withdraw a request not yet answered (the requesting institution)."""
    authorize(actor, Permission.TELECONSULT_REQUEST, institutions=[tc.requester_institution_id])
    if tc.status not in (TeleconsultStatus.REQUESTED, TeleconsultStatus.SCHEDULED):
        raise Conflict.on("status", "teleconsult-cancel-open", f"only an open consultation is cancelled; this one is "
                                                               f"{tc.status.value}")
    tc.status = TeleconsultStatus.CANCELLED
    session.flush()
    record_event(session, actor, "teleconsult.cancel", "teleconsult", tc.id,
                 institution_id=tc.requester_institution_id, patient_record_id=tc.patient_record_id)
    return tc


def list_teleconsults(session: Session, actor: Principal, *, side: str = "requested", status: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[Teleconsult], int]:
    """The desk: consultations the actor's institution requested, or those the actor (as specialist) gives."""
    query = sa.select(Teleconsult)
    if side == "assigned":
        if actor.practitioner_id is None:
            raise Forbidden("only a practitioner's account has consultations to give")
        query = query.where(Teleconsult.specialist_id == actor.practitioner_id)
    else:
        scope = scope_of(actor, Permission.TELECONSULT_REQUEST)
        if scope is None:
            raise Forbidden(f"the role {actor.role.value} lacks the permission "
                            f"{Permission.TELECONSULT_REQUEST.value}")
        if scope is not Scope.ANY:
            query = query.where(Teleconsult.requester_institution_id == actor.institution_id)
    if status:
        query = query.where(Teleconsult.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Teleconsult.starts_at.is_(None), Teleconsult.starts_at.desc(),
                                          Teleconsult.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
