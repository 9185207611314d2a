"""Transaction and batch Bundles, the Synthea samples, and fhirpy against the real server."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import sqlalchemy as sa
from fhirpy import SyncFHIRClient

from medshare.accounts import service as accounts
from medshare.db import transaction
from medshare.fhir import SYNTHEA_SAMPLES
from medshare.fhir.load import load_files
from medshare.records.models import DiagnosticReport, Encounter, Observation
from tests.integration.fhir.conftest import bearer, observation

SAMPLES = SYNTHEA_SAMPLES


def counts(committed) -> tuple[int, int, int]:
    with committed() as session:
        return tuple(session.scalar(sa.select(sa.func.count()).select_from(m))
                     for m in (Encounter, Observation, DiagnosticReport))


def panel(patient: str, *, bad_status: bool = False) -> dict:
    """An encounter, two results and the report grouping them, linked by urn:uuid fullUrls."""
    enc, o1, o2, dr = (f"urn:uuid:{uuid.uuid4()}" for _ in range(4))
    report = {"resourceType": "DiagnosticReport", "status": "finished" if bad_status else "final",
              "code": {"coding": [{"system": "http://loinc.org", "code": "24323-8", "display": "CMP"}]},
              "subject": {"reference": patient}, "encounter": {"reference": enc},
              "effectiveDateTime": "2026-11-02T09:00:00+08:00", "result": [{"reference": o1}, {"reference": o2}]}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": dr, "resource": report, "request": {"method": "POST", "url": "DiagnosticReport"}},
        {"fullUrl": o1, "resource": observation(patient, "2951-2", 139.0, encounter={"reference": enc}),
         "request": {"method": "POST", "url": "Observation"}},
        {"fullUrl": o2, "resource": observation(patient, "2823-3", 4.1, encounter={"reference": enc}),
         "request": {"method": "POST", "url": "Observation"}},
        {"fullUrl": enc, "resource": {"resourceType": "Encounter", "status": "finished",
                                      "class": {"code": "AMB"}, "subject": {"reference": patient},
                                      "period": {"start": "2026-11-02T08:00:00+08:00"}},
         "request": {"method": "POST", "url": "Encounter"}}]}


def test_a_transaction_resolves_urn_uuids_and_returns_locations(live_server, world, committed):
    before = counts(committed)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        response = client.post("/fhir", json=panel(f"Patient/{world.patient_a}"))
        assert response.status_code == 200, response.text
        entries = response.json()["entry"]
        assert [e["response"]["status"] for e in entries] == ["201 Created"] * 4
        report = client.get("/fhir/" + entries[0]["response"]["location"].split("/_history")[0]).json()
        result_ids = [r["reference"] for r in report["result"]]
        assert result_ids == [entries[1]["response"]["location"].split("/_history")[0],
                              entries[2]["response"]["location"].split("/_history")[0]]
        assert report["encounter"]["reference"].startswith("Encounter/")
    assert counts(committed) == tuple(b + n for b, n in zip(before, (1, 2, 1), strict=True))


def test_a_transaction_with_one_bad_entry_writes_nothing(live_server, world, committed):
    before = counts(committed)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        response = client.post("/fhir", json=panel(f"Patient/{world.patient_a}", bad_status=True))
        assert response.status_code == 422
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["expression"] == ["Bundle.entry[0].resource.status"]
        broken = panel(f"Patient/{world.patient_a}")
        broken["entry"][1]["resource"]["encounter"] = {"reference": "Encounter/does-not-exist"}
        response = client.post("/fhir", json=broken)
        assert response.status_code == 422
        assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.encounter.reference"]
    assert counts(committed) == before


def test_a_batch_answers_each_entry_on_its_own(live_server, world, committed):
    before = counts(committed)
    good = observation(f"Patient/{world.patient_a}")
    bad = observation(f"Patient/{world.patient_a}", status="nonsense")
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": good, "request": {"method": "POST", "url": "Observation"}},
        {"resource": bad, "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "GET", "url": f"Patient/{world.patient_a}"}}]}
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        entries = client.post("/fhir", json=batch).json()["entry"]
    assert entries[0]["response"]["status"] == "201 Created"
    assert entries[1]["response"]["status"] == "422"
    assert entries[1]["response"]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[1].resource.status"]
    assert entries[2]["resource"]["id"] == str(world.patient_a)
    assert counts(committed)[1] == before[1] + 1


@pytest.fixture(scope="session")
def synthea(committed, world):
    """The two directory bundles and the five patients, loaded once per database."""
    with transaction(committed) as session:
        admin = accounts.principal_of(accounts.get_user(session, world.admin.user_id))
    files = [SAMPLES / "hospitalInformation1559319163815.json", SAMPLES / "practitionerInformation1559319163815.json",
             *sorted(SAMPLES.glob("*_*-*.json"))]
    return load_files(committed, admin, files)


def test_the_synthea_samples_load_and_are_searchable_with_fhirpy(live_server, world, synthea):
    assert sum(r.written["Organization"] for r in synthea) == 102
    assert sum(r.written["Patient"] for r in synthea) == 5
    assert sum(r.written["Observation"] for r in synthea) == 183
    assert synthea[2].skipped["Claim"] > 0  # kept out: types this server does not serve
    client = SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {world.platform}")
    liz = client.resources("Patient").search(identifier="27c911c6-f045-4ffa-af5d-6eba57ac94b2").fetch()
    assert len(liz) == 1 and liz[0]["name"][0]["family"] == "Conn"
    sample = json.loads(next(SAMPLES.glob("Liz_Conn_*.json")).read_text())
    expected = sum(1 for e in sample["entry"] if e["resource"]["resourceType"] == "Observation")
    observations = client.resources("Observation").search(patient=f"Patient/{liz[0].id}").limit(200).fetch_all()
    assert len(observations) == expected
    reports = client.resources("DiagnosticReport").search(patient=liz[0].id).include(
        "DiagnosticReport", "result").fetch_raw()
    included = [e for e in reports["entry"] if e["search"]["mode"] == "include"]
    assert reports["total"] >= 1 and included and all(e["resource"]["resourceType"] == "Observation"
                                                       for e in included)
    height = client.resources("Observation").search(patient=liz[0].id, code="http://loinc.org|8302-2",
                                                    date__ge="2000-01-01").fetch()
    assert height and all(o["code"]["coding"][0]["code"] == "8302-2" for o in height)
    count = client.resources("Observation").search(patient=liz[0].id).fetch_raw()
    assert count["total"] == expected


def test_fhirpy_round_trip_create_update_read(live_server, world):
    client = SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {world.token_a}")
    obs = client.resource("Observation", **observation(f"Patient/{world.patient_a}"))
    obs.save()
    assert obs.id and obs["meta"]["versionId"] == "1"
    obs["valueQuantity"]["value"] = 120.5
    obs.save()
    again = client.reference("Observation", obs.id).to_resource()
    assert again["valueQuantity"]["value"] == 120.5 and again["meta"]["versionId"] == "2"
    client.resource("Observation", **observation(f"Patient/{world.patient_a}", value=118.0)).save()
    page = client.resources("Observation").search(patient=world.patient_a).limit(1).fetch_raw()
    assert any(link["relation"] == "next" for link in page["link"])
    summary = client.resources("Observation").search(patient=world.patient_a, _summary="count").fetch_raw()
    assert summary["total"] >= 2 and "entry" not in summary


def _rows(committed) -> dict[str, int]:
    from medshare.audit.models import AuditEvent
    from medshare.identity.models import PatientRecord
    from medshare.records.models import FhirVersion

    with committed() as session:
        return {m.__name__: session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (PatientRecord, Encounter, Observation, DiagnosticReport, FhirVersion, AuditEvent)}


@pytest.mark.parametrize(("break_it", "status", "where"), [
    (lambda e: e[2]["resource"].update(subject={"reference": "Organization/1"}), 422,
     "Bundle.entry[2].resource.subject.reference"),  # a reference to the wrong type
    (lambda e: e[2]["resource"]["valueQuantity"].update(value="high"), 422,
     "Bundle.entry[2].resource.valueQuantity.value"),  # a wrong type
    (lambda e: e[1]["resource"].pop("class"), 422, "Bundle.entry[1].resource.class"),  # a missing required element
    (lambda e: e[1]["resource"].update(status="walking"), 422, "Bundle.entry[1].resource.status"),  # unknown code
    (lambda e: e[0]["resource"].update(gender="robot"), 422, "Bundle.entry[0].resource.gender"),
])
def test_a_transaction_that_registers_a_patient_rolls_back_whole(live_server, world, committed, break_it, status,
                                                                  where):
    patient, visit = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    entries = [
        {"fullUrl": patient, "request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "name": [{"text": "赵一"}], "gender": "male",
                      "birthDate": "1951-01-01",
                      "managingOrganization": {"reference": f"Organization/{world.hospital_a}"}}},
        {"fullUrl": visit, "request": {"method": "POST", "url": "Encounter"},
         "resource": {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
                      "subject": {"reference": patient}}},
        {"request": {"method": "POST", "url": "Observation"},
         "resource": observation(patient, encounter={"reference": visit})}]
    good = {"resourceType": "Bundle", "type": "transaction", "entry": json.loads(json.dumps(entries))}
    break_it(entries)
    before = _rows(committed)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a)) as client:
        response = client.post("/fhir", json={"resourceType": "Bundle", "type": "transaction", "entry": entries})
        assert response.status_code == status, response.text
        assert response.json()["resourceType"] == "OperationOutcome"
        assert where in response.json()["issue"][0]["expression"], response.json()
        assert _rows(committed) == before  # no patient, no visit, no result, no version, no audit event
        assert client.post("/fhir", json=good).status_code == 200  # the same bundle, unbroken, goes in
