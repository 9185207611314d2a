"""Use cases of triage: assess (recorded at an institution, or anonymously for the public page) and find care."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.errors import Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.optim.dispatch import nearest
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry.models import Institution, InstitutionStatus
from medshare.triage import rules
from medshare.triage.models import TriageAssessment
from medshare.triage.rules import CareLevel, TriageResult, Vitals


@dataclass(frozen=True)
class Place:
    """An institution that can receive the patient, and how far it is (straight line, km)."""

    id: int
    name: str
    name_en: str
    type: str
    grade_level: int | None
    grade_class: str | None
    latitude: float
    longitude: float
    distance_km: float


def nearest_institutions(session: Session, latitude: float, longitude: float, care: CareLevel,
                         needs_tertiary: bool = False, *, k: int = 3) -> list[Place]:
    """The k nearest active institutions that receive care (a KD-tree over them when there are many)."""
    rows = session.execute(
        sa.select(Institution.id, Institution.name, Institution.name_en, Institution.type, Institution.grade_level,
                  Institution.grade_class, Institution.latitude, Institution.longitude)
        .where(Institution.status == InstitutionStatus.ACTIVE, Institution.latitude.is_not(None),
               Institution.longitude.is_not(None))
    ).all()
    fit = [r for r in rows if rules.suitable(care, needs_tertiary, r.type.value, r.grade_level)]
    if not fit and care is not CareLevel.EMERGENCY_DEPARTMENT:  # nothing of that level: any hospital with an ED
        fit = [r for r in rows if rules.suitable(CareLevel.EMERGENCY_DEPARTMENT, False, r.type.value, r.grade_level)]
    if not fit:
        return []
    index, km = nearest(np.array([r.latitude for r in fit]), np.array([r.longitude for r in fit]),
                        latitude, longitude, k)
    return [Place(fit[i].id, fit[i].name, fit[i].name_en, fit[i].type.value, fit[i].grade_level,
                  fit[i].grade_class, fit[i].latitude, fit[i].longitude, round(float(d), 2))
            for i, d in zip(index, km, strict=True)]


def check_position(latitude: float | None, longitude: float | None) -> None:
    """A position is a valid latitude and longitude, given together."""
    if latitude is None or longitude is None:
        raise InvalidInput.on("latitude", "required", "give the patient's latitude and longitude")
    if not -90 <= latitude <= 90:
        raise InvalidInput.on("latitude", "range", "must be between -90 and 90")
    if not -180 <= longitude <= 180:
        raise InvalidInput.on("longitude", "range", "must be between -180 and 180")


def evaluate(session: Session, vitals: Vitals, policy: str, latitude: float | None, longitude: float | None,
             *, k: int = 3) -> tuple[TriageResult, list[Place]]:
    """A triage result and where to go, without recording anything (the public page)."""
    result = rules.assess(vitals, policy)
    places = []
    if latitude is not None and longitude is not None:
        check_position(latitude, longitude)
        places = nearest_institutions(session, latitude, longitude, result.care, result.needs_tertiary, k=k)
    return result, places


def record_assessment(session: Session, actor: Principal, vitals: Vitals, *, policy: str = rules.DEFAULT_POLICY,
                      latitude: float | None = None, longitude: float | None = None,
                      institution_id: int | None = None, patient_record_id: int | None = None,
                      ) -> tuple[TriageAssessment, TriageResult, list[Place]]:
    """Assess a patient at an institution and record it; the patient's position defaults to the institution's."""
    institution_id = institution_id or actor.institution_id
    if institution_id is None:
        raise InvalidInput.on("institution_id", "required", "name the institution where the patient is assessed")
    authorize(actor, Permission.TRIAGE_ASSESS, institutions=[institution_id])
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise InvalidInput.on("institution_id", "exists", f"institution {institution_id} does not exist")
    if patient_record_id is not None:
        try:
            record = identity.load_patient_record(session, patient_record_id)
        except NotFound:
            raise InvalidInput.on("patient_record_id", "exists", "no such patient record") from None
        if record.institution_id != institution_id:
            raise InvalidInput.on("patient_record_id", "same-institution",
                                  "the patient record belongs to another institution")
    if latitude is None and longitude is None:
        latitude, longitude = institution.latitude, institution.longitude
    check_position(latitude, longitude)
    result, places = evaluate(session, vitals, policy, latitude, longitude)
    assessment = TriageAssessment(
        institution_id=institution_id, patient_record_id=patient_record_id, created_by_user_id=actor.user_id,
        policy=result.policy, level=result.level, fired=[f.code for f in result.fired],
        vitals={k: v for k, v in vitals.__dict__.items() if k not in ("complaint", "mobility") and v is not None},
        complaint=vitals.complaint, mobility=vitals.mobility, care=result.care, capability=result.capability,
        dispatch=result.dispatch, latitude=latitude, longitude=longitude,
        destination_institution_id=places[0].id if places else None)
    session.add(assessment)
    session.flush()
    record_event(session, actor, "triage.assess", "triage_assessment", assessment.id, institution_id=institution_id,
                 patient_record_id=patient_record_id, details={"policy": result.policy, "level": result.level})
    return assessment, result, places


def get_assessment(session: Session, actor: Principal, assessment_id: int) -> TriageAssessment:
    """A recorded assessment the actor may read (its institution's, or any for a region-wide account)."""
    assessment = session.get(TriageAssessment, assessment_id)
    if assessment is None:
        raise NotFound(f"triage assessment {assessment_id} does not exist")
    authorize(actor, Permission.TRIAGE_ASSESS, institutions=[assessment.institution_id])
    if assessment.patient_record_id is not None:
        record_event(session, actor, "triage.read", "triage_assessment", assessment.id,
                     institution_id=assessment.institution_id, patient_record_id=assessment.patient_record_id)
    return assessment


def list_assessments(session: Session, actor: Principal, *, limit: int = 20,
                     offset: int = 0) -> tuple[list[TriageAssessment], int]:
    """Recorded assessments, newest first, narrowed to the actor's institution unless region-wide."""
    scope = scope_of(actor, Permission.TRIAGE_ASSESS)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.TRIAGE_ASSESS.value}")
    query = sa.select(TriageAssessment)
    if scope is not Scope.ANY:
        query = query.where(TriageAssessment.institution_id == actor.institution_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(TriageAssessment.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total or 0
