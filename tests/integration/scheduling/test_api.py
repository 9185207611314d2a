"""The scheduling API over the live server: the waiting list, a run, its commit, an instant slot, bad input."""

from __future__ import annotations

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import service as assets
from medshare.db import transaction
from tests import factories as f
from tests.integration.api.conftest import auth
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY


@pytest.fixture(scope="module")
def desk(committed):
    """A hospital with an MRI of a capability no other test uses, its admin and doctor, and a patient."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        admin_user = f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id)
        capability = f.unique("cap")
        asset = assets.create_asset(session, accounts.principal_of(admin_user), mri_in(
            hospital.id, capabilities=[capability], hours=ALL_DAY))
        patient = f.make_patient(session, admin, hospital.id)
        other = f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=f.make_institution(session, admin).id)
        return {"hospital": hospital.id, "asset": asset.id, "patient": patient.id, "capability": capability,
                "admin": f.token_for(session, admin_user), "other": f.token_for(session, other)}


def new_request(client, desk, **extra):
    body = {"patient_record_id": desk["patient"], "modality": "MRI", "capabilities": [desk["capability"]]} | extra
    response = client.post("/api/v1/exam-requests", json=body, headers=auth(desk["admin"]))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_desk_proposes_reviews_and_commits_a_run(client, desk):
    urgent = new_request(client, desk, urgency="urgent")
    assert urgent["status"] == "open" and urgent["due_at"] > urgent["requested_at"]
    headers = auth(desk["admin"])
    run = client.post("/api/v1/scheduling/runs", json={"institution_id": desk["hospital"]}, headers=headers)
    assert run.status_code == 201, run.text
    body = client.get(f"/api/v1/scheduling/runs/{run.json()['id']}", headers=headers).json()
    mine = next(p for p in body["proposals"] if p["request_id"] == urgent["id"])
    assert mine["asset_id"] == desk["asset"] and mine["starts_at"] and mine["status"] == "proposed"
    for name in ("optimal", "home_only", "greedy"):
        assert set(body["figures"][name]["by_urgency"]) == {"emergency", "urgent", "routine"}
        assert "utilisation_by_grade" in body["figures"][name]
    assert client.get(f"/api/v1/scheduling/runs/{body['id']}", headers=auth(desk["other"])).status_code == 403
    committed = client.post(f"/api/v1/scheduling/runs/{body['id']}/commit", headers=headers).json()
    assert next(p for p in committed["proposals"] if p["request_id"] == urgent["id"])["status"] == "booked"
    after = client.get(f"/api/v1/exam-requests/{urgent['id']}", headers=headers).json()
    assert after["status"] == "booked" and after["booking_id"]
    again = client.post(f"/api/v1/scheduling/runs/{body['id']}/commit", headers=headers)
    assert again.status_code == 409


def test_an_instant_slot_can_be_proposed_without_booking(client, desk):
    request = new_request(client, desk, urgency="emergency")
    response = client.post("/api/v1/scheduling/instant", json={"request_id": request["id"], "book": False},
                           headers=auth(desk["admin"]))
    assert response.status_code == 200, response.text
    assert response.json()["asset_id"] == desk["asset"] and response.json()["booking_id"] is None
    listed = client.get("/api/v1/exam-requests", params={"status": "open"}, headers=auth(desk["admin"])).json()
    assert request["id"] in {r["id"] for r in listed["items"]}


@pytest.mark.parametrize(("body", "field"), [
    ({"urgency": "whenever"}, "urgency"), ({"max_travel_km": -3}, "max_travel_km"),
    ({"preferred_owner_institution_id": 10**9}, "preferred_owner_institution_id"),
    ({"latitude": 26.2}, "longitude")])
def test_bad_requests_are_refused_naming_the_field(client, desk, body, field):
    response = client.post("/api/v1/exam-requests", json={"patient_record_id": desk["patient"], "modality": "MRI"}
                           | body, headers=auth(desk["admin"]))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
