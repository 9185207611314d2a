"""The CapabilityStatement is valid and truthful (every search parameter and include it declares is answered, and
nothing else is), the SMART configuration, and tokens narrowed to system/*.rs and user/Observation.r."""

from __future__ import annotations

import httpx
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.integration.fhir.conftest import bearer, observation

SAMPLE = {"token": "x", "date": "ge2026-01-01", "reference": "Patient/1", "string": "a", "number": "1"}


@pytest.fixture(scope="module")
def statement(live_server) -> dict:
    with httpx.Client(base_url=live_server.url) as client:
        return client.get("/fhir/metadata").json()


def test_the_capability_statement_is_a_valid_r4_resource(statement):
    CapabilityStatement.model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"] for r in statement["rest"][0]["resource"]}
    assert served == {"Patient", "Organization", "Practitioner", "PractitionerRole", "Location", "Encounter",
                      "Observation", "DiagnosticReport", "ImagingStudy", "ServiceRequest", "Consent", "Provenance",
                      "AuditEvent"}
    assert {i["code"] for i in statement["rest"][0]["interaction"]} == {"transaction", "batch"}
    for resource in statement["rest"][0]["resource"]:
        codes = {i["code"] for i in resource["interaction"]}
        expected = {"read", "vread", "history-instance", "search-type"}
        assert codes == (expected if resource["type"] == "AuditEvent" else expected | {"create", "update"})


def test_every_declared_search_parameter_and_include_is_answered(live_server, world, statement):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.platform), timeout=60) as client:
        for resource in statement["rest"][0]["resource"]:
            kind = resource["type"]
            for param in resource["searchParam"]:
                value = {"_summary": "count", "_sort": "-_id"}.get(param["name"]) or SAMPLE[param["type"]]
                response = client.get(f"/fhir/{kind}", params={param["name"]: value, "_count": "1"})
                assert response.status_code == 200, (kind, param, response.text)
                assert response.json()["type"] == "searchset"
            for include in resource.get("searchInclude", []):
                response = client.get(f"/fhir/{kind}", params={"_include": include, "_count": "1"})
                assert response.status_code == 200, (kind, include, response.text)
            undeclared = client.get(f"/fhir/{kind}", params={"no-such-parameter": "x"})
            assert undeclared.status_code == 400 and undeclared.json()["resourceType"] == "OperationOutcome"


def test_the_declared_operations_exist(live_server, world, statement):
    operations = {(r["type"], o["name"]) for r in statement["rest"][0]["resource"] for o in r.get("operation", [])}
    assert ("Patient", "match") in operations
    with httpx.Client(base_url=live_server.url, headers=bearer(world.platform), timeout=30) as client:
        for kind, name in operations:
            path = f"/fhir/{kind}/${name}" if name == "match" else f"/fhir/{kind}/no-such-id/${name}"
            response = client.post(path, json={"resourceType": "Parameters"})
            assert response.status_code in (400, 404), (kind, name, response.text)  # answered, not "unknown path"
            assert "not an interaction this server supports" not in response.text


def test_history_and_vread_answer_for_resources_written_outside_fhir(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.platform), timeout=30) as client:
        patient = client.get(f"/fhir/Patient/{world.patient_b}").json()  # registered through the API, not FHIR
        version = patient["meta"]["versionId"]
        history = client.get(f"/fhir/Patient/{world.patient_b}/_history").json()
        assert history["total"] >= 1 and history["entry"][0]["resource"]["meta"]["versionId"] == version
        assert client.get(f"/fhir/Patient/{world.patient_b}/_history/{version}").status_code == 200
        assert client.get(f"/fhir/Patient/{world.patient_b}/_history/99").status_code == 404
        event = client.get("/fhir/AuditEvent", params={"_count": "1"}).json()["entry"][0]["resource"]
        assert client.get(f"/fhir/AuditEvent/{event['id']}/_history/1").json()["id"] == event["id"]
        assert client.get(f"/fhir/AuditEvent/{event['id']}/_history").json()["total"] == 1


def test_the_smart_configuration_names_the_token_endpoint_and_the_scopes(live_server):
    with httpx.Client(base_url=live_server.url) as client:
        smart = client.get("/fhir/.well-known/smart-configuration")
        assert smart.status_code == 200 and smart.headers["content-type"].startswith("application/json")
        body = smart.json()
        assert body["token_endpoint"] == f"{live_server.url}/fhir/auth/token"
        assert {"system/*.rs", "user/Observation.r"} <= set(body["scopes_supported"])
        assert "permission-v2" in body["capabilities"]


def narrowed(client: httpx.Client, parent: str, scope: str, granted: str | None = None) -> dict[str, str]:
    answer = client.post("/fhir/auth/token", headers={"Authorization": f"Bearer {parent}"}, data={"scope": scope})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == (granted or scope) and answer.json()["token_type"] == "Bearer"
    return bearer(answer.json()["access_token"])


def test_a_system_read_and_search_token_reads_and_searches_everything_but_writes_nothing(live_server, world):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        system = narrowed(client, world.platform, "system/*.rs")
        assert client.get(f"/fhir/Patient/{world.patient_a}", headers=system).status_code == 200
        assert client.get("/fhir/Observation", params={"patient": world.patient_a}, headers=system).status_code == 200
        assert client.get(f"/fhir/Organization/{world.hospital_a}", headers=system).status_code == 200
        assert client.get("/fhir/AuditEvent", params={"_count": "1"}, headers=system).status_code == 200
        refused = client.post("/fhir/Observation", json=observation(f"Patient/{world.patient_a}"), headers=system)
        assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": observation(f"Patient/{world.patient_a}"),
             "request": {"method": "POST", "url": "Observation"}}]}
        assert client.post("/fhir", json=bundle, headers=system).status_code == 403


def test_a_user_observation_read_token_reads_observations_only(live_server, world):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        created = client.post("/fhir/Observation", json=observation(f"Patient/{world.patient_a}"),
                              headers=bearer(world.token_a))
        assert created.status_code == 201
        read_only = narrowed(client, world.token_a, "user/Observation.r")
        assert client.get(f"/fhir/Observation/{created.json()['id']}", headers=read_only).status_code == 200
        search = client.get("/fhir/Observation", params={"patient": world.patient_a}, headers=read_only)
        assert search.status_code == 403 and "search of Observation" in search.json()["issue"][0]["diagnostics"]
        assert client.get(f"/fhir/Patient/{world.patient_a}", headers=read_only).status_code == 403
        assert client.put(f"/fhir/Observation/{created.json()['id']}", json=created.json(),
                          headers=read_only).status_code == 403
        # SMART v1: read means read and search
        v1 = narrowed(client, world.token_a, "user/Observation.read", "user/Observation.rs")
        assert client.get("/fhir/Observation", params={"patient": world.patient_a}, headers=v1).status_code == 200


def test_a_scope_never_widens_what_the_role_may_do(live_server, world):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        system = narrowed(client, world.token_b, "system/*.rs")
        # Hospital B's doctor with a system scope still does not read hospital A's records outside care.
        created = client.post("/fhir/Observation", json=observation(f"Patient/{world.patient_a}"),
                              headers=bearer(world.token_a))
        assert client.get(f"/fhir/Observation/{created.json()['id']}", headers=system).status_code == 403
        assert client.post("/fhir/auth/token", headers=system, data={"scope": "system/*.cruds"}).status_code == 400
