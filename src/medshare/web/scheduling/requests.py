"""The referrer's pages: put a patient on the regional waiting list, follow the requests, cancel one, or book
one at once on its best slot in the region."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.audit.service import record_event
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import DomainError, FieldProblem, InvalidInput
from medshare.identity import service as identity
from medshare.identity.models import PatientRecord
from medshare.permissions import Permission, Principal
from medshare.scheduling import service as scheduling
from medshare.scheduling.models import ExamRequest
from medshare.scheduling.rules import RequestStatus
from medshare.scheduling.schemas import ExamRequestIn
from medshare.web.admin.common import picker_options
from medshare.web.assets.common import in_viewers_language, parse_instant
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create
from medshare.web.labels import choices
from medshare.web.paging import PAGE_SIZE, Pager, choice
from medshare.web.scheduling.common import assets_by_id, chosen_name, institution_names, urgency_choices

router = APIRouter()
Referrer = Annotated[Principal, page_require(Permission.EXAM_REQUEST_WRITE)]
FIELDS = ("patient_record_id", "modality", "exam_code", "urgency", "earliest_date", "max_travel_km", "latitude",
          "longitude", "preferred_owner_institution_id", "note")
INTS = ("patient_record_id", "preferred_owner_institution_id")
SHOWN = (*FIELDS, "capabilities", "prefer_own_hospital")
ALL = "all"  # the filter's word for every status: a blank one falls back to the waiting requests
PATIENT_OPTIONS = 20


def _audited_patients(session: Session, viewer: Principal, record_ids, via: str) -> dict[int, PatientRecord]:
    """The patients whose names a page shows: each one an audited read."""
    out = {}
    for record_id in set(record_ids):
        record = identity.load_patient_record(session, record_id)
        record_event(session, viewer, "patient.read", "patient_record", record.id,
                     institution_id=record.institution_id, patient_record_id=record.id, details={"via": via})
        out[record_id] = record
    return out


def _list_context(session: Session, viewer: Principal, status: str, page: int) -> dict:
    chosen = choice(status, RequestStatus)
    status = chosen.value if chosen else ALL
    rows, total = scheduling.list_requests(session, viewer, status=chosen.value if chosen else None,
                                           limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    booked = {r.id: bookings.get_booking(session, r.booking_id) for r in rows if r.booking_id}
    booked_assets = assets_by_id(session, [b.asset_id for b in booked.values()])
    return {
        "requests": rows, "pager": Pager(total, page), "query": {"status": status},
        "patients": _audited_patients(session, viewer, [r.patient_record_id for r in rows], "exam-requests"),
        "bookings": booked, "booked_assets": booked_assets,
        "owners": institution_names(session, [a.owner_institution_id for a in booked_assets.values()]),
        "statuses": list(RequestStatus), "now": dt.datetime.now(dt.UTC),
    }


# Patients' names are listed: each is an audited read, so even this GET writes.
@router.get("/exam-requests")
def request_list(request: Request, session: AuditedReadSessionDep, viewer: Referrer,
                 status: Annotated[str, Query(max_length=12)] = RequestStatus.OPEN.value,
                 page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The institution's exam requests on the regional waiting list, with their status and slot."""
    context = _list_context(session, viewer, status, page)
    template = "scheduling/_request_rows.html" if is_htmx(request) else "scheduling/requests.html"
    return render(request, template, context)


def _patient_label(record: PatientRecord) -> str:
    born = record.birth_date.isoformat() if record.birth_date else ""
    return " · ".join(part for part in (record.name, record.local_id, born) if part)


def _chosen_patient(session: Session, viewer: Principal, value: str) -> PatientRecord | None:
    """The patient a form sent back had chosen, to keep it selected (an audited read), if the viewer may see it."""
    if not value.isdigit():
        return None
    try:
        return identity.read_patient_record(session, viewer, int(value))
    except DomainError:  # gone, or another institution's: the picker starts empty
        return None


def _form_page(request: Request, session: Session, viewer: Principal, values: dict, errors: FormErrors,
               status_code: int = 200):
    in_viewers_language(request)
    patient = _chosen_patient(session, viewer, values.get("patient_record_id", ""))
    return render(request, "scheduling/request_new.html", {
        "values": values, "errors": errors, "shown": SHOWN,
        "patient": patient, "patient_label": _patient_label(patient) if patient else "",
        "modalities": choices("modality"),
        "urgencies": urgency_choices(), "policy": scheduling.policy(),
        "owner_options": picker_options(session),
        "owner_name": chosen_name(session, values.get("preferred_owner_institution_id", "")),
        "institution": institution_names(session, [viewer.institution_id]).get(viewer.institution_id, ""),
    }, status_code)


@router.get("/exam-requests/new")
def request_new(request: Request, session: SessionDep, viewer: Referrer,
                patient: Annotated[str, Query(max_length=12)] = ""):
    """The form that puts a patient of the viewer's institution on the regional waiting list."""
    today = dt.datetime.now(assets.region_tz()).date()
    values = {"urgency": "routine", "modality": "MRI", "earliest_date": today.isoformat(),
              "patient_record_id": patient}
    return _form_page(request, session, viewer, values, NO_ERRORS)


