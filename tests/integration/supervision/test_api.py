"""Supervision and the audit chain over real HTTP: a blacklist refuses listing and booking through the API
with problem+json, remediation through the API lifts it; trust records are public; verify answers."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import service as assets
from medshare.db import transaction
from medshare.supervision.standing import today
from tests import factories as f
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture
def parties(committed):
    with transaction(committed) as session:
        operator = f.admin_principal(session)
        hospital = f.make_institution(session, operator)
        owner = f.make_institution(session, operator, type="tertiary_hospital", grade_level=3)
        bureau = f.make_institution(session, operator, type="regulator", grade_level=None, grade_class=None)
        owner_admin = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner.id))
        asset = assets.create_asset(session, owner_admin, mri_in(owner.id, hours=ALL_DAY))
        users = {"admin": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id),
                 "regulator": f.make_user(session, Role.REGULATOR, institution_id=bureau.id),
                 "other_admin": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner.id)}
        tokens = {name: f.token_for(session, user) for name, user in users.items()}
        return {"hospital": hospital.id, "asset": asset.id, "tokens": tokens,
                "regulator_user": users["regulator"].id}


def _h(parties, who):
    return {"Authorization": f"Bearer {parties['tokens'][who]}"}


def test_a_blacklist_is_enforced_through_the_api_and_lifted_by_an_approved_remediation(client, parties):
    hospital = parties["hospital"]
    case = client.post("/api/v1/supervision/cases", headers=_h(parties, "regulator"),
                       json={"institution_id": hospital, "title": "falsified exam reports",
                             "finding": "reports signed without an exam"})
    assert case.status_code == 201, case.text
    sanction = client.post(f"/api/v1/supervision/cases/{case.json()['id']}/actions", headers=_h(parties, "regulator"),
                           json={"kind": "sanction", "sanction_kind": "blacklist", "text": "blacklisted"})
    assert sanction.status_code == 201 and sanction.json()["department"] == "health"

    booking = {"asset_id": parties["asset"], "exam_code": "MRI-HEAD", "starts_at": local_hour(3, 9).isoformat()}
    refused = client.post("/api/v1/bookings", headers=_h(parties, "admin"), json=booking)
    assert refused.status_code == 403 and refused.json()["code"] == "not-in-good-standing"
    assert refused.headers["content-type"] == "application/problem+json"
    listing = client.post("/api/v1/assets", headers=_h(parties, "admin"), json=mri_in(hospital).model_dump(mode="json"))
    assert listing.status_code == 403 and "cannot list shared assets" in listing.json()["detail"]

    trust = client.get(f"/api/v1/institutions/{hospital}/trust").json()  # public: no token
    assert trust["standing"]["blacklisted"] and trust["sanctions_in_force"][0]["kind"] == "blacklist"
    assert any(row["id"] == hospital for row in client.get("/api/v1/blacklist").json())

    asked = client.post("/api/v1/supervision/remediations", headers=_h(parties, "admin"),
                        json={"institution_id": hospital, "plan": "reports re-examined, signer dismissed"})
    assert asked.status_code == 201
    refused_decision = client.post(f"/api/v1/supervision/remediations/{asked.json()['id']}/decision",
                                   headers=_h(parties, "admin"), json={"approve": True})
    assert refused_decision.status_code == 403
    decided = client.post(f"/api/v1/supervision/remediations/{asked.json()['id']}/decision",
                          headers=_h(parties, "regulator"), json={"approve": True, "note": "verified"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"

    assert client.post("/api/v1/bookings", headers=_h(parties, "admin"), json=booking).status_code == 201
    standing = client.get(f"/api/v1/supervision/standing?institution_id={hospital}", headers=_h(parties, "admin"))
    assert standing.json()["blacklisted"] is False


def test_another_institution_cannot_see_or_answer_a_case(client, parties):
    case = client.post("/api/v1/supervision/cases", headers=_h(parties, "regulator"),
                       json={"institution_id": parties["hospital"], "title": "billing review"}).json()
    assert client.get(f"/api/v1/supervision/cases/{case['id']}", headers=_h(parties, "other_admin")).status_code == 403
    own = client.get("/api/v1/supervision/cases", headers=_h(parties, "other_admin")).json()
    assert case["id"] not in [c["id"] for c in own["items"]]
    answer = client.post(f"/api/v1/supervision/cases/{case['id']}/actions", headers=_h(parties, "admin"),
                         json={"kind": "response", "text": "we will cooperate"})
    assert answer.status_code == 201 and answer.json()["actor_institution_id"] == parties["hospital"]


def test_a_suspension_needs_its_end_date_and_nothing_changes_without_it(client, parties):
    case = client.post("/api/v1/supervision/cases", headers=_h(parties, "regulator"),
                       json={"institution_id": parties["hospital"], "title": "suspension check"}).json()
    bad = client.post(f"/api/v1/supervision/cases/{case['id']}/actions", headers=_h(parties, "regulator"),
                      json={"kind": "suspension", "text": "no end"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ends_on"
    detail = client.get(f"/api/v1/supervision/cases/{case['id']}", headers=_h(parties, "regulator")).json()
    assert detail["sanctions"] == [] and detail["actions"] == []
    good = client.post(f"/api/v1/supervision/cases/{case['id']}/actions", headers=_h(parties, "regulator"),
                       json={"kind": "suspension", "text": "30 days",
                             "ends_on": (today() + dt.timedelta(days=30)).isoformat()})
    assert good.status_code == 201


def test_the_audit_chain_verifies_over_the_api_and_checkpoints_export(client, parties):
    made = client.post("/api/v1/audit/checkpoints", headers=_h(parties, "regulator"))
    assert made.status_code == 201
    report = client.get("/api/v1/audit/verify", headers=_h(parties, "regulator")).json()
    assert report["ok"] is True and report["events"] >= made.json()["seq"] and report["checkpoints"] >= 1
    exported = client.get("/api/v1/audit/checkpoints", headers=_h(parties, "regulator")).json()
    assert exported["checkpoints"][-1]["signature"] and exported["checkpoints"][-1]["public_key_pem"]
    assert client.get("/api/v1/audit/verify", headers=_h(parties, "admin")).status_code == 403
