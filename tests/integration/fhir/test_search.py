"""Search over HTTP: patient/subject, code, date with every prefix, identifier, category, status, _id, _lastUpdated,
_include of a report's results, subject and performer, _count paging by Bundle.link, _summary=count."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from medshare.db import transaction
from tests import factories as f
from tests.integration.fhir.conftest import bearer, observation


@pytest.fixture(scope="module")
def patient(committed, world) -> str:
    """A patient of hospital A of their own, so other tests' results never mix into these searches."""
    with transaction(committed) as session:
        birth = dt.date(1931, 7, 7)
        return str(f.make_patient(session, world.admin, world.hospital_a, name="欧阳检索", birth_date=birth,
                                  national_id=f.national_id(birth, male=False)).id)


@pytest.fixture(scope="module")
def results(live_server, world, patient) -> dict:
    """Three results in January, February and March, and a report grouping two of them."""
    made = {}
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as client:
        for name, day, code, status, category in (
                ("jan", "2026-01-10T09:00:00+08:00", "718-7", "final", "laboratory"),
                ("feb", "2026-02-15T09:00:00+08:00", "2823-3", "final", "laboratory"),
                ("mar", "2026-03-20T09:00:00+08:00", "8867-4", "preliminary", "vital-signs")):
            resource = observation(f"Patient/{patient}", code, 4.0, status=status, effectiveDateTime=day,
                                   identifier=[{"system": "urn:lab:sample", "value": f"S-{name}-{uuid.uuid4().hex}"}],
                                   performer=[{"reference": f"Organization/{world.hospital_a}"}])
            resource["category"][0]["coding"][0]["code"] = category
            response = client.post("/fhir/Observation", json=resource)
            assert response.status_code == 201, response.text
            made[name] = response.json()
        report = client.post("/fhir/DiagnosticReport", json={
            "resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": f"Patient/{patient}"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "24323-8"}]},
            "effectiveDateTime": "2026-02-15T09:00:00+08:00",
            "performer": [{"reference": f"Organization/{world.hospital_a}"},
                          {"reference": f"Practitioner/{world.doctor_a}"}],
            "result": [{"reference": f"Observation/{made['jan']['id']}"},
                       {"reference": f"Observation/{made['feb']['id']}"}]})
        assert report.status_code == 201, report.text
        made["report"] = report.json()
    return made


@pytest.fixture
def client(live_server, world):
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as c:
        yield c


def found(client, kind: str, **params) -> set[str]:
    response = client.get(f"/fhir/{kind}", params=params)
    assert response.status_code == 200, response.text
    return {e["resource"]["id"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"}


def names(results, *keys) -> set[str]:
    return {results[k]["id"] for k in keys}


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-02", ("feb",)), ("2026-02-15", ("feb",)), ("eq2026-02-15", ("feb",)), ("ne2026-02-15", ("jan", "mar")),
    ("lt2026-02-15", ("jan",)), ("le2026-02-15", ("jan", "feb")), ("gt2026-02-15", ("mar",)),
    ("ge2026-02-15", ("feb", "mar")), ("sa2026-02-15", ("mar",)), ("eb2026-02-15", ("jan",)),
    ("ap2026-02-15", ("feb",)), ("2026", ("jan", "feb", "mar")), ("ge2026-01-10T01:00:00Z", ("jan", "feb", "mar")),
    ("gt2026-01-10T01:00:00Z", ("feb", "mar")),
])
def test_date_with_each_prefix(client, results, patient, value, expected):
    assert found(client, "Observation", patient=patient, date=value) == names(results, *expected)


def test_two_date_parameters_make_a_range(client, results, patient):
    params = [("patient", patient), ("date", "ge2026-01-01"), ("date", "lt2026-03-01")]
    response = client.get("/fhir/Observation", params=params).json()
    assert {e["resource"]["id"] for e in response["entry"]} == names(results, "jan", "feb")


def test_patient_subject_code_category_status_identifier_and_id(client, results, patient):
    everything = names(results, "jan", "feb", "mar")
    assert found(client, "Observation", patient=f"Patient/{patient}") == everything
    assert found(client, "Observation", subject=f"Patient/{patient}") == everything
    assert found(client, "Observation", patient=patient, code="http://loinc.org|718-7") == names(results, "jan")
    assert found(client, "Observation", patient=patient, code="718-7,2823-3") == names(results, "jan", "feb")
    assert found(client, "Observation", patient=patient, code="http://snomed.info/sct|718-7") == set()
    assert found(client, "Observation", patient=patient, category="vital-signs") == names(results, "mar")
    assert found(client, "Observation", patient=patient, status="final") == names(results, "jan", "feb")
    sample = results["feb"]["identifier"][0]
    assert found(client, "Observation", identifier=f"{sample['system']}|{sample['value']}") == names(results, "feb")
    assert found(client, "Observation", identifier=sample["value"]) == names(results, "feb")
    assert found(client, "Observation", _id=f"{results['jan']['id']},{results['mar']['id']}") == \
        names(results, "jan", "mar")
    assert found(client, "DiagnosticReport", patient=patient, result=f"Observation/{results['feb']['id']}") == \
        {results["report"]["id"]}


