"""Every resource type the CapabilityStatement lists: create, read, update and search over HTTP (AuditEvent only
read and searched), each write mapped onto the domain tables."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa

from medshare.identity.models import PatientRecord
from medshare.records import models as rm
from medshare.registry.models import Institution, Practitioner, Registration
from tests.integration.fhir.conftest import bearer, observation


@pytest.fixture
def platform(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.platform), timeout=30) as client:
        yield client


@pytest.fixture
def doctor(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as client:
        yield client


@pytest.fixture
def admin_a(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.admin_a), timeout=30) as client:
        yield client


def crud(client: httpx.Client, kind: str, resource: dict, change, search: dict) -> dict:
    """Create, read, update (change(resource) edits it) and search one resource; the updated resource."""
    created = client.post(f"/fhir/{kind}", json=resource)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["resourceType"] == kind and body["meta"]["versionId"] == "1"
    assert created.headers["Location"].endswith(f"/fhir/{kind}/{body['id']}/_history/1")
    read = client.get(f"/fhir/{kind}/{body['id']}")
    assert read.status_code == 200, read.text
    assert read.headers["ETag"] == 'W/"1"'
    current = read.json()
    change(current)
    updated = client.put(f"/fhir/{kind}/{body['id']}", json=current)
    assert updated.status_code == 200, updated.text
    assert updated.json()["meta"]["versionId"] == "2"
    found = client.get(f"/fhir/{kind}", params={**search, "_id": body["id"]})
    assert found.status_code == 200, found.text
    assert [e["resource"]["id"] for e in found.json()["entry"] if e["search"]["mode"] == "match"] == [body["id"]]
    history = client.get(f"/fhir/{kind}/{body['id']}/_history").json()
    assert history["type"] == "history" and history["total"] == 2
    return updated.json()


def test_organization_practitioner_and_practitioner_role(platform, committed):
    code = f"ORG-{uuid.uuid4().hex[:8]}"
    org = crud(platform, "Organization", {
        "resourceType": "Organization", "name": "三明市第九医院",
        "identifier": [{"system": "https://medshare.example/fhir/sid/institution-code", "value": code}],
        "type": [{"coding": [{"system": "https://medshare.example/fhir/CodeSystem/institution-type",
                              "code": "secondary_hospital"}]}],
        "extension": [{"url": "https://medshare.example/fhir/StructureDefinition/institution-grade",
                       "valueString": "2A"}]},
        lambda r: r.update(name="三明市第九人民医院"), {"name": "三明市第九"})
    assert org["name"] == "三明市第九人民医院"
    with committed() as session:
        row = session.scalar(sa.select(Institution).where(Institution.code == code))
        assert row.name == "三明市第九人民医院" and row.grade_level == 2
    licence = f"LIC-{uuid.uuid4().hex[:8]}"
    prac = crud(platform, "Practitioner", {
        "resourceType": "Practitioner", "name": [{"text": "陈静"}], "gender": "female",
        "identifier": [{"system": "https://medshare.example/fhir/sid/practitioner-licence", "value": licence}],
        "extension": [{"url": "https://medshare.example/fhir/StructureDefinition/primary-institution",
                       "valueReference": {"reference": f"Organization/{org['id']}"}}]},
        lambda r: r.update(name=[{"text": "陈静怡"}]),
        {"identifier": f"https://medshare.example/fhir/sid/practitioner-licence|{licence}"})
    assert prac["name"][0]["text"] == "陈静怡"
    with committed() as session:
        assert session.scalar(sa.select(Practitioner.name).where(Practitioner.licence_number == licence)) == "陈静怡"
    other = platform.post("/fhir/Organization", json={"resourceType": "Organization", "name": "三明市第十医院"})
    assert other.status_code == 201, other.text
    role = {"resourceType": "PractitionerRole", "practitioner": {"reference": f"Practitioner/{prac['id']}"},
            "organization": {"reference": f"Organization/{other.json()['id']}"},
            "period": {"start": "2026-01-01", "end": "2027-12-31"}}
    created = platform.post("/fhir/PractitionerRole", json=role)
    assert created.status_code == 201, created.text
    key = created.json()["id"]
    assert key.startswith("reg-")
    assert platform.get(f"/fhir/PractitionerRole/{key}").json()["active"] is True
    found = platform.get("/fhir/PractitionerRole", params={"practitioner": f"Practitioner/{prac['id']}"}).json()
    assert {e["resource"]["id"] for e in found["entry"]} == {key, f"pri-{prac['id']}"}
    ended = platform.put(f"/fhir/PractitionerRole/{key}", json={**created.json(), "active": False})
    assert ended.status_code == 200 and ended.json()["active"] is False
    with committed() as session:
        assert session.get(Registration, int(key.removeprefix("reg-"))).ended


def test_patient_is_a_registration_of_the_patient_index(doctor, world, committed):
    local = f"MRN-{uuid.uuid4().hex[:8]}"
    patient = crud(doctor, "Patient", {
        "resourceType": "Patient", "name": [{"family": "王", "given": ["芳"]}], "gender": "female",
        "birthDate": "1990-04-02", "managingOrganization": {"reference": f"Organization/{world.hospital_a}"},
        "identifier": [{"system": "https://medshare.example/fhir/sid/patient-local-id", "value": local}]},
        lambda r: r.update(birthDate="1990-04-03"), {"birthdate": "1990-04-03"})
    with committed() as session:
        row = session.get(PatientRecord, int(patient["id"]))
        assert row.local_id == local and str(row.birth_date) == "1990-04-03" and row.name == "王芳"


def test_location_encounter_order_imaging_report_consent_and_provenance(doctor, admin_a, world, committed):
    patient = f"Patient/{world.patient_a}"
    location = crud(admin_a, "Location", {
        "resourceType": "Location", "name": "CT room 2", "status": "active",
        "managingOrganization": {"reference": f"Organization/{world.hospital_a}"}},
        lambda r: r.update(name="CT room 3"), {"name": "CT room", "organization": f"Organization/{world.hospital_a}"})
    encounter = crud(doctor, "Encounter", {
        "resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
        "subject": {"reference": patient},
        "serviceProvider": {"reference": f"Organization/{world.hospital_a}"},
        "participant": [{"individual": {"reference": f"Practitioner/{world.doctor_a}"}}],
        "location": [{"location": {"reference": f"Location/{location['id']}"}}],
        "period": {"start": "2026-11-02T08:00:00+08:00"}},
        lambda r: r.update(status="finished"), {"patient": patient, "status": "finished",
                                                 "service-provider": f"Organization/{world.hospital_a}"})
    order = crud(doctor, "ServiceRequest", {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order", "subject": {"reference": patient},
        "code": {"coding": [{"system": "https://medshare.example/fhir/CodeSystem/exam", "code": "CT-CHEST-PLAIN"}]},
        "encounter": {"reference": f"Encounter/{encounter['id']}"},
        "requester": {"reference": f"Practitioner/{world.doctor_a}"}, "authoredOn": "2026-11-02T08:10:00+08:00"},
        lambda r: r.update(priority="urgent"), {"patient": patient, "code": "CT-CHEST-PLAIN", "intent": "order"})
    study = crud(doctor, "ImagingStudy", {
        "resourceType": "ImagingStudy", "status": "available", "subject": {"reference": patient},
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
        "basedOn": [{"reference": f"ServiceRequest/{order['id']}"}], "started": "2026-11-02T09:00:00+08:00",
        "location": {"reference": f"Location/{location['id']}"}, "numberOfSeries": 1},
        lambda r: r.update(numberOfInstances=240), {"patient": patient, "modality": "CT"})
    report = crud(doctor, "DiagnosticReport", {
        "resourceType": "DiagnosticReport", "status": "preliminary", "subject": {"reference": patient},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "CT"}]}],
        "code": {"coding": [{"system": "https://medshare.example/fhir/CodeSystem/exam", "code": "CT-CHEST-PLAIN"}]},
        "basedOn": [{"reference": f"ServiceRequest/{order['id']}"}],
        "imagingStudy": [{"reference": f"ImagingStudy/{study['id']}"}],
        "performer": [{"reference": f"Practitioner/{world.doctor_a}"}],
        "effectiveDateTime": "2026-11-02T09:00:00+08:00", "conclusion": "No active lesion."},
        lambda r: r.update(status="final"), {"patient": patient, "status": "final", "category": "CT"})
    consent = crud(doctor, "Consent", {
        "resourceType": "Consent", "status": "draft", "scope": {"coding": [{"code": "patient-privacy"}]},
        "category": [{"coding": [{"code": "INFA"}]}], "patient": {"reference": patient},
        "provision": {"type": "permit", "actor": [{"role": {"coding": [{"code": "IRCP"}]},
                                                   "reference": {"reference": f"Organization/{world.hospital_b}"}}]}},
        lambda r: r.update(status="inactive"), {"patient": patient, "status": "inactive"})
    provenance = crud(doctor, "Provenance", {
        "resourceType": "Provenance", "target": [{"reference": f"DiagnosticReport/{report['id']}"}],
        "recorded": "2026-11-02T10:00:00+08:00",
        "agent": [{"who": {"reference": f"Practitioner/{world.doctor_a}"}}]},
        lambda r: r.update(activity={"coding": [{"code": "UPDATE"}]}),
        {"target": f"DiagnosticReport/{report['id']}"})
    wrong_type = doctor.get("/fhir/Provenance", params={"target": f"Observation/{report['id']}"}).json()
    assert wrong_type["total"] == 0  # the id of a report, named as an Observation: no match
    with committed() as session:
        assert session.scalar(sa.select(rm.Location.name).where(rm.Location.fhir_id == location["id"])) == "CT room 3"
        enc = session.scalar(sa.select(rm.Encounter).where(rm.Encounter.fhir_id == encounter["id"]))
        assert enc.status == "finished" and enc.practitioner_id == world.doctor_a and enc.location_id is not None
        assert session.scalar(sa.select(rm.ServiceRequest.priority).where(
            rm.ServiceRequest.fhir_id == order["id"])) == "urgent"
        img = session.scalar(sa.select(rm.ImagingStudy).where(rm.ImagingStudy.fhir_id == study["id"]))
        assert img.number_of_instances == 240 and img.modality == "CT" and img.institution_id == world.hospital_a
        dr = session.scalar(sa.select(rm.DiagnosticReport).where(rm.DiagnosticReport.fhir_id == report["id"]))
        assert dr.status == "final" and dr.imaging_study_id == img.id and dr.conclusion == "No active lesion."
        con = session.scalar(sa.select(rm.Consent).where(rm.Consent.fhir_id == consent["id"]))
        assert con.status == "inactive" and con.grantee_institution_id == world.hospital_b
        prov = session.scalar(sa.select(rm.Provenance).where(rm.Provenance.fhir_id == provenance["id"]))
        assert prov.activity == "UPDATE" and prov.target_fhir_id == report["id"]


def test_observation_keeps_unmapped_elements_and_maps_the_value(doctor, world, committed):
    extension = [{"url": "https://example.org/lab-instrument", "valueString": "Sysmex XN-1000"}]
    obs = crud(doctor, "Observation", observation(f"Patient/{world.patient_a}", extension=extension),
               lambda r: r["valueQuantity"].update(value=140.0), {"patient": f"Patient/{world.patient_a}"})
    assert obs["extension"] == extension and obs["valueQuantity"]["value"] == 140.0
    with committed() as session:
        row = session.scalar(sa.select(rm.Observation).where(rm.Observation.fhir_id == obs["id"]))
        assert (row.code, row.value_quantity, row.value_unit_code, row.reference_low) == ("718-7", 140.0, "g/L", 115)


def test_audit_events_are_read_and_searched_but_never_written(platform, doctor, world):
    doctor.get(f"/fhir/Patient/{world.patient_a}")
    found = platform.get("/fhir/AuditEvent", params={"patient": f"Patient/{world.patient_a}", "_count": "5"})
    assert found.status_code == 200 and found.json()["entry"]
    event = found.json()["entry"][0]["resource"]
    read = platform.get(f"/fhir/AuditEvent/{event['id']}")
    assert read.status_code == 200 and read.json()["id"] == event["id"]
    assert platform.post("/fhir/AuditEvent", json=event).status_code == 405
    assert platform.put(f"/fhir/AuditEvent/{event['id']}", json=event).status_code == 405
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"resource": event, "request": {"method": "POST", "url": "AuditEvent"}}]}
    refused = platform.post("/fhir", json=bundle)
    assert refused.status_code == 405 and refused.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(("kind", "resource", "where"), [
    ("ServiceRequest", {"status": "active", "intent": "whenever"}, "ServiceRequest.intent"),
    ("ServiceRequest", {"status": "active", "intent": "order", "priority": "soonish"}, "ServiceRequest.priority"),
    ("ServiceRequest", {"status": "finished", "intent": "order"}, "ServiceRequest.status"),
    ("Encounter", {"status": "walking", "class": {"code": "AMB"}}, "Encounter.status"),
    ("DiagnosticReport", {"status": "done", "code": {"text": "CT"}}, "DiagnosticReport.status"),
    ("ImagingStudy", {"status": "ready"}, "ImagingStudy.status"),
    ("Patient", {"name": [{"text": "钱二"}], "gender": "robot"}, "Patient.gender"),
])
def test_unknown_codes_of_required_bindings_are_refused_with_their_path(doctor, admin_a, world, kind, resource,
                                                                        where):
    body = {"resourceType": kind, **resource}
    if kind != "Patient":
        body["subject"] = {"reference": f"Patient/{world.patient_a}"}
    else:
        body["managingOrganization"] = {"reference": f"Organization/{world.hospital_a}"}
    response = doctor.post(f"/fhir/{kind}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == [where]
    refused = admin_a.post("/fhir/Location", json={"resourceType": "Location", "name": "Ward 9", "status": "closed"})
    assert refused.status_code == 422 and refused.json()["issue"][0]["expression"] == ["Location.status"]
