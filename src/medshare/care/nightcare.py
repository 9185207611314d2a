"""Night care: the on-call rota drawn from the practitioner pool with coverage gaps flagged ahead, online
requests routed to the on-duty doctor of the matching specialty with the shortest queue, a message thread
per request, and escalation to emergency transport."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.assets import service as assets
from medshare.audit.service import record_event
from medshare.care import common, rules
from medshare.care.models import Message, NightRequest, NightRequestStatus, Shift
from medshare.care.schemas import EscalateIn, NightRequestIn, ShiftIn
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry.models import Institution, Profession

# The region's night-care policy: the night in local hours, and the doctors on duty it needs at every moment.
NIGHT_STARTS = dt.time(20, 0)
NIGHT_ENDS = dt.time(8, 0)
NEEDED = {"全科": 2, "儿科": 1}
MAX_SHIFT = dt.timedelta(hours=16)
OPEN = (NightRequestStatus.WAITING, NightRequestStatus.ASSIGNED)


def get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} does not exist")
    return shift


def get_request(session: Session, request_id: int) -> NightRequest:
    found = session.get(NightRequest, request_id, options=[selectinload(NightRequest.messages)])
    if found is None:
        raise NotFound(f"night-care request {request_id} does not exist")
    return found


def add_shift(session: Session, actor: Principal, data: ShiftIn) -> Shift:
    """Put a doctor on the rota at a site they practise at, never overlapping their other commitments."""
    from medshare.care import service

    authorize(actor, Permission.ROTA_WRITE, institutions=[data.institution_id])
    common.institution(session, data.institution_id, "institution_id")
    doctor = common.practitioner(session, data.practitioner_id)
    if doctor.profession is not Profession.DOCTOR:
        raise InvalidInput.on("practitioner_id", "doctor-on-call", "night-care shifts are taken by doctors")
    if data.ends_at <= data.starts_at:
        raise InvalidInput.on("ends_at", "shift-span", "a shift ends after it starts")
    if data.ends_at - data.starts_at > MAX_SHIFT:
        raise InvalidInput.on("ends_at", "shift-length", f"a shift lasts at most {MAX_SHIFT.seconds // 3600} hours")
    if data.institution_id not in common.sites_of(session, doctor, data.starts_at.date()):
        raise InvalidInput.on("institution_id", "shift-at-practice-site",
                              "the doctor has no primary site or live registration at this institution")
    clash = service.practitioner_commitments(session, doctor.id, data.starts_at, data.ends_at)
    if clash:
        start, end, site, kind, _id = clash[0]
        raise Conflict.on("starts_at", "no-overlapping-commitments",
                          f"the doctor already has a {kind.replace('_', ' ')} from {start:%Y-%m-%d %H:%M} to "
                          f"{end:%H:%M} UTC at institution {site}")
    shift = Shift(practitioner_id=doctor.id, institution_id=data.institution_id, specialty=doctor.specialty,
                  starts_at=data.starts_at, ends_at=data.ends_at)
    session.add(shift)
    session.flush()
    record_event(session, actor, "care.shift.add", "care_shift", shift.id, institution_id=shift.institution_id)
    return shift


def cancel_shift(session: Session, actor: Principal, shift: Shift, *, now: dt.datetime | None = None) -> Shift:
    """Take a shift off the rota; its open requests are routed again."""
    now = now or utcnow()
    authorize(actor, Permission.ROTA_WRITE, institutions=[shift.institution_id])
    if shift.cancelled:
        raise Conflict.on("cancelled", "shift-cancel-once", "the shift is already cancelled")
    if shift.ends_at <= now:
        raise Conflict.on("ends_at", "shift-cancel-future", "a shift that is over stays on the record")
    shift.cancelled = True
    session.flush()
    for request in session.scalars(sa.select(NightRequest).where(NightRequest.shift_id == shift.id,
                                                                 NightRequest.status == NightRequestStatus.ASSIGNED)):
        request.status = NightRequestStatus.WAITING
        request.practitioner_id = request.shift_id = None
    session.flush()
    route_waiting(session, now=now)
    record_event(session, actor, "care.shift.cancel", "care_shift", shift.id, institution_id=shift.institution_id)
    return shift


def list_shifts(session: Session, *, start: dt.datetime, end: dt.datetime, institution_id: int | None = None,
                practitioner_id: int | None = None) -> list[Shift]:
    """The rota between start and end (shifts are no patient data: the region's rota is open to its staff)."""
    query = sa.select(Shift).where(Shift.cancelled.is_(False), Shift.starts_at < end, Shift.ends_at > start)
    if institution_id is not None:
        query = query.where(Shift.institution_id == institution_id)
    if practitioner_id is not None:
        query = query.where(Shift.practitioner_id == practitioner_id)
    return list(session.scalars(query.order_by(Shift.starts_at, Shift.id)))


def nights(start: dt.datetime, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The night windows (local policy hours, in UTC) of the days from start's local date."""
    tz = assets.region_tz()
    first = start.astimezone(tz).date()
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        a = dt.datetime.combine(day, NIGHT_STARTS, tz).astimezone(dt.UTC)
        b = dt.datetime.combine(day + dt.timedelta(days=1), NIGHT_ENDS, tz).astimezone(dt.UTC)
        if b > start:
            out.append((max(a, start), b))
    return out


def coverage_gaps(session: Session, *, start: dt.datetime, days: int = 7,
                  needed: dict[str, int] | None = None) -> list[rules.Gap]:
    """Stretches of the coming nights where a specialty has fewer doctors on call than the policy needs."""
    windows = nights(start, days)
    if not windows:
        return []
    shifts = list_shifts(session, start=windows[0][0], end=windows[-1][1])
    return rules.coverage_gaps([(s.specialty, s.starts_at, s.ends_at) for s in shifts], needed or NEEDED, windows)


def _on_duty(session: Session, now: dt.datetime) -> list[rules.OnDuty]:
    shifts = session.scalars(sa.select(Shift).where(Shift.cancelled.is_(False), Shift.starts_at <= now,
                                                    Shift.ends_at > now)).all()
    if not shifts:
        return []
    queues = dict(session.execute(sa.select(NightRequest.practitioner_id, sa.func.count()).where(
        NightRequest.status == NightRequestStatus.ASSIGNED,
        NightRequest.practitioner_id.in_([s.practitioner_id for s in shifts]))
        .group_by(NightRequest.practitioner_id)).all())
    return [rules.OnDuty(s.practitioner_id, s.id, s.specialty, queues.get(s.practitioner_id, 0), s.ends_at)
            for s in shifts]


def _route(session: Session, request: NightRequest, now: dt.datetime) -> bool:
    chosen = rules.route(_on_duty(session, now), request.specialty)
    if chosen is None:
        return False
    request.practitioner_id = chosen.practitioner_id
    request.shift_id = chosen.shift_id
    request.status = NightRequestStatus.ASSIGNED
    return True


def route_waiting(session: Session, *, now: dt.datetime | None = None) -> int:
    """Route every waiting request to whoever is on duty now; returns how many were."""
    now = now or utcnow()
    done = 0
    for request in session.scalars(sa.select(NightRequest).where(NightRequest.status == NightRequestStatus.WAITING)
                                   .order_by(NightRequest.id)):
        if _route(session, request, now):
            session.flush()  # the next request sees this doctor's longer queue
            done += 1
    return done


def create_request(session: Session, actor: Principal, data: NightRequestIn, *, now: dt.datetime | None = None
                   ) -> NightRequest:
    """A patient's (or their clinic's) online request, routed at once to the best on-duty doctor."""
    now = now or utcnow()
    record = common.patient(session, data.patient_record_id)
    authorize(actor, Permission.NIGHT_CARE_REQUEST, institutions=[record.institution_id],
              patient_record_id=record.id)
    if (data.latitude is None) != (data.longitude is None):
        raise InvalidInput.on("longitude", "both-or-neither", "give the latitude and longitude together")
    request = NightRequest(patient_record_id=record.id, specialty=data.specialty or "全科", complaint=data.complaint,
                           latitude=data.latitude, longitude=data.longitude, status=NightRequestStatus.WAITING,
                           created_by_user_id=actor.user_id)
    _route(session, request, now)
    request.messages.append(Message(author_user_id=actor.user_id, author_kind=_kind(actor), body=data.complaint,
                                    sent_at=now))
    session.add(request)
    session.flush()
    record_event(session, actor, "night_request.create", "night_request", request.id,
                 institution_id=record.institution_id, patient_record_id=record.id,
                 details={"status": request.status.value})
    return request


def _kind(actor: Principal) -> str:
    return "patient" if actor.patient_record_id is not None else "doctor" if actor.practitioner_id else "staff"


def _is_doctor_of(actor: Principal, request: NightRequest) -> bool:
    return actor.practitioner_id is not None and actor.practitioner_id == request.practitioner_id


def check_party(session: Session, actor: Principal, request: NightRequest) -> None:
    """The patient, the patient's institution, or the doctor the request is routed to."""
    if _is_doctor_of(actor, request) and scope_of(actor, Permission.NIGHT_CARE_ANSWER) is not None:
        return
    record = common.patient(session, request.patient_record_id)
    authorize(actor, Permission.NIGHT_CARE_REQUEST, institutions=[record.institution_id],
              patient_record_id=record.id)


def read_request(session: Session, actor: Principal, request_id: int) -> NightRequest:
    """A request and its thread, for one of its parties; an audited read."""
    route_waiting(session)
    request = get_request(session, request_id)
    check_party(session, actor, request)
    record_event(session, actor, "night_request.read", "night_request", request.id,
                 patient_record_id=request.patient_record_id)
    return request


def post_message(session: Session, actor: Principal, request: NightRequest, body: str, *,
                 now: dt.datetime | None = None) -> Message:
    """Add a message to an open request's thread."""
    now = now or utcnow()
    check_party(session, actor, request)
    if request.status not in OPEN:
        raise Conflict.on("status", "thread-open", f"the request is {request.status.value}; its thread is closed")
    message = Message(author_user_id=actor.user_id, author_kind=_kind(actor), body=body, sent_at=now)
    request.messages.append(message)
    session.flush()
    record_event(session, actor, "night_request.message", "night_request", request.id,
                 patient_record_id=request.patient_record_id, details={"message_id": message.id})
    return message


def _doctor_only(actor: Principal, request: NightRequest, action: str) -> None:
    if scope_of(actor, Permission.NIGHT_CARE_ANSWER) is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.NIGHT_CARE_ANSWER.value}")
    if not _is_doctor_of(actor, request):
        raise Forbidden(f"night-request-{action}-by-doctor: only the doctor the request is routed to may {action} it")
    if request.status is not NightRequestStatus.ASSIGNED:
        raise Conflict.on("status", f"night-request-{action}-assigned",
                          f"only an assigned request is {action}d; this one is {request.status.value}")


def close_request(session: Session, actor: Principal, request: NightRequest, *, now: dt.datetime | None = None
                  ) -> NightRequest:
    """The doctor closes a request answered online."""
    now = now or utcnow()
    _doctor_only(actor, request, "close")
    request.status = NightRequestStatus.CLOSED
    request.closed_at = now
    session.flush()
    record_event(session, actor, "night_request.close", "night_request", request.id,
                 patient_record_id=request.patient_record_id)
    return request


def escalate(session: Session, actor: Principal, request: NightRequest, data: EscalateIn, *,
             now: dt.datetime | None = None) -> NightRequest:
    """The doctor escalates to emergency transport: the request is handed to dispatch with its severity."""
    now = now or utcnow()
    _doctor_only(actor, request, "escalate")
    request.status = NightRequestStatus.ESCALATED
    request.escalated_at = now
    request.escalation_reason = data.reason
    request.messages.append(Message(author_user_id=actor.user_id, author_kind="system",
                                    body=f"escalated to emergency transport (level {data.severity})", sent_at=now))
    request.transport_ref = _dispatch(session, actor, request, data, now)
    session.flush()
    record_event(session, actor, "night_request.escalate", "night_request", request.id,
                 patient_record_id=request.patient_record_id,
                 details={"severity": data.severity, "transport": bool(request.transport_ref)})
    return request


def _dispatch(session: Session, actor: Principal, request: NightRequest, data: EscalateIn, now: dt.datetime) -> str:
    """Ask emergency transport for a vehicle from where the patient is (given with the request, else their
    clinic); the nearest suitable idle vehicle is sent at once. Returns the transport request's reference."""
    from medshare.transport import service as transport

    latitude, longitude = request.latitude, request.longitude
    if latitude is None or longitude is None:
        record = common.patient(session, request.patient_record_id)
        home = session.get(Institution, record.institution_id)
        latitude, longitude = home.latitude, home.longitude
    if latitude is None or longitude is None:
        raise InvalidInput.on("latitude", "patient-position", "the patient's position is unknown: ask for it first")
    trip = transport.request_transport(
        session, actor, latitude=latitude, longitude=longitude, level=data.severity, can_sit=data.can_sit,
        patient_record_id=request.patient_record_id, source="night_care", source_ref=f"night_request:{request.id}",
        note=data.reason, now=now)
    return f"transport:{trip.id}"


def list_requests(session: Session, actor: Principal, *, queue: str = "mine", status: str | None = None,
                  limit: int = 50, offset: int = 0, now: dt.datetime | None = None) -> tuple[list[NightRequest], int]:
    """The night-care queue: a doctor's routed requests ("mine"), waiting ones ("waiting"), a patient's own,
    or an institution's patients' ("institution")."""
    route_waiting(session, now=now)
    query = sa.select(NightRequest)
    if actor.patient_record_id is not None:
        query = query.where(NightRequest.patient_record_id == actor.patient_record_id)
    elif queue == "mine":
        if actor.practitioner_id is None:
            raise Forbidden("only a practitioner's account has a night-care queue")
        query = query.where(NightRequest.practitioner_id == actor.practitioner_id)
    elif queue == "waiting":
        if scope_of(actor, Permission.NIGHT_CARE_ANSWER) is None and scope_of(actor, Permission.ROTA_WRITE) is None:
            raise Forbidden("the waiting queue is for on-call doctors and rota managers")
        query = query.where(NightRequest.status == NightRequestStatus.WAITING)
    else:
        scope = scope_of(actor, Permission.NIGHT_CARE_REQUEST)
        if scope is None:
            raise Forbidden(f"the role {actor.role.value} lacks the permission "
                            f"{Permission.NIGHT_CARE_REQUEST.value}")
        if scope is not Scope.ANY:
            from medshare.identity.models import PatientRecord

            query = query.where(NightRequest.patient_record_id.in_(sa.select(PatientRecord.id).where(
                PatientRecord.institution_id == actor.institution_id)))
    if status:
        query = query.where(NightRequest.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.options(selectinload(NightRequest.messages))
                           .order_by(NightRequest.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
