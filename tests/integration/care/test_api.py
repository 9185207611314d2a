"""The tiered-care API over a real HTTP server: a referral's pathway, refused steps as problem documents,
the desk, the rota's gaps and the night-care thread."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from medshare.accounts.models import Role
from medshare.db import transaction
from tests import factories as f
from tests.integration.care.conftest import principal


@pytest.fixture(scope="module")
def town(committed):
    """A community centre, a tertiary hospital with a cardiologist, their accounts' tokens and a patient."""
    with transaction(committed) as session:
        admin = principal(session, Role.PLATFORM_ADMIN)
        centre = f.make_institution(session, admin, type="community_health_centre", grade_level=1, grade_class=None)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        gp = f.make_practitioner(session, admin, centre.id, specialty="全科")
        patient = f.make_patient(session, admin, centre.id)
        users = {"gp": f.make_user(session, Role.PRACTITIONER, institution_id=centre.id, practitioner_id=gp.id),
                 "hospital": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id),
                 "patient": f.make_user(session, Role.PATIENT, patient_record_id=patient.id)}
        tokens = {name: f.token_for(session, user) for name, user in users.items()}
        return {"centre": centre.id, "hospital": hospital.id, "patient": patient.id, "gp": gp.id, "tokens": tokens}


@pytest.fixture
def api(live_server, town):
    def call(who: str, method: str, url: str, body=None):
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            return client.request(method, url, json=body,
                                  headers={"Authorization": f"Bearer {town['tokens'][who]}"})
    return call


def test_a_referral_is_drafted_sent_and_accepted_over_http(api, town):
    created = api("gp", "POST", "/api/v1/referrals", {
        "patient_record_id": town["patient"], "condition": "hypertension",
        "observations": {"systolic_bp": 190, "diastolic_bp": 100, "neurological_signs": True},
        "to_institution_id": town["hospital"], "attachments": ["DiagnosticReport/3"]})
    assert created.status_code == 201, created.text
    referral = created.json()
    assert (referral["status"], referral["urgency"], referral["criteria_met"]) == (
        "draft", "emergency", ["htn-up-emergency"])
    suggestions = api("gp", "GET", f"/api/v1/referrals/{referral['id']}/suggestions").json()
    assert all(s["institution_id"] != town["centre"] for s in suggestions)
    early = api("hospital", "POST", f"/api/v1/referrals/{referral['id']}/accept")
    assert early.status_code == 409 and early.headers["content-type"] == "application/problem+json"
    assert early.json()["errors"][0]["rule"] == "referral-accept-from"
    sent = api("gp", "POST", f"/api/v1/referrals/{referral['id']}/send")
    assert sent.json()["status"] == "sent" and sent.json()["answer_due_at"]
    inbox = api("hospital", "GET", "/api/v1/referrals?box=inbox").json()
    assert referral["id"] in [r["id"] for r in inbox["items"]]
    wrong_side = api("gp", "POST", f"/api/v1/referrals/{referral['id']}/accept")
    assert wrong_side.status_code == 403 and "referral-accept-by-receiver" in wrong_side.json()["detail"]
    no_reason = api("hospital", "POST", f"/api/v1/referrals/{referral['id']}/decline", {"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    accepted = api("hospital", "POST", f"/api/v1/referrals/{referral['id']}/accept", {"note": "bed 12, CCU"})
    assert accepted.json()["status"] == "accepted"
    timeline = api("gp", "GET", f"/api/v1/referrals/{referral['id']}").json()["events"]
    assert [e["action"] for e in timeline] == ["create", "send", "accept"]


def test_bad_input_names_field_and_rule_and_changes_nothing(api, town):
    before = api("gp", "GET", "/api/v1/referrals?box=outbox").json()["total"]
    bad = api("gp", "POST", "/api/v1/referrals", {"patient_record_id": town["patient"], "condition": "gout"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["rule"] == "known-condition"
    assert api("gp", "GET", "/api/v1/referrals?box=outbox").json()["total"] == before
    policy = api("gp", "GET", "/api/v1/referral-policies").json()
    assert {p["code"] for p in policy} >= {"hypertension", "diabetes", "copd", "chd", "stroke", "ckd",
                                           "severe_mental_disorder"}


def test_the_night_care_thread_and_rota_gaps_over_http(api, town):
    created = api("patient", "POST", "/api/v1/night-requests", {
        "patient_record_id": town["patient"], "specialty": "儿科", "complaint": "child with fever 39.5"})
    assert created.status_code == 201, created.text
    request = created.json()
    reply = api("patient", "POST", f"/api/v1/night-requests/{request['id']}/messages", {"body": "now 40.1"})
    assert reply.status_code == 201
    mine = api("patient", "GET", "/api/v1/night-requests").json()
    assert request["id"] in [r["id"] for r in mine["items"]]
    thread = api("patient", "GET", f"/api/v1/night-requests/{request['id']}").json()["messages"]
    assert [m["body"] for m in thread] == ["child with fever 39.5", "now 40.1"]
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)).isoformat()
    gaps = api("gp", "GET", f"/api/v1/night-shifts/gaps?start={start.replace('+', '%2B')}&days=2").json()
    assert {g["specialty"] for g in gaps} == {"全科", "儿科"}
