"""Patient records of the viewer's institution: search, register, correct. Every read is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.identity import service as identity
from medshare.identity.models import PatientRecord
from medshare.identity.schemas import PatientRecordIn, PatientRecordPatch
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.web.admin.common import picker_options
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create, for_patch, values_of
from medshare.web.labels import SEXES
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
FIELDS = ("institution_id", "local_id", "name", "name_pinyin", "sex", "birth_date", "national_id", "phone",
          "address")
EDITABLE = FIELDS[3:]
Reader = Annotated[Principal, page_require(Permission.PATIENT_READ)]
Writer = Annotated[Principal, page_require(Permission.PATIENT_WRITE)]


@router.get("/patients")
def patient_search_form(request: Request, viewer: Reader):
    """The patient search; nothing is listed (or read) until something is asked."""
    return render(request, "admin/patients.html", {"records": [], "pager": Pager(0, 1), "searched": False,
                                                   "query": {"q": "", "national_id": ""}})


@router.post("/patients/search", dependencies=[CsrfChecked])
def patient_search(request: Request, session: SessionDep, viewer: Reader, form: FormFields):
    """Records the viewer may read that match; each one shown is an audited read.

    A form post, not a query string: names and national IDs stay out of addresses, history and logs.
    """
    q, national_id = form.get("q", "")[:100], form.get("national_id", "")[:20]
    page = int(form["page"]) if form.get("page", "").isdigit() and int(form["page"]) > 0 else 1
    rows, total = [], 0
    if q or national_id:
        rows, total = identity.search_patient_records(session, viewer, q=q, national_id=national_id,
                                                      limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context = {"records": rows, "pager": Pager(total, page), "searched": bool(q or national_id),
               "query": {"q": q, "national_id": national_id}}
    template = "admin/_patient_rows.html" if is_htmx(request) else "admin/patients.html"
    return render(request, template, context)


def _new_page(request: Request, session, viewer: Principal, values: dict, errors: FormErrors,
              status_code: int = 200):
    own = registry.get_institution(session, viewer.institution_id) if viewer.institution_id else None
    return render(request, "admin/patient_new.html", {
        "values": values, "errors": errors, "sexes": list(SEXES), "own_institution": own,
        "options": [] if own else picker_options(session)}, status_code)


@router.get("/patients/new")
def patient_new(request: Request, session: SessionDep, viewer: Writer):
    """The form that registers a patient at the viewer's institution."""
    return _new_page(request, session, viewer, {"institution_id": str(viewer.institution_id or "")}, NO_ERRORS)


@router.post("/patients", dependencies=[CsrfChecked])
def patient_create(request: Request, session: SessionDep, viewer: Writer, form: FormFields):
    """Register a patient; an invalid national ID comes back naming the rule, and nothing is written."""
    record, errors = attempt(session, lambda: identity.create_patient_record(
        session, viewer, build(PatientRecordIn, for_create(form, FIELDS))))
    if errors:
        return _new_page(request, session, viewer, form, errors, 422)
    return redirect(f"/admin/patients/{record.id}", flash="patient-created")


def _edit_page(request: Request, record: PatientRecord, values: dict, errors: FormErrors,
               status_code: int = 200):
    return render(request, "admin/patient_edit.html",
                  {"record": record, "values": values, "errors": errors, "sexes": list(SEXES)}, status_code)


@router.get("/patients/{record_id}")
def patient_edit(request: Request, session: AuditedReadSessionDep, viewer: Reader, record_id: int):
    """One patient record (an audited read), with the correction form for those who may write."""
    record = identity.read_patient_record(session, viewer, record_id)
    return _edit_page(request, record, values_of(record, FIELDS), NO_ERRORS)


@router.post("/patients/{record_id}", dependencies=[CsrfChecked])
def patient_update(request: Request, session: SessionDep, viewer: Writer, record_id: int, form: FormFields):
    """Correct a record; the service checks the national ID against the merged details."""
    record = identity.load_patient_record(session, record_id)
    # Checked before the form is read, so a broken form never shows another institution's record.
    authorize(viewer, Permission.PATIENT_WRITE, institutions=[record.institution_id])
    _, errors = attempt(session, lambda: identity.update_patient_record(
        session, viewer, record, build(PatientRecordPatch, for_patch(form, EDITABLE, record))))
    if errors:
        record = identity.read_patient_record(session, viewer, record_id)  # shown again: an audited read
        return _edit_page(request, record, {**values_of(record, FIELDS), **form}, errors, 422)
    return redirect(f"/admin/patients/{record_id}", flash="patient-updated")
