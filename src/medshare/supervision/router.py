"""JSON API of supervision: public trust records and blacklist; regulators' cases, complaints, remediation,
credit policy; institutions' answers and appeals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.schemas import Page
from medshare.supervision import cases, complaints, credit, directory
from medshare.supervision.models import CaseStatus, ComplaintStatus
from medshare.supervision.schemas import (
    ActionIn,
    ActionOut,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    ComplaintOut,
    DecisionIn,
    DepartmentIn,
    HandleIn,
    RemediationIn,
    RemediationOut,
    SanctionOut,
    StandingOut,
    TrustOut,
)
from medshare.supervision.standing import policy

router = APIRouter(prefix="/api/v1", tags=["supervision"])


def _trust(record) -> TrustOut:
    return TrustOut(standing=StandingOut.model_validate(record.standing, from_attributes=True),
                    sanctions_in_force=[SanctionOut.model_validate(s) for s in record.sanctions_in_force],
                    sanctions_past=[SanctionOut.model_validate(s) for s in record.sanctions_past],
                    accreditations=record.accreditations, complaints=record.complaints)


@router.get("/institutions/{institution_id}/trust", response_model=TrustOut,
            summary="An institution's public trust record: credit, sanctions, accreditation, complaints (public)")
def institution_trust(session: SessionDep, institution_id: int):
    registry.get_institution(session, institution_id)
    return _trust(directory.institution_trust(session, institution_id))


@router.get("/practitioners/{practitioner_id}/trust", response_model=TrustOut,
            summary="A practitioner's public trust record (public)")
def practitioner_trust(session: SessionDep, practitioner_id: int):
    registry.get_practitioner(session, practitioner_id)
    return _trust(directory.practitioner_trust(session, practitioner_id))


@router.get("/blacklist", summary="Every institution and practitioner blacklisted today, with the reasons (public)")
def blacklist(session: SessionDep) -> list[dict]:
    return [{"kind": row["kind"], "id": row["id"], "level": row["standing"].level, "score": row["standing"].score,
             "reasons": row["standing"].reasons} for row in directory.blacklist(session)]


@router.get("/complaints/summary", summary="How public complaints were handled, in aggregate (public)")
def complaint_summary(session: SessionDep, institution_id: int | None = None) -> dict:
    return complaints.aggregate(session, institution_id=institution_id)


@router.get("/supervision/cases", response_model=Page[CaseOut], summary="Supervision cases (own institution's "
            "for its accounts)")
def list_cases(session: SessionDep, page: PageParams, actor: CurrentPrincipal,
               status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
               institution_id: int | None = None):
    rows, total = cases.list_cases(session, actor, status=status_, institution_id=institution_id, **page)
    return Page(items=[CaseOut.model_validate(c) for c in rows], total=total, **page)


def _detail(session, case) -> CaseDetailOut:
    sanctions = cases.sanctions_of(session, case_id=case.id)
    return CaseDetailOut(**CaseOut.model_validate(case).model_dump(),
                         actions=[ActionOut.model_validate(a) for a in cases.actions_of(session, case.id)],
                         sanctions=[SanctionOut.model_validate(s) for s in sanctions])


@router.post("/supervision/cases", response_model=CaseDetailOut, status_code=status.HTTP_201_CREATED,
             summary="Open a joint supervision case")
def open_case(session: SessionDep, data: CaseIn, actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]):
    case = cases.open_case(session, actor, institution_id=data.institution_id, title=data.title,
                           practitioner_id=data.practitioner_id, finding=data.finding)
    return _detail(session, case)


@router.get("/supervision/cases/{case_id}", response_model=CaseDetailOut, summary="A case with its actions")
def read_case(session: SessionDep, case_id: int, actor: CurrentPrincipal):
    return _detail(session, cases.read_case(session, actor, case_id))


@router.post("/supervision/cases/{case_id}/actions", response_model=ActionOut, status_code=status.HTTP_201_CREATED,
             summary="Act on a case: regulators find, sanction, fine, suspend, decide appeals, close; the "
                     "institution responds and appeals")
def act(session: SessionDep, case_id: int, data: ActionIn, actor: CurrentPrincipal):
    case = cases.read_case(session, actor, case_id)
    return cases.act(session, actor, case, **data.model_dump())


@router.get("/supervision/complaints", response_model=Page[ComplaintOut], summary="Public complaints to handle")
def list_complaints(session: SessionDep, page: PageParams,
                    _actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)],
                    status_: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
                    institution_id: int | None = None):
    rows, total = complaints.list_complaints(session, status=status_, institution_id=institution_id, **page)
    return Page(items=[ComplaintOut.model_validate(c) for c in rows], total=total, **page)


@router.post("/supervision/complaints/{complaint_id}/handle", response_model=ComplaintOut,
             summary="Investigate, substantiate or dismiss a complaint")
def handle_complaint(session: SessionDep, complaint_id: int, data: HandleIn,
                     actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]):
    row = complaints.get_complaint(session, complaint_id)
    return complaints.handle(session, actor, row, status=data.status, resolution=data.resolution)


@router.post("/supervision/remediations", response_model=RemediationOut, status_code=status.HTTP_201_CREATED,
             summary="Ask to leave the blacklist with a remediation plan")
def request_remediation(session: SessionDep, data: RemediationIn,
                        actor: Annotated[Principal, require(Permission.SUPERVISION_ANSWER)]):
    return cases.request_remediation(session, actor, plan=data.plan, institution_id=data.institution_id,
                                     practitioner_id=data.practitioner_id)


@router.post("/supervision/remediations/{remediation_id}/decision", response_model=RemediationOut,
             summary="Approve (lifts the blacklist) or reject a remediation")
def decide_remediation(session: SessionDep, remediation_id: int, data: DecisionIn,
                       actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]):
    row = cases.get_remediation(session, remediation_id)
    return cases.decide_remediation(session, actor, row, approve=data.approve, note=data.note)


@router.get("/supervision/standing", response_model=StandingOut, summary="Credit score, level and blacklisting")
def read_standing(session: SessionDep, _actor: CurrentPrincipal, institution_id: int | None = None,
                  practitioner_id: int | None = None):
    from medshare.errors import InvalidInput
    from medshare.supervision.standing import standing_of

    if (institution_id is None) == (practitioner_id is None):
        raise InvalidInput.on("institution_id", "one-subject", "name an institution or a practitioner")
    state = standing_of(session, institution_id=institution_id, practitioner_id=practitioner_id)
    return StandingOut.model_validate(state, from_attributes=True)


@router.get("/supervision/policy", summary="The region's credit and complaint policy")
def read_policy(session: SessionDep, _actor: Annotated[Principal, require(Permission.SUPERVISION_READ)]) -> dict:
    return policy(session)


@router.put("/supervision/policy", summary="Override the credit and complaint policy (merged over defaults)")
def write_policy(session: SessionDep, values: dict,
                 actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]) -> dict:
    return credit.set_policy(session, actor, values)


@router.post("/supervision/credit/refresh", summary="Derive credit events from the region's data now")
def refresh_credit(session: SessionDep, actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]) -> dict:
    from medshare.audit.service import record_event

    added = credit.refresh(session)
    record_event(session, actor, "supervision.credit.refreshed", "supervision_credit", "region",
                 details={"added": added})
    return {"added": added}


@router.put("/supervision/departments/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
            summary="Attach a regulator account to its department")
def set_department(session: SessionDep, user_id: int, data: DepartmentIn,
                   actor: Annotated[Principal, require(Permission.SUPERVISION_ACT)]) -> None:
    cases.set_department(session, actor, user_id, data.department)
