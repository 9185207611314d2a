"""The ordering page: pick a patient and an item, see the recognisable prior results, accept one or repeat
with a reason; and the patient's own page of decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import DomainError
from medshare.identity import service as identity
from medshare.identity.models import PatientRecord
from medshare.permissions import Permission, Principal
from medshare.recognition import service as recognition
from medshare.recognition.models import Decision, RecognitionCheck, RepeatReason
from medshare.registry import service as registry
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, Viewer, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt
from medshare.web.recognition import common

router = APIRouter()
Orderer = Annotated[Principal, page_require(Permission.RECOGNITION_CHECK)]
PATIENT_OPTIONS = 20


def _patient_label(record: PatientRecord) -> str:
    born = record.birth_date.isoformat() if record.birth_date else ""
    return " · ".join(part for part in (record.name, record.local_id, born) if part)


def _items(session):
    return [(i.code, f"{common.item_name(i)} · {common.word(common.CATEGORIES, i.category)} · "
             f"{i.validity_days} d") for i in recognition.list_items(session)]


def _order_page(request: Request, session, viewer: Principal, values: dict, errors: FormErrors,
                status_code: int = 200):
    in_viewers_language(request)
    patient = None
    if values.get("patient_record_id", "").isdigit():
        try:
            patient = identity.read_patient_record(session, viewer, int(values["patient_record_id"]))
        except DomainError:
            patient = None
    return render(request, "recognition/order.html", {
        "values": values, "errors": errors, "items": _items(session), "patient": patient,
        "patient_label": _patient_label(patient) if patient else "", "tab": "order"}, status_code)


@router.get("/recognition/order")
def order_form(request: Request, session: SessionDep, viewer: Orderer,
               patient: Annotated[str, Query(max_length=12)] = ""):
    """The ordering form: a patient of the viewer's institution and an item of the catalogue."""
    return _order_page(request, session, viewer, {"patient_record_id": patient}, NO_ERRORS)


@router.post("/recognition/patient-options", dependencies=[CsrfChecked])
def patient_options(request: Request, session: SessionDep, viewer: Orderer, form: FormFields):
    """The patient picker's <option>s for what was typed (a form post: names stay out of addresses)."""
    q = form.get("patient_q", "")[:100]
    rows = []
    if q:
        rows, _ = identity.search_patient_records(session, viewer, q=q, institution_id=viewer.institution_id,
                                                  limit=PATIENT_OPTIONS)
    return render(request, "scheduling/_patient_options.html", {
        "options": [(r.id, _patient_label(r)) for r in rows], "searched": bool(q)})


@router.post("/recognition/order", dependencies=[CsrfChecked])
def order(request: Request, session: SessionDep, viewer: Orderer, form: FormFields):
    """Look up the patient's prior results for the item; the check page shows them."""
    def run():
        if not form.get("patient_record_id", "").isdigit():
            raise DomainError.on("patient_record_id", "required", "choose a patient of your institution")
        return recognition.check(session, viewer, patient_record_id=int(form["patient_record_id"]),
                                 item_code=form.get("item_code", ""))
    done, errors = attempt(session, run)
    if errors:
        return _order_page(request, session, viewer, form, errors, 422)
    return redirect(f"/recognition/checks/{done.id}")


def _check_page(request: Request, session, viewer: Principal, row: RecognitionCheck, *,
                errors: FormErrors = NO_ERRORS, values: dict | None = None, status_code: int = 200):
    in_viewers_language(request)
    item = recognition.get_item(session, row.item_id)
    names = {i: registry.get_institution(session, i).name
             for i in {c["institution_id"] for c in row.candidates} | {row.institution_id} if i}
    patient = identity.load_patient_record(session, row.patient_record_id)
    return render(request, "recognition/check.html", {
        "check": row, "item": item, "item_name": common.item_name(item), "names": names,
        "patient_label": _patient_label(patient), "errors": errors, "values": values or {},
        "why": {c["why"]: common.word(common.WHY, c["why"]) for c in row.candidates},
        "reasons": [(r.value, common.word(common.REASONS, r)) for r in RepeatReason],
        "decision": common.word(common.DECISIONS, row.decision),
        "reason_text": common.word(common.REASONS, row.repeat_reason) if row.repeat_reason else "",
        "fee": common.yuan(item.fee_fen), "pending": row.decision is Decision.PENDING, "tab": "order",
    }, status_code)


# The page shows patient data (the prior results): it was audited when looked up, and is again when shown.
@router.get("/recognition/checks/{check_id}")
def check_page(request: Request, session: AuditedReadSessionDep, viewer: Orderer, check_id: int):
    """A check: each prior result with why it is or is not recognisable, and the decision."""
    return _check_page(request, session, viewer, recognition.read_check(session, viewer, check_id))


@router.post("/recognition/checks/{check_id}/accept", dependencies=[CsrfChecked])
def accept(request: Request, session: SessionDep, viewer: Orderer, check_id: int, form: FormFields):
    """Fulfil the order by the chosen prior result."""
    row = recognition.read_check(session, viewer, check_id)
    kind, _, result_id = form.get("result", "").partition(":")

    def run():
        if not result_id.isdigit():
            raise DomainError.on("result", "required", "choose the prior result to accept")
        return recognition.accept(session, viewer, row, result_kind=kind, result_id=int(result_id))
    _, errors = attempt(session, run)
    if errors:
        row = recognition.get_check(session, check_id)
        return _check_page(request, session, viewer, row, errors=errors, status_code=422)
    return redirect(f"/recognition/checks/{check_id}")


@router.post("/recognition/checks/{check_id}/repeat", dependencies=[CsrfChecked])
def repeat(request: Request, session: SessionDep, viewer: Orderer, check_id: int, form: FormFields):
    """Order the exam again, with the reason when a recognisable result was on offer."""
    row = recognition.read_check(session, viewer, check_id)
    _, errors = attempt(session, lambda: recognition.repeat(session, viewer, row, reason=form.get("reason") or None,
                                                            note=form.get("note", "")))
    if errors:
        row = recognition.get_check(session, check_id)
        return _check_page(request, session, viewer, row, errors=errors, values=form, status_code=422)
    return redirect(f"/recognition/checks/{check_id}")


@router.get("/recognition/mine")
def my_decisions(request: Request, session: AuditedReadSessionDep, viewer: Viewer):
    """A patient's page: which earlier results spared an exam, and why any exam was repeated."""
    in_viewers_language(request)
    rows = recognition.decisions_for_patient(session, viewer)
    items = {i.id: i for i in recognition.list_items(session, include_inactive=True)}
    names = {i: registry.get_institution(session, i).name
             for i in {r.institution_id for r in rows} | {r.accepted_institution_id for r in rows} if i}
    shown = [{"row": r, "item": common.item_name(items[r.item_id]),
              "decision": common.word(common.DECISIONS, r.decision),
              "reason": common.word(common.REASONS, r.repeat_reason) if r.repeat_reason else "",
              "saved": common.yuan(r.fee_fen) if r.decision is Decision.ACCEPTED else ""} for r in rows]
    return render(request, "recognition/mine.html", {"rows": shown, "names": names})