@router.post("/exam-requests/patient-options", dependencies=[CsrfChecked])
def patient_options(request: Request, session: SessionDep, viewer: Referrer, form: FormFields):
    """The <option>s of the patient picker for what was typed: the institution's records, each an audited read.

    A form post, not a query string: names stay out of addresses, history and logs.
    """
    q = form.get("patient_q", "")[:100]
    rows = []
    if q:
        rows, _ = identity.search_patient_records(session, viewer, q=q, institution_id=viewer.institution_id,
                                                  limit=PATIENT_OPTIONS)
    return render(request, "scheduling/_patient_options.html", {
        "options": [(r.id, _patient_label(r)) for r in rows], "searched": bool(q)})


def _request_in(form: dict[str, str]) -> ExamRequestIn:
    values = for_create(form, FIELDS, INTS)
    values["capabilities"] = [c.strip() for c in form.get("capabilities", "").replace("，", ",").split(",")
                              if c.strip()]
    values["prefer_own_hospital"] = bool(form.get("prefer_own_hospital"))
    if "patient_record_id" not in values:
        raise InvalidInput.on("patient_record_id", "required", "choose a patient of your institution")
    return build(ExamRequestIn, values)


@router.post("/exam-requests", dependencies=[CsrfChecked])
def request_create(request: Request, session: SessionDep, viewer: Referrer, form: FormFields):
    """Put the patient on the waiting list; a broken rule comes back beside its field, and nothing is written."""
    _, errors = attempt(session, lambda: scheduling.create_request(session, viewer, _request_in(form)))
    if errors:
        return _form_page(request, session, viewer, form, errors, 422)
    return redirect("/exam-requests", flash="exam-request-created")


def _list_with_errors(request: Request, session: Session, viewer: Principal, errors: FormErrors):
    context = _list_context(session, viewer, RequestStatus.OPEN.value, 1)
    return render(request, "scheduling/requests.html", context | {"errors": errors}, 409)


@router.post("/exam-requests/{request_id}/cancel", dependencies=[CsrfChecked])
def request_cancel(request: Request, session: SessionDep, viewer: Referrer, request_id: int):
    """Take an open request off the waiting list."""
    exam_request = scheduling.get_request(session, request_id)
    _, errors = attempt(session, lambda: scheduling.cancel_request(session, viewer, exam_request))
    if errors:
        return _list_with_errors(request, session, viewer, errors)
    return redirect("/exam-requests", flash="exam-request-cancelled")


def _best_slot_page(request: Request, session: Session, viewer: Principal, exam_request: ExamRequest, *,
                    errors: FormErrors = NO_ERRORS, status_code: int = 200):
    in_viewers_language(request)
    placement = None
    if exam_request.status is RequestStatus.OPEN:
        found, problems = attempt(session, lambda: scheduling.instant(session, viewer, exam_request, book=False))
        placement, errors = (found[0] if found else None), errors or problems
    asset = placement.asset if placement else None
    return render(request, "scheduling/best_slot.html", {
        "exam_request": exam_request, "placement": placement, "asset": asset, "errors": errors,
        "owner": institution_names(session, [asset.owner_institution_id]).get(asset.owner_institution_id)
        if asset else "",
        "in_time": placement is not None and placement.slot is not None and placement.slot.start <= exam_request.due_at,
        "urgencies": dict(urgency_choices()),
        "default_travel": scheduling.policy().max_travel_km,
    }, status_code)


@router.get("/exam-requests/{request_id}/best-slot")
def best_slot(request: Request, session: SessionDep, viewer: Referrer, request_id: int):
    """The request's best free slot in the region now, by the regional objective, to book on confirmation."""
    return _best_slot_page(request, session, viewer, scheduling.get_request(session, request_id))


@router.post("/exam-requests/{request_id}/book", dependencies=[CsrfChecked])
def book_best_slot(request: Request, session: SessionDep, viewer: Referrer, request_id: int, form: FormFields):
    """Book the best slot now; when the one shown was taken meanwhile, the next best is booked and said so."""
    exam_request = scheduling.get_request(session, request_id)
    done, errors = attempt(session, lambda: scheduling.instant(session, viewer, exam_request, book=True))
    booking = done[1] if done else None
    if errors or booking is None:
        exam_request = scheduling.get_request(session, request_id)
        if not errors:
            errors = FormErrors([FieldProblem("slot", "free-slot", "no free slot remains for this request")])
        return _best_slot_page(request, session, viewer, exam_request, errors=errors, status_code=409)
    shown = (form.get("asset_id", ""), form.get("starts_at", ""))
    same = shown[0] == str(booking.asset_id) and shown[1] and _same_instant(shown[1], booking.starts_at)
    return redirect("/exam-requests?status=booked", flash="exam-request-booked" if same else
                    "exam-request-booked-other")


def _same_instant(text: str, moment: dt.datetime) -> bool:
    try:
        return parse_instant(text, "starts_at") == moment.astimezone(dt.UTC)
    except DomainError:
        return False
