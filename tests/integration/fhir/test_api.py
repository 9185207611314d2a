"""The FHIR API over real HTTP: capability, create/read/update/search, errors as OperationOutcome."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from medshare.records.models import Observation
from tests.integration.fhir.conftest import bearer, observation


def test_metadata_lists_what_is_served_and_smart_configuration(live_server):
    with httpx.Client(base_url=live_server.url) as client:
        response = client.get("/fhir/metadata")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+json")
        body = response.json()
        types = {r["type"]: r for r in body["rest"][0]["resource"]}
        assert {"Patient", "Observation", "DiagnosticReport", "Consent", "AuditEvent"} <= set(types)
        assert "DiagnosticReport:result" in types["DiagnosticReport"]["searchInclude"]
        assert "create" not in {i["code"] for i in types["AuditEvent"]["interaction"]}
        smart = client.get("/fhir/.well-known/smart-configuration").json()
        assert smart["token_endpoint"].endswith("/fhir/auth/token")


def test_create_read_update_search_an_observation(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        created = client.post("/fhir/Observation", json=observation(f"Patient/{world.patient_a}"))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["meta"]["versionId"] == "1" and created.headers["Location"].endswith("/_history/1")
        read = client.get(f"/fhir/Observation/{body['id']}").json()
        assert read["valueQuantity"]["value"] == 132.0 and read["subject"]["reference"] == f"Patient/{world.patient_a}"
        read["valueQuantity"]["value"] = 128.0
        updated = client.put(f"/fhir/Observation/{body['id']}", json=read)
        assert updated.status_code == 200 and updated.json()["meta"]["versionId"] == "2"
        found = client.get("/fhir/Observation", params={"patient": f"Patient/{world.patient_a}",
                                                         "code": "http://loinc.org|718-7"}).json()
        assert any(e["resource"]["id"] == body["id"] for e in found["entry"])
        assert client.get(f"/fhir/Observation/{body['id']}/_history/1").json()["valueQuantity"]["value"] == 132.0


def test_invalid_resources_are_refused_with_the_path_and_nothing_is_written(live_server, world, committed):
    with committed() as session:
        before = session.scalar(sa.select(sa.func.count()).select_from(Observation))
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        wrong_type = observation(f"Patient/{world.patient_a}")
        wrong_type["valueQuantity"]["value"] = "lots"
        missing = observation(f"Patient/{world.patient_a}")
        del missing["status"]
        bad_ref = observation("Patient/999999")
        bad_code = observation(f"Patient/{world.patient_a}", status="done")
        for resource, where in ((wrong_type, "Observation.valueQuantity.value"), (missing, "Observation.status"),
                                (bad_ref, "Observation.subject.reference"), (bad_code, "Observation.status")):
            response = client.post("/fhir/Observation", json=resource)
            assert response.status_code in (400, 404, 422), response.text
            outcome = response.json()
            assert outcome["resourceType"] == "OperationOutcome"
            assert where in outcome["issue"][0]["expression"], outcome
    with committed() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Observation)) == before


def test_unauthenticated_and_unknown_paths_answer_operation_outcome(live_server, world):
    with httpx.Client(base_url=live_server.url) as client:
        response = client.get("/fhir/Observation")
        assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"
        response = client.get("/fhir/Medication/1", headers=bearer(world.token_a))
        assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
        response = client.delete("/fhir/Observation/x", headers=bearer(world.token_a))
        assert response.status_code == 405 and response.json()["resourceType"] == "OperationOutcome"


def test_patient_match_finds_the_person_through_the_master_patient_index(live_server, world):
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": {
            "resourceType": "Patient", "name": [{"text": "李娜"}], "birthDate": "1975-03-09",
            "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": world.national_id}]}},
        {"name": "onlyCertainMatches", "valueBoolean": True}]}
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        found = client.post("/fhir/Patient/$match", json=params).json()
        assert found["total"] == 1
        match = found["entry"][0]
        assert match["resource"]["id"] == str(world.patient_a)  # the record at the asker's own institution
        assert match["search"]["extension"][0]["valueCode"] == "certain"
        assert {link["other"]["reference"] for link in match["resource"]["link"]} == {f"Patient/{world.patient_b}"}
        by_id = client.get("/fhir/Patient", params={"identifier": f"urn:oid:2.16.156.10011.1.3|{world.national_id}"})
        assert {e["resource"]["id"] for e in by_id.json()["entry"]} == {str(world.patient_a)}  # B's withheld
