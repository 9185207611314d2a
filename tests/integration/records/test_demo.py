"""The demo results history: deterministic, linked across institutions, and valid FHIR when served."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa
from fhir.resources.R4B.diagnosticreport import DiagnosticReport as FhirReport
from fhir.resources.R4B.observation import Observation as FhirObservation

from medshare.demo import records as demo
from medshare.fhir.mapping import to_fhir
from medshare.records.models import DiagnosticReport, Encounter, Observation


def region(world):
    return SimpleNamespace(
        seed=7, scale="small", today=dt.date(2026, 11, 20),
        institutions=[{"id": world.hospital_a, "type": "tertiary_hospital", "status": "active"},
                      {"id": world.hospital_b, "type": "secondary_hospital", "status": "active"}],
        practitioners=[{"id": world.doctor_a, "primary_institution_id": world.hospital_a, "profession": "doctor"},
                       {"id": world.doctor_b, "primary_institution_id": world.hospital_b, "profession": "doctor"}],
        patient_records=[{}] * 40, users=[{"username": "patient", "patient_record_id": world.patient_a}])


def snapshot(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(sa.select(
        Observation.code, Observation.value_quantity, Observation.interpretation, Observation.effective_at,
        Observation.fhir_id).order_by(Observation.fhir_id))]


def test_the_demo_history_is_deterministic_and_serves_as_valid_fhir(session, world):
    context = SimpleNamespace(region=region(world))
    nested = session.begin_nested()
    earlier = session.scalar(sa.select(sa.func.coalesce(sa.func.max(DiagnosticReport.id), 0)))  # other tests' reports
    counts = demo.extend(session, context)
    first = snapshot(session)
    assert counts["encounters"] >= 4 and counts["observations"] > 0  # the showcase patient has four visits
    person_records = {world.patient_a, world.patient_b}
    sites = set(session.scalars(sa.select(Encounter.institution_id).where(
        Encounter.patient_record_id.in_(person_records))))
    assert sites <= {world.hospital_a, world.hospital_b}
    report = session.scalar(sa.select(DiagnosticReport).where(DiagnosticReport.code == "58410-2",
                                                              DiagnosticReport.id > earlier)
                            .order_by(DiagnosticReport.id).limit(1))
    assert report is not None and [o.code for o in report.results] == ["6690-2", "789-8", "718-7", "4544-3", "777-3"]
    served = to_fhir(session, "DiagnosticReport", report)
    FhirReport.model_validate(served)
    obs = to_fhir(session, "Observation", report.results[2])
    FhirObservation.model_validate(obs)
    assert obs["code"]["coding"][0] == {"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}
    assert obs["interpretation"][0]["coding"][0]["code"] in ("N", "H", "L")
    nested.rollback()
    nested = session.begin_nested()
    demo.extend(session, context)
    assert snapshot(session) == first
    nested.rollback()
