"""The teleconsult desk: requests of the institution, consultations assigned to the signed-in specialist, the
request form, and the opinion form (signed with the specialist's certificate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.care import common, teleconsults
from medshare.care.schemas import TeleconsultIn
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.permissions import Permission, Principal, has
from medshare.registry.models import Practitioner
from medshare.web.core import CsrfChecked, Viewer, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormFields, attempt, build, for_create

router = APIRouter()
Requester = Annotated[Principal, page_require(Permission.TELECONSULT_REQUEST)]


@router.get("/teleconsults")
def desk(request: Request, session: AuditedReadSessionDep, viewer: Viewer):
    """Consultations the institution asked for, and those the signed-in specialist gives."""
    requested = teleconsults.list_teleconsults(session, viewer)[0] if has(viewer, Permission.TELECONSULT_REQUEST) \
        else []
    assigned = teleconsults.list_teleconsults(session, viewer, side="assigned")[0] if viewer.practitioner_id else []
    rows = [*requested, *assigned]
    patients = {t.patient_record_id: common.patient(session, t.patient_record_id) for t in rows}
    common.audit_patients(session, viewer, patients.values(), "teleconsult-desk")
    return render(request, "care/desk.html", {
        "requested": requested, "assigned": assigned, "patients": patients,
        "names": common.names_of(session, [t.specialist_institution_id for t in rows])})


@router.get("/teleconsults/new")
def desk_new(request: Request, session: SessionDep, viewer: Requester,
             patient: Annotated[str, Query(max_length=12)] = ""):
    """The request form."""
    return render(request, "care/teleconsult_new.html", {"values": {"patient_record_id": patient,
                                                                    "urgency": "routine"}, "errors": NO_ERRORS})


@router.post("/teleconsults/new", dependencies=[CsrfChecked])
def desk_create(request: Request, session: SessionDep, viewer: Requester, form: FormFields):
    """Ask the region's specialists; assigned to the least-loaded free one."""
    fields = ("patient_record_id", "specialty", "urgency", "case_summary", "video_link")
    tc, errors = attempt(session, lambda: teleconsults.request_teleconsult(
        session, viewer, build(TeleconsultIn, for_create(form, fields))))
    if errors:
        return render(request, "care/teleconsult_new.html", {"values": form, "errors": errors}, 422)
    return redirect(f"/teleconsults/{tc.id}", "teleconsult-requested")


def _page(request: Request, session, viewer: Principal, teleconsult_id: int, errors=NO_ERRORS, status_code=200):
    tc = teleconsults.read_teleconsult(session, viewer, teleconsult_id)
    patient = common.patient(session, tc.patient_record_id)
    common.audit_patients(session, viewer, [patient], "teleconsult")
    specialist = session.get(Practitioner, tc.specialist_id) if tc.specialist_id else None
    return render(request, "care/teleconsult.html", {
        "tc": tc, "patient": patient, "specialist": specialist, "errors": errors,
        "names": common.names_of(session, [tc.requester_institution_id, tc.specialist_institution_id]),
        "mine": viewer.practitioner_id is not None and viewer.practitioner_id == tc.specialist_id}, status_code)


@router.get("/teleconsults/{teleconsult_id}")
def desk_page(request: Request, session: AuditedReadSessionDep, viewer: Viewer, teleconsult_id: int):
    """One consultation: case, session, specialist and opinion."""
    return _page(request, session, viewer, teleconsult_id)


@router.post("/teleconsults/{teleconsult_id}/opinion", dependencies=[CsrfChecked])
def desk_opinion(request: Request, session: SessionDep, viewer: Viewer, teleconsult_id: int, form: FormFields):
    """The specialist's signed opinion."""
    tc = teleconsults.get_teleconsult(session, teleconsult_id)
    _, errors = attempt(session, lambda: teleconsults.give_opinion(
        session, viewer, tc, form.get("opinion", ""), secret=request.app.state.settings.resolved_secret_key()))
    if errors:
        return _page(request, session, viewer, teleconsult_id, errors, 422)
    return redirect(f"/teleconsults/{teleconsult_id}", "teleconsult-answered")


@router.post("/teleconsults/{teleconsult_id}/cancel", dependencies=[CsrfChecked])
def desk_cancel(request: Request, session: SessionDep, viewer: Requester, teleconsult_id: int):
    """Withdraw the request."""
    tc = teleconsults.get_teleconsult(session, teleconsult_id)
    _, errors = attempt(session, lambda: teleconsults.cancel_teleconsult(session, viewer, tc))
    if errors:
        return _page(request, session, viewer, teleconsult_id, errors, 422)
    return redirect(f"/teleconsults/{teleconsult_id}", "teleconsult-cancelled")
