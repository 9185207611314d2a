"""Supervision desks: regulators' cases, complaints, remediation requests and blacklist; an institution's own
standing, the cases it must answer and its remediation request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import DomainError, InvalidInput
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.supervision import cases, complaints, directory
from medshare.supervision.models import ActionKind, ComplaintStatus, RemediationStatus, SanctionKind
from medshare.supervision.standing import institution_subject, practitioner_subject, standing_of
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormFields, attempt
from medshare.web.supervision.common import word, yuan

router = APIRouter()
Regulator = Annotated[Principal, page_require(Permission.SUPERVISION_ACT)]
Reader = Annotated[Principal, page_require(Permission.SUPERVISION_READ)]
Answerer = Annotated[Principal, page_require(Permission.SUPERVISION_ANSWER)]


def _names(session: Session, ids) -> dict[int, str]:
    out = {}
    for ident in set(ids):
        try:
            out[ident] = registry.get_institution(session, ident).name
        except DomainError:  # a missing name is shown as its id
            out[ident] = str(ident)
    return out


def _int(value: str, field: str) -> int:
    if not value.strip().isdigit():
        raise InvalidInput.on(field, "integer", "a whole number is needed")
    return int(value)


def _date(value: str, field: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput.on(field, "date", "a date as YYYY-MM-DD") from error


def _desk(request: Request, session: Session, viewer: Principal, values: dict, errors, status: int = 200):
    open_cases, total = cases.list_cases(session, viewer, limit=50)
    queue = [c for status in (ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING)
             for c in complaints.list_complaints(session, status=status, limit=30)[0]]
    remediations = cases.list_remediations(session, status=RemediationStatus.PENDING)
    blacklisted = directory.blacklist(session)
    ids = [c.institution_id for c in open_cases] + [c.institution_id for c in queue] + [
        r.institution_id for r in remediations if r.institution_id] + [
        b["id"] for b in blacklisted if b["kind"] == "institution"]
    return render(request, "supervision/desk.html", {
        "cases": open_cases, "cases_total": total, "complaints": queue, "remediations": remediations,
        "blacklisted": blacklisted, "names": _names(session, ids), "values": values, "errors": errors,
        "department": cases.department_of(session, viewer), "summary": complaints.aggregate(session),
        "word": word}, status_code=status)


@router.get("/supervision")
def desk(request: Request, session: SessionDep, viewer: Regulator):
    """The regulator's desk: open cases, complaints to handle, remediation requests, the blacklist."""
    return _desk(request, session, viewer, {}, NO_ERRORS)


@router.post("/supervision/cases", dependencies=[CsrfChecked])
def case_open(request: Request, session: SessionDep, viewer: Regulator, form: FormFields):
    """Open a joint case about an institution."""
    def start():
        practitioner = form.get("practitioner_id", "").strip()
        return cases.open_case(session, viewer, institution_id=_int(form.get("institution_id", ""), "institution_id"),
                               title=form.get("title", "").strip() or "-",
                               practitioner_id=_int(practitioner, "practitioner_id") if practitioner else None,
                               finding=form.get("finding", "").strip())

    case, errors = attempt(session, start)
    if errors:
        return _desk(request, session, viewer, form, errors, 422)
    return redirect(f"/supervision/cases/{case.id}")


def _case_page(request, session, viewer, case_id, values, errors, status=200):
    case = cases.read_case(session, viewer, case_id)
    from medshare.permissions import has

    return render(request, "supervision/case.html", {
        "case": case, "actions": cases.actions_of(session, case.id),
        "sanctions": cases.sanctions_of(session, case_id=case.id),
        "institution": registry.get_institution(session, case.institution_id),
        "regulator": has(viewer, Permission.SUPERVISION_ACT), "values": values, "errors": errors,
        "regulator_kinds": ["finding", "sanction", "fine", "suspension", "appeal_upheld", "appeal_dismissed",
                            "closure"],
        "sanction_kinds": [SanctionKind.WARNING, SanctionKind.LICENCE_REVOCATION, SanctionKind.BLACKLIST],
        "word": word, "yuan": yuan}, status_code=status)


@router.get("/supervision/cases/{case_id}")
def case_page(request: Request, session: SessionDep, viewer: Reader, case_id: int):
    """One case: every action with its department, the sanctions, and the forms to act or answer."""
    return _case_page(request, session, viewer, case_id, {}, NO_ERRORS)


@router.post("/supervision/cases/{case_id}/actions", dependencies=[CsrfChecked])
def case_act(request: Request, session: SessionDep, viewer: Reader, case_id: int, form: FormFields):
    """A regulator's action or the institution's response or appeal."""
    case = cases.read_case(session, viewer, case_id)

    def step():
        kind = form.get("kind", "")
        if kind not in {k.value for k in ActionKind}:
            raise InvalidInput.on("kind", "known-action", "choose an action")
        sanction_kind = form.get("sanction_kind", "")
        fine = form.get("fine_yuan", "").strip()
        sanction_id = form.get("sanction_id", "").strip()
        return cases.act(session, viewer, case, kind=ActionKind(kind), text=form.get("text", "").strip(),
                         sanction_kind=SanctionKind(sanction_kind) if sanction_kind in SanctionKind._value2member_map_
                         else None,
                         fine_fen=round(float(fine) * 100) if fine.replace(".", "", 1).isdigit() else 0,
                         ends_on=_date(form.get("ends_on", ""), "ends_on"),
                         on_practitioner=form.get("on_practitioner") == "1",
                         sanction_id=int(sanction_id) if sanction_id.isdigit() else None)

    _, errors = attempt(session, step)
    if errors:
        return _case_page(request, session, viewer, case_id, form, errors, 422)
    return redirect(f"/supervision/cases/{case_id}")


