"""Mutual recognition over a real HTTP server: a check at order time, accept, repeat with a reason, figures."""

from __future__ import annotations

import httpx
import pytest

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.identity.models import PatientRecord
from tests import factories as f
from tests.integration.recognition.data import observation, region


@pytest.fixture(scope="module")
def world(committed):
    with transaction(committed) as session:
        r = region(session)
        result = observation(session, session.get(PatientRecord, r.there), r.tertiary)
        tokens = {
            "doctor": f.token_for(session, f.make_user(session, Role.PRACTITIONER, institution_id=r.secondary,
                                                       practitioner_id=r.doctor.practitioner_id)),
            "other": f.token_for(session, f.make_user(session, Role.PRACTITIONER, institution_id=r.secondary_other)),
            "regulator": f.token_for(session, f.make_user(session, Role.REGULATOR, institution_id=r.secondary_other)),
            "patient": f.token_for(session, f.make_user(session, Role.PATIENT, patient_record_id=r.here)),
        }
        return {"r": r, "result": result.id, "tokens": tokens}


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def _as(world, who):
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def test_an_order_is_fulfilled_by_a_prior_result_and_a_repeat_needs_a_reason(client, world):
    r = world["r"]
    body = {"patient_record_id": r.here, "item_code": "2823-3"}
    check = client.post("/api/v1/recognition/checks", json=body, headers=_as(world, "doctor"))
    assert check.status_code == 201, check.text
    offered = check.json()["candidates"]
    assert [(c["id"], c["why"], c["recognisable"]) for c in offered] == [(world["result"], "higher-grade", True)]
    accepted = client.post(f"/api/v1/recognition/checks/{check.json()['id']}/accept", headers=_as(world, "doctor"),
                           json={"result_kind": "Observation", "result_id": world["result"]})
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    assert accepted.json()["service_request_id"] is not None

    second = client.post("/api/v1/recognition/checks", json=body, headers=_as(world, "doctor")).json()
    missing = client.post(f"/api/v1/recognition/checks/{second['id']}/repeat", json={},
                          headers=_as(world, "doctor"))
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["errors"] == [{"field": "reason", "rule": "required", "message": missing.json()[
        "errors"][0]["message"]}]
    repeated = client.post(f"/api/v1/recognition/checks/{second['id']}/repeat", headers=_as(world, "doctor"),
                           json={"reason": "critical_decision", "note": "before surgery"})
    assert repeated.json()["decision"] == "repeated" and repeated.json()["repeat_reason"] == "critical_decision"

    orders = client.get("/fhir/ServiceRequest", params={"patient": f"Patient/{r.here}"},
                        headers=_as(world, "patient")).json()  # the patient's orders on the shared record
    said = {e["resource"]["status"]: e["resource"]["reasonCode"][0]["text"] for e in orders["entry"]
            if e["search"]["mode"] == "match"}
    assert said["completed"].startswith("fulfilled by a recognised result: Observation/")
    assert said["active"] == "repeated: critical_decision (before surgery)"

    mine = client.get("/api/v1/recognition/my-decisions", headers=_as(world, "patient")).json()
    assert {(d["decision"], d["repeat_reason"]) for d in mine} == {("accepted", None),
                                                                   ("repeated", "critical_decision")}

    month = check.json()["checked_at"][:7]
    figures = client.get(f"/api/v1/recognition/figures?month={month}&institution_id={r.secondary}",
                         headers=_as(world, "regulator")).json()
    assert figures["totals"]["recognitions"] == 1 and figures["totals"]["money_saved_fen"] == 500
    assert figures["totals"]["repeats_by_reason"]["critical_decision"] == 1


def test_another_institutions_doctor_cannot_check_the_patient_and_nothing_is_recorded(client, world):
    r = world["r"]
    refused = client.post("/api/v1/recognition/checks", json={"patient_record_id": r.here, "item_code": "2823-3"},
                          headers=_as(world, "other"))
    assert refused.status_code == 403
    listed = client.get("/api/v1/recognition/checks", headers=_as(world, "other")).json()
    assert listed["total"] == 0


def test_an_unknown_item_names_the_field_and_the_rule(client, world):
    answer = client.post("/api/v1/recognition/checks", headers=_as(world, "doctor"),
                         json={"patient_record_id": world["r"].here, "item_code": "NO-SUCH"})
    assert answer.status_code == 404 and answer.json()["errors"][0]["rule"] == "known-item"
