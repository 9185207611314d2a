"""JSON API of local patient records; every read is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import AuditedReadSessionDep, PageParams, SessionDep, require
from medshare.identity import service
from medshare.identity.schemas import PatientRecordIn, PatientRecordOut, PatientRecordPatch
from medshare.permissions import Permission, Principal
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["patients"])


@router.get("/patients", response_model=Page[PatientRecordOut], summary="Search patient records")
def search_patients(
    session: AuditedReadSessionDep,
    page: PageParams,
    actor: Annotated[Principal, require(Permission.PATIENT_READ)],
    q: Annotated[str, Query(max_length=100, description="start of the name or pinyin, or the local ID")] = "",
    institution_id: int | None = None,
    national_id: Annotated[str, Query(max_length=18)] = "",
):
    rows, total = service.search_patient_records(
        session, actor, q=q, institution_id=institution_id, national_id=national_id, **page)
    return Page(items=[PatientRecordOut.model_validate(r) for r in rows], total=total, **page)


@router.post("/patients", response_model=PatientRecordOut, status_code=status.HTTP_201_CREATED,
             summary="Register a patient at an institution")
def create_patient(session: SessionDep, data: PatientRecordIn,
                   actor: Annotated[Principal, require(Permission.PATIENT_WRITE)]):
    return PatientRecordOut.model_validate(service.create_patient_record(session, actor, data))


@router.get("/patients/{record_id}", response_model=PatientRecordOut, summary="Read a patient record")
def read_patient(session: AuditedReadSessionDep, record_id: int,
                 actor: Annotated[Principal, require(Permission.PATIENT_READ)]):
    return PatientRecordOut.model_validate(service.read_patient_record(session, actor, record_id))


@router.patch("/patients/{record_id}", response_model=PatientRecordOut, summary="Correct a patient record")
def update_patient(session: SessionDep, record_id: int, patch: PatientRecordPatch,
                   actor: Annotated[Principal, require(Permission.PATIENT_WRITE)]):
    record = service.load_patient_record(session, record_id)
    return PatientRecordOut.model_validate(service.update_patient_record(session, actor, record, patch))


@router.delete("/patients/{record_id}", response_model=PatientRecordOut,
               summary="Deactivate a patient record (kept for the medical record)")
def deactivate_patient(session: SessionDep, record_id: int,
                       actor: Annotated[Principal, require(Permission.PATIENT_WRITE)]):
    record = service.load_patient_record(session, record_id)
    return PatientRecordOut.model_validate(service.deactivate_patient_record(session, actor, record))
