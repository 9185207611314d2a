"""The family-doctor panel: the institution's teams, a team's contracted residents with their follow-ups due
and overdue, and recording a follow-up (which may recommend an up-referral)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.care import common, family
from medshare.care.schemas import FollowUpIn
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.permissions import Permission, Principal
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormFields, attempt, build
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
FamilyDoctor = Annotated[Principal, page_require(Permission.FAMILY_DOCTOR_WRITE)]


@router.get("/care-teams")
def teams(request: Request, session: SessionDep, viewer: FamilyDoctor):
    """The family-doctor teams of the viewer's institution (every team for the platform)."""
    rows = family.list_teams(session, viewer)
    return render(request, "care/teams.html", {"teams": rows,
                                               "names": common.names_of(session, [t.institution_id for t in rows])})


def _panel(request: Request, session, viewer: Principal, team_id: int, state: str, page: int,
           errors=NO_ERRORS, status_code: int = 200, assessment=None):
    team = family.get_team(session, team_id)
    chosen = state if state in ("due", "overdue") else None
    result = family.panel(session, viewer, team, state=chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    patients = {c.patient_record_id: common.patient(session, c.patient_record_id) for _f, c, _s in
                result["follow_ups"]}
    common.audit_patients(session, viewer, patients.values(), "family-panel")
    return render(request, "care/panel.html", result | {
        "patients": patients, "pager": Pager(result["total"], page), "query": {"state": state},
        "errors": errors, "assessment": assessment}, status_code)


@router.get("/care-teams/{team_id}")
def panel(request: Request, session: AuditedReadSessionDep, viewer: FamilyDoctor, team_id: int,
          state: Annotated[str, Query(max_length=10)] = "",
          page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """A team's panel: contracts, follow-ups due and overdue, renewals coming up."""
    return _panel(request, session, viewer, team_id, state, page)


@router.post("/follow-ups/{follow_up_id}/record", dependencies=[CsrfChecked])
def record(request: Request, session: SessionDep, viewer: FamilyDoctor, follow_up_id: int, form: FormFields):
    """Record a follow-up's blood pressure (or other findings) and whether the condition is controlled."""
    follow_up = family.get_follow_up(session, follow_up_id)
    team_id = family.get_contract(session, follow_up.contract_id).team_id
    observations = {k: float(form[k]) for k in ("systolic_bp", "diastolic_bp", "glucose_mmol_l")
                    if form.get(k, "").replace(".", "", 1).isdigit()}
    result, errors = attempt(session, lambda: family.record_follow_up(session, viewer, follow_up, build(
        FollowUpIn, {"observations": observations, "controlled": bool(form.get("controlled"))})))
    if errors:
        return _panel(request, session, viewer, team_id, "", 1, errors, 422)
    _, assessment = result
    if assessment.direction is not None:
        return _panel(request, session, viewer, team_id, "", 1, assessment=(assessment,
                                                                            family.get_contract(
                                                                                session, follow_up.contract_id)))
    return redirect(f"/care-teams/{team_id}", "follow-up-recorded")
