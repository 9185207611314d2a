"""JSON API of triage: the tables (public) and assessments recorded by clinic staff.

Patients triage themselves on the public page /triage, which records nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, status

from medshare.deps import AuditedReadSessionDep, CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.schemas import Page
from medshare.triage import rules
from medshare.triage import service as triage
from medshare.triage.schemas import AssessmentIn, AssessmentOut, CriterionOut, LevelOut, PolicyOut, ResultOut

router = APIRouter(prefix="/api/v1", tags=["triage"])
Assessor = Annotated[Principal, require(Permission.TRIAGE_ASSESS)]


def result_out(result: rules.TriageResult, places: list[triage.Place]) -> ResultOut:
    """A triage result with the nearest institutions that receive the patient."""
    return ResultOut(**{**asdict(result), "fired": [asdict(f) for f in result.fired],
                        "institutions": [asdict(p) for p in places]})


@router.get("/triage/policies", response_model=list[PolicyOut], summary="The triage tables and their thresholds")
def policies():
    return [PolicyOut(code=p.code, title=p.title, levels=[LevelOut(**asdict(s)) for s in p.levels],
                      criteria=[CriterionOut(code=c.code, level=c.level, field=c.field, op=c.op,
                                             threshold=list(c.threshold) if isinstance(c.threshold, tuple)
                                             else c.threshold) for c in p.criteria])
            for p in rules.POLICIES.values()]


@router.post("/triage/assessments", response_model=AssessmentOut, status_code=status.HTTP_201_CREATED,
             summary="Triage a patient at an institution: level, criteria fired, care, nearest institutions, transport")
def assess(session: SessionDep, data: AssessmentIn, actor: Assessor):
    assessment, result, places = triage.record_assessment(
        session, actor, data.vitals(), policy=data.policy, latitude=data.latitude, longitude=data.longitude,
        institution_id=data.institution_id, patient_record_id=data.patient_record_id)
    out = AssessmentOut.model_validate(assessment)
    out.result = result_out(result, places)
    return out


@router.get("/triage/assessments", response_model=Page[AssessmentOut], summary="Recorded assessments, newest first")
def list_assessments(session: SessionDep, page: PageParams, actor: CurrentPrincipal):
    rows, total = triage.list_assessments(session, actor, **page)
    return Page(items=[AssessmentOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/triage/assessments/{assessment_id}", response_model=AssessmentOut, summary="Read an assessment")
def read_assessment(session: AuditedReadSessionDep, assessment_id: int, actor: CurrentPrincipal):
    return AssessmentOut.model_validate(triage.get_assessment(session, actor, assessment_id))