def test_last_updated(client, results, patient):
    written = dt.datetime.fromisoformat(results["jan"]["meta"]["lastUpdated"].replace("Z", "+00:00"))
    before = (written - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert found(client, "Observation", patient=patient, _lastUpdated=f"gt{before}") == \
        names(results, "jan", "feb", "mar")
    assert found(client, "Observation", patient=patient, _lastUpdated=f"lt{before}") == set()
    assert found(client, "DiagnosticReport", patient=patient, _lastUpdated=f"ge{before}") == {results["report"]["id"]}


def test_include_the_reports_results_subject_and_performer(client, results, patient, world):
    response = client.get("/fhir/DiagnosticReport", params=[
        ("patient", patient), ("_include", "DiagnosticReport:result"), ("_include", "DiagnosticReport:subject"),
        ("_include", "DiagnosticReport:performer")]).json()
    match = [e["resource"]["id"] for e in response["entry"] if e["search"]["mode"] == "match"]
    included = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in response["entry"]
                if e["search"]["mode"] == "include"}
    assert match == [results["report"]["id"]] and response["total"] == 1
    assert included == {("Observation", results["jan"]["id"]), ("Observation", results["feb"]["id"]),
                        ("Patient", patient), ("Organization", str(world.hospital_a)),
                        ("Practitioner", str(world.doctor_a))}
    only_subject = client.get("/fhir/DiagnosticReport", params={"patient": patient,
                                                               "_include": "DiagnosticReport:subject"}).json()
    assert {e["resource"]["resourceType"] for e in only_subject["entry"]} == {"DiagnosticReport", "Patient"}


def test_count_pages_by_bundle_links_and_summary_count(client, results, patient):
    first = client.get("/fhir/Observation", params={"patient": patient, "_count": "1"}).json()
    assert first["total"] == 3 and len(first["entry"]) == 1
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert {"self", "first", "next", "last"} <= set(links) and "previous" not in links
    seen = [first["entry"][0]["resource"]["id"]]
    page = first
    while "next" in {link["relation"] for link in page["link"]}:
        url = next(link["url"] for link in page["link"] if link["relation"] == "next")
        page = client.get(url).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
    assert sorted(seen) == sorted(names(results, "jan", "feb", "mar"))
    assert "previous" in {link["relation"] for link in page["link"]}
    assert client.get(links["last"]).json()["entry"][0]["resource"]["id"] == seen[-1]
    summary = client.get("/fhir/Observation", params={"patient": patient, "_summary": "count"}).json()
    assert summary["total"] == 3 and "entry" not in summary


def test_sort_by_date_either_way(client, results, patient):
    def ids(sort):
        bundle = client.get("/fhir/Observation", params={"patient": patient, "_sort": sort}).json()
        return [e["resource"]["id"] for e in bundle["entry"]]

    assert ids("date") == [results[k]["id"] for k in ("jan", "feb", "mar")]
    assert ids("-date") == [results[k]["id"] for k in ("mar", "feb", "jan")]
    assert ids("status,-date") == [results[k]["id"] for k in ("feb", "jan", "mar")]


def test_unknown_parameters_and_unsupported_modifiers_are_refused(client, patient):
    for params, where in (({"patient": patient, "colour": "red"}, "colour"),
                          ({"patient": patient, "status:not": "final"}, "status:not"),
                          ({"patient": patient, "code:missing": "true"}, "code:missing"),
                          ({"patient": patient, "_include": "Observation:specimen"}, "_include"),
                          ({"patient": patient, "date": "gt2026-13-45"}, "date"),
                          ({"patient": patient, "_count": "many"}, "_count"),
                          ({"patient": patient, "_sort": "colour"}, "_sort")):
        response = client.get("/fhir/Observation", params=params)
        assert response.status_code in (400, 422), (params, response.text)
        assert response.json()["resourceType"] == "OperationOutcome"
        assert response.json()["issue"][0]["expression"] == [where], response.json()
