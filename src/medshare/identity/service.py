"""Use cases of local patient records; every read of one is audited, every change linked to a person."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import like_escaped
from medshare.errors import Conflict, NotFound
from medshare.identity import linkage, rules
from medshare.identity.models import PatientRecord
from medshare.identity.schemas import PatientRecordIn, PatientRecordPatch
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry import service as registry


def _clean(values: dict) -> dict:
    """Validated, normalised field values: national ID, phone and pinyin."""
    if values.get("national_id"):
        values["national_id"] = rules.check_national_id(
            values["national_id"], birth_date=values.get("birth_date"), sex=values.get("sex")
        )
    else:
        values["national_id"] = None
    if "phone" in values:
        values["phone"] = rules.check_phone(values["phone"] or "")
    if not values.get("name_pinyin") and values.get("name"):
        values["name_pinyin"] = rules.pinyin_of(values["name"])
    return values


def create_patient_record(session: Session, actor: Principal, data: PatientRecordIn) -> PatientRecord:
    """Register a patient at an institution."""
    authorize(actor, Permission.PATIENT_WRITE, institutions=[data.institution_id])
    registry.get_institution(session, data.institution_id)
    values = _clean(data.model_dump())
    exists = sa.select(PatientRecord.id).where(PatientRecord.institution_id == data.institution_id,
                                               PatientRecord.local_id == data.local_id)
    if session.scalar(exists) is not None:
        raise Conflict.on("local_id", "unique", "is already used at this institution")
    record = PatientRecord(**values)
    session.add(record)
    session.flush()
    record_event(session, actor, "patient.create", "patient_record", record.id,
                 institution_id=record.institution_id, patient_record_id=record.id)
    linkage.link_record(session, actor, record)
    return record


def update_patient_record(session: Session, actor: Principal, record: PatientRecord,
                          patch: PatientRecordPatch) -> PatientRecord:
    """Correct a patient's details; the ID is checked against the merged record."""
    authorize(actor, Permission.PATIENT_WRITE, institutions=[record.institution_id])
    changes = patch.model_dump(exclude_unset=True)
    fields = ("name", "name_pinyin", "sex", "birth_date", "national_id", "phone", "address")
    merged = {f: getattr(record, f) for f in fields} | changes
    if "name" in changes and "name_pinyin" not in changes:
        merged["name_pinyin"] = ""  # derived again from the new name
    for key, value in _clean(merged).items():
        setattr(record, key, value)
    session.flush()
    record_event(session, actor, "patient.update", "patient_record", record.id,
                 institution_id=record.institution_id, patient_record_id=record.id,
                 details={"fields": sorted(changes)})
    linkage.link_record(session, actor, record)
    return record


def deactivate_patient_record(session: Session, actor: Principal, record: PatientRecord) -> PatientRecord:
    """Mark a record inactive (a duplicate, a registration in error); medical records are kept."""
    authorize(actor, Permission.PATIENT_WRITE, institutions=[record.institution_id])
    record.active = False
    linkage.forget_keys(session, record)
    session.flush()
    record_event(session, actor, "patient.deactivate", "patient_record", record.id,
                 institution_id=record.institution_id, patient_record_id=record.id)
    return record


def load_patient_record(session: Session, record_id: int) -> PatientRecord:
    """The record without any check or audit: for writes, which authorise and audit themselves."""
    record = session.get(PatientRecord, record_id)
    if record is None:
        raise NotFound(f"patient record {record_id} does not exist")
    return record


def read_patient_record(session: Session, actor: Principal, record_id: int) -> PatientRecord:
    """A patient record the actor may read; the read is audited."""
    record = load_patient_record(session, record_id)
    authorize(actor, Permission.PATIENT_READ, institutions=[record.institution_id],
              patient_record_id=record.id)
    record_event(session, actor, "patient.read", "patient_record", record.id,
                 institution_id=record.institution_id, patient_record_id=record.id)
    return record


def search_patient_records(
    session: Session,
    actor: Principal,
    *,
    q: str = "",
    institution_id: int | None = None,
    national_id: str = "",
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[PatientRecord], int]:
    """Records the actor may read that match; each record returned is an audited read."""
    scope = scope_of(actor, Permission.PATIENT_READ)
    authorize(actor, Permission.PATIENT_READ, institutions=[actor.institution_id],
              patient_record_id=actor.patient_record_id)
    query = sa.select(PatientRecord)
    if scope is Scope.OWN_INSTITUTION:
        query = query.where(PatientRecord.institution_id == actor.institution_id)
    elif scope is Scope.OWN_RECORD:
        query = query.where(PatientRecord.id == actor.patient_record_id)
    if institution_id is not None:
        query = query.where(PatientRecord.institution_id == institution_id)
    if q:
        prefix = like_escaped(q) + "%"
        query = query.where(sa.or_(PatientRecord.name.like(prefix, escape="\\"),
                                   PatientRecord.name_pinyin.ilike(prefix, escape="\\"),
                                   PatientRecord.local_id == q))
    if national_id:
        query = query.where(PatientRecord.national_id == rules.normalise_national_id(national_id))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(PatientRecord.id).limit(limit).offset(offset)))
    for record in rows:
        record_event(session, actor, "patient.read", "patient_record", record.id,
                     institution_id=record.institution_id, patient_record_id=record.id,
                     details={"via": "search"})
    return rows, total