@router.post("/supervision/complaints/{complaint_id}/handle", dependencies=[CsrfChecked])
def complaint_handle(request: Request, session: SessionDep, viewer: Regulator, complaint_id: int, form: FormFields):
    """Move a complaint on: investigating, substantiated or unsubstantiated."""
    row = complaints.get_complaint(session, complaint_id)

    def step():
        status = form.get("status", "")
        if status not in ComplaintStatus._value2member_map_:
            raise InvalidInput.on("status", "known-status", "choose a status")
        return complaints.handle(session, viewer, row, status=ComplaintStatus(status),
                                 resolution=form.get("resolution", "").strip())

    _, errors = attempt(session, step)
    if errors:
        return _desk(request, session, viewer, form, errors, 422)
    return redirect("/supervision")


@router.post("/supervision/remediations/{remediation_id}/decision", dependencies=[CsrfChecked])
def remediation_decide(request: Request, session: SessionDep, viewer: Regulator, remediation_id: int,
                       form: FormFields):
    """Approve (the blacklist is lifted) or reject a remediation request."""
    row = cases.get_remediation(session, remediation_id)
    _, errors = attempt(session, lambda: cases.decide_remediation(
        session, viewer, row, approve=form.get("decision") == "approve", note=form.get("note", "").strip()))
    if errors:
        return _desk(request, session, viewer, form, errors, 422)
    return redirect("/supervision")


def _standing_page(request, session, viewer, values, errors, status=200):
    institution_id = viewer.institution_id
    institution = registry.get_institution(session, institution_id)
    own_cases, _ = cases.list_cases(session, viewer, limit=50)
    staff, _ = registry.search_practitioners(session, institution_id=institution_id, limit=200)
    staff_standing = directory.levels(session, practitioner_ids=[p.id for p in staff])
    flagged = [(p, staff_standing[practitioner_subject(p.id)]) for p in staff
               if staff_standing[practitioner_subject(p.id)].blacklisted]
    subjects = [institution_subject(institution_id)] + [practitioner_subject(p.id) for p, _ in flagged]
    return render(request, "supervision/standing.html", {
        "institution": institution, "standing": standing_of(session, institution_id=institution_id),
        "trust": directory.institution_trust(session, institution_id), "cases": own_cases, "flagged": flagged,
        "remediations": cases.list_remediations(session, subjects=subjects), "values": values, "errors": errors,
        "word": word, "yuan": yuan}, status_code=status)


@router.get("/standing")
def standing_page(request: Request, session: SessionDep, viewer: Answerer):
    """The institution's own standing, the cases it must answer and its remediation requests."""
    return _standing_page(request, session, viewer, {}, NO_ERRORS)


@router.post("/standing/remediations", dependencies=[CsrfChecked])
def remediation_request(request: Request, session: SessionDep, viewer: Answerer, form: FormFields):
    """Ask to leave the blacklist, for the institution or one of its practitioners."""
    def step():
        practitioner = form.get("practitioner_id", "").strip()
        return cases.request_remediation(
            session, viewer, plan=form.get("plan", "").strip(),
            institution_id=None if practitioner else viewer.institution_id,
            practitioner_id=_int(practitioner, "practitioner_id") if practitioner else None)

    _, errors = attempt(session, step)
    if errors:
        return _standing_page(request, session, viewer, form, errors, 422)
    return redirect("/standing")


@router.get("/supervision/credit")
def credit_page(request: Request, session: SessionDep, viewer: Regulator):
    """Credit across the region: institutions by level, the lowest scores with their reasons, the policy."""
    import sqlalchemy as sa

    from medshare.i18n import gettext
    from medshare.registry.models import Institution
    from medshare.supervision.standing import policy, standings

    rows = session.execute(sa.select(Institution.id, Institution.name).order_by(Institution.id)).all()
    values = policy(session)
    found = standings(session, [institution_subject(i) for i, _ in rows], policy_values=values)
    levels = [name for name, _ in values["levels"]]
    counts = [sum(1 for s in found.values() if s.level == level) for level in levels]
    lowest = sorted(((found[institution_subject(i)], i, name) for i, name in rows), key=lambda t: t[0].score)[:20]
    return render(request, "supervision/credit.html", {
        "levels": list(zip(levels, counts, strict=True)), "lowest": [t for t in lowest if t[0].score < 100],
        "policy": values, "total": len(rows),
        "chart": {"title": gettext("Institutions by credit level"), "levels": levels, "counts": counts}})


@router.post("/supervision/credit/refresh", dependencies=[CsrfChecked])
def credit_refresh(request: Request, session: SessionDep, viewer: Regulator):
    """Derive credit events from the region's data now (expired licences, no-shows, quality control, referrals)."""
    from medshare.audit.service import record_event
    from medshare.supervision import credit

    added = credit.refresh(session)
    record_event(session, viewer, "supervision.credit.refreshed", "supervision_credit", "region",
                 details={"added": added})
    return redirect("/supervision/credit")
