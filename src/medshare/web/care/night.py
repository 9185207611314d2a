"""Night care pages: the rota with its coming gaps, the on-call queue, a patient's request form and each
request's thread with the doctor's close and escalate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.care import common, nightcare
from medshare.care.schemas import EscalateIn, NightRequestIn, ShiftIn
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal
from medshare.registry.models import Practitioner
from medshare.web.assets.common import parse_instant
from medshare.web.core import CsrfChecked, Viewer, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormFields, attempt, build

router = APIRouter()
RotaManager = Annotated[Principal, page_require(Permission.ROTA_WRITE)]
NightPatient = Annotated[Principal, page_require(Permission.NIGHT_CARE_REQUEST)]


def _rota(request: Request, session, viewer: Principal, values: dict, errors=NO_ERRORS, status_code: int = 200):
    now = dt.datetime.now(dt.UTC)
    shifts = nightcare.list_shifts(session, start=now, end=now + dt.timedelta(days=7))
    doctors = {p.id: p for p in session.query(Practitioner).filter(
        Practitioner.id.in_({s.practitioner_id for s in shifts}))} if shifts else {}
    return render(request, "care/rota.html", {
        "shifts": shifts, "doctors": doctors, "gaps": nightcare.coverage_gaps(session, start=now, days=7),
        "needed": nightcare.NEEDED, "names": common.names_of(session, [s.institution_id for s in shifts]),
        "values": values, "errors": errors}, status_code)


@router.get("/rota")
def rota(request: Request, session: SessionDep, viewer: Viewer):
    """The coming week's night-care rota and the gaps in its coverage, flagged before they happen."""
    return _rota(request, session, viewer, {"institution_id": viewer.institution_id or ""})


@router.post("/rota/shifts", dependencies=[CsrfChecked])
def add_shift(request: Request, session: SessionDep, viewer: RotaManager, form: FormFields):
    """Put a doctor on call."""
    def act():
        values = {k: form.get(k, "") for k in ("practitioner_id", "institution_id")}
        values["starts_at"] = parse_instant(form.get("starts_at", ""), "starts_at")
        values["ends_at"] = parse_instant(form.get("ends_at", ""), "ends_at")
        return nightcare.add_shift(session, viewer, build(ShiftIn, values))

    _, errors = attempt(session, act)
    if errors:
        return _rota(request, session, viewer, form, errors, 422)
    return redirect("/rota", "shift-added")


@router.post("/rota/shifts/{shift_id}/cancel", dependencies=[CsrfChecked])
def cancel_shift(request: Request, session: SessionDep, viewer: RotaManager, shift_id: int):
    """Take a shift off the rota."""
    shift = nightcare.get_shift(session, shift_id)
    _, errors = attempt(session, lambda: nightcare.cancel_shift(session, viewer, shift))
    if errors:
        return _rota(request, session, viewer, {}, errors, 422)
    return redirect("/rota", "shift-cancelled")


@router.get("/night-care")
def queue(request: Request, session: AuditedReadSessionDep, viewer: Viewer,
          queue: Annotated[str, Query(pattern="^(mine|waiting|institution)$")] = "mine"):
    """The on-call doctor's queue, the waiting requests, or a patient's own requests."""
    if viewer.practitioner_id is None and viewer.patient_record_id is None and queue == "mine":
        queue = "institution"
    rows, _total = nightcare.list_requests(session, viewer, queue=queue)
    patients = {r.patient_record_id: common.patient(session, r.patient_record_id) for r in rows}
    common.audit_patients(session, viewer, patients.values(), "night-care")
    return render(request, "care/night_queue.html", {"requests": rows, "patients": patients, "queue": queue})


@router.get("/night-care/new")
def night_new(request: Request, session: SessionDep, viewer: NightPatient):
    """The online request form."""
    values = {"patient_record_id": viewer.patient_record_id or "", "specialty": "全科"}
    return render(request, "care/night_new.html", {"values": values, "errors": NO_ERRORS})


@router.post("/night-care/new", dependencies=[CsrfChecked])
def night_create(request: Request, session: SessionDep, viewer: NightPatient, form: FormFields):
    """Send the request; it goes to the doctor on call of the matching specialty with the shortest queue."""
    values = {k: form[k] for k in ("patient_record_id", "specialty", "complaint") if form.get(k)}
    created, errors = attempt(session, lambda: nightcare.create_request(session, viewer, build(NightRequestIn,
                                                                                               values)))
    if errors:
        return render(request, "care/night_new.html", {"values": form, "errors": errors}, 422)
    return redirect(f"/night-care/{created.id}", "night-request-sent")


def _thread(request: Request, session, viewer: Principal, request_id: int, errors=NO_ERRORS, status_code=200):
    item = nightcare.read_request(session, viewer, request_id)
    patient = common.patient(session, item.patient_record_id)
    common.audit_patients(session, viewer, [patient], "night-care")
    doctor = session.get(Practitioner, item.practitioner_id) if item.practitioner_id else None
    return render(request, "care/night_request.html", {
        "item": item, "patient": patient, "doctor": doctor, "errors": errors,
        "is_doctor": viewer.practitioner_id is not None and viewer.practitioner_id == item.practitioner_id},
        status_code)


@router.get("/night-care/{request_id}")
def thread(request: Request, session: AuditedReadSessionDep, viewer: Viewer, request_id: int):
    """A request and its message thread."""
    return _thread(request, session, viewer, request_id)


@router.post("/night-care/{request_id}/messages", dependencies=[CsrfChecked])
def message(request: Request, session: SessionDep, viewer: Viewer, request_id: int, form: FormFields):
    """Write in the thread."""
    item = nightcare.get_request(session, request_id)
    def act():
        if not form.get("body"):
            raise InvalidInput.on("body", "required", "write a message")
        return nightcare.post_message(session, viewer, item, form["body"][:4000])

    _, errors = attempt(session, act)
    if errors:
        return _thread(request, session, viewer, request_id, errors, 422)
    return redirect(f"/night-care/{request_id}")


@router.post("/night-care/{request_id}/close", dependencies=[CsrfChecked])
def close(request: Request, session: SessionDep, viewer: Viewer, request_id: int):
    """The doctor closes a request answered online."""
    item = nightcare.get_request(session, request_id)
    _, errors = attempt(session, lambda: nightcare.close_request(session, viewer, item))
    if errors:
        return _thread(request, session, viewer, request_id, errors, 422)
    return redirect(f"/night-care/{request_id}", "night-request-closed")


@router.post("/night-care/{request_id}/escalate", dependencies=[CsrfChecked])
def escalate(request: Request, session: SessionDep, viewer: Viewer, request_id: int, form: FormFields):
    """The doctor escalates to emergency transport."""
    item = nightcare.get_request(session, request_id)
    values = {"reason": form.get("reason", ""), "severity": form.get("severity") or 2,
              "can_sit": bool(form.get("can_sit"))}
    _, errors = attempt(session, lambda: nightcare.escalate(session, viewer, item, build(EscalateIn, values)))
    if errors:
        return _thread(request, session, viewer, request_id, errors, 422)
    return redirect(f"/night-care/{request_id}", "night-request-escalated")
