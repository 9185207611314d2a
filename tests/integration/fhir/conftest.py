"""A small region for the FHIR API: two hospitals, a doctor and an admin at each, one patient registered at both."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from medshare.accounts.models import Role
from medshare.db import transaction
from tests import factories as f


@pytest.fixture(scope="session")
def world(committed):
    """Hospital A and B, doctor A and B with tokens, a platform token, and one person with a record at each."""
    w = SimpleNamespace()
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        w.hospital_a = f.make_institution(session, admin).id
        w.hospital_b = f.make_institution(session, admin).id
        w.doctor_a = f.make_practitioner(session, admin, w.hospital_a).id
        w.doctor_b = f.make_practitioner(session, admin, w.hospital_b).id
        user_a = f.make_user(session, Role.PRACTITIONER, institution_id=w.hospital_a, practitioner_id=w.doctor_a)
        user_b = f.make_user(session, Role.PRACTITIONER, institution_id=w.hospital_b, practitioner_id=w.doctor_b)
        w.token_a, w.token_b = f.token_for(session, user_a), f.token_for(session, user_b)
        w.user_b = user_b.id
        w.platform = f.token_for(session, f.make_user(session, Role.PLATFORM_ADMIN))
        w.admin_a = f.token_for(session, f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=w.hospital_a))
        birth = dt.date(1975, 3, 9)
        nid = f.national_id(birth, male=False)
        w.national_id = nid
        w.patient_a = f.make_patient(session, admin, w.hospital_a, birth_date=birth, national_id=nid).id
        w.patient_b = f.make_patient(session, admin, w.hospital_b, birth_date=birth, national_id=nid).id
        patient_user = f.make_user(session, Role.PATIENT, patient_record_id=w.patient_a)
        w.patient_token = f.token_for(session, patient_user)
        w.admin = admin
    return w


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}


def observation(patient: str, code: str = "718-7", value: float = 132.0, **extra) -> dict:
    """A haemoglobin result (LOINC 718-7) of patient, in g/L."""
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": "Hemoglobin"}]},
            "subject": {"reference": patient}, "effectiveDateTime": "2026-11-01T08:30:00+08:00",
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"},
            "referenceRange": [{"low": {"value": 115, "unit": "g/L"}, "high": {"value": 150, "unit": "g/L"}}],
            **extra}
