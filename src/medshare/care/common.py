"""What the tiered-care use cases share: levels of care, practitioners' sites, audited patient reads, time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.errors import InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.identity.models import PatientRecord, PersonLink
from medshare.permissions import Principal
from medshare.registry.models import Institution, InstitutionStatus, InstitutionType, Practitioner, Registration

CARE_TYPES = (InstitutionType.TERTIARY_HOSPITAL, InstitutionType.SECONDARY_HOSPITAL, InstitutionType.PRIMARY_HOSPITAL,
              InstitutionType.COMMUNITY_HEALTH_CENTRE, InstitutionType.TOWNSHIP_HEALTH_CENTRE,
              InstitutionType.VILLAGE_CLINIC, InstitutionType.INDIVIDUAL_CLINIC)
PRIMARY_CARE = (InstitutionType.COMMUNITY_HEALTH_CENTRE, InstitutionType.TOWNSHIP_HEALTH_CENTRE,
                InstitutionType.VILLAGE_CLINIC, InstitutionType.PRIMARY_HOSPITAL)
# Seniority of titles, for choosing between equally free specialists.
SENIORITY = {"resident": 0, "attending": 1, "associate_chief": 2, "chief": 3}


def level_of(institution: Institution) -> int:
    """The level of care: the hospital grade, 0 for ungraded primary care (clinics, health centres)."""
    if institution.type is InstitutionType.TERTIARY_HOSPITAL:
        return 3
    if institution.type is InstitutionType.SECONDARY_HOSPITAL:
        return 2
    if institution.type in (InstitutionType.VILLAGE_CLINIC, InstitutionType.INDIVIDUAL_CLINIC):
        return 0
    return 1


def institution(session: Session, institution_id: int, field: str) -> Institution:
    """An active institution for field, or InvalidInput naming the field."""
    found = session.get(Institution, institution_id)
    if found is None:
        raise InvalidInput.on(field, "exists", f"institution {institution_id} does not exist")
    if found.status is not InstitutionStatus.ACTIVE:
        raise InvalidInput.on(field, "active-institution", f"institution {institution_id} is closed")
    return found


def practitioner(session: Session, practitioner_id: int, field: str = "practitioner_id") -> Practitioner:
    found = session.get(Practitioner, practitioner_id)
    if found is None:
        raise InvalidInput.on(field, "exists", f"practitioner {practitioner_id} does not exist")
    if not found.active:
        raise InvalidInput.on(field, "active-practitioner", f"practitioner {practitioner_id} is not active")
    return found


def live_registration(today: dt.date):
    """The SQL condition of a registration in force today."""
    return sa.and_(Registration.ended.is_(False), Registration.valid_from <= today, Registration.valid_to >= today)


def sites_of(session: Session, practitioner_: Practitioner, today: dt.date) -> list[int]:
    """Where a practitioner may practise today: the primary site, then live multi-site registrations."""
    extra = session.scalars(sa.select(Registration.institution_id).where(
        Registration.practitioner_id == practitioner_.id, live_registration(today))).all()
    return [practitioner_.primary_institution_id, *[i for i in extra if i != practitioner_.primary_institution_id]]


def patient(session: Session, record_id: int, field: str = "patient_record_id") -> PatientRecord:
    """A patient record for an input field (unchecked; the caller authorises)."""
    try:
        return identity.load_patient_record(session, record_id)
    except NotFound:
        raise InvalidInput.on(field, "exists", f"patient record {record_id} does not exist") from None


def same_person_records(session: Session, record_id: int) -> list[int]:
    """The records the master patient index links to the same person as record_id (itself included)."""
    person = session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == record_id))
    if person is None:
        return [record_id]
    return list(session.scalars(sa.select(PersonLink.patient_record_id).where(PersonLink.person_id == person)))


def audit_patients(session: Session, viewer: Principal, records: Iterable[PatientRecord], via: str) -> None:
    """Each patient a page or answer shows is an audited read."""
    for record in {r.id: r for r in records}.values():
        record_event(session, viewer, "patient.read", "patient_record", record.id,
                     institution_id=record.institution_id, patient_record_id=record.id, details={"via": via})


def names_of(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Institution names by id."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(Institution.id, Institution.name).where(Institution.id.in_(wanted))).all())
