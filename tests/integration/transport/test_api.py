"""The triage and transport API over a live server: assess, request, dispatch, the trip, a surge, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind, User
from medshare.db import transaction
from tests.integration.api.conftest import auth
from tests.integration.transport.conftest import make_place


@pytest.fixture(scope="module")
def world(committed):
    """A committed place, and tokens of its hospital's admin, a crew member and the dispatcher."""
    with transaction(committed) as session:
        place = make_place(session)
        tokens = {}
        for name, principal in (("admin", place.admin), ("crew", place.crew), ("dispatcher", place.dispatcher)):
            user = session.get(User, principal.user_id)
            tokens[name] = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=1))[0]
        return place, tokens


def test_triage_then_transport_then_the_whole_trip(client, world):
    place, tokens = world
    here = {"latitude": place.lat, "longitude": place.lon}
    vehicle = client.post("/api/v1/vehicles", headers=auth(tokens["admin"]), json={
        "institution_id": place.tertiary, "call_sign": f"ALS-{place.tertiary}", "kind": "ambulance",
        "capability": "als", "latitude": place.lat + 0.01, "longitude": place.lon})
    assert vehicle.status_code == 201, vehicle.text
    assessed = client.post("/api/v1/triage/assessments", headers=auth(tokens["crew"]), json={
        "spo2": 78, "complaint": "dyspnoea", "mobility": "lies", **here})
    assert assessed.status_code == 201, assessed.text
    result = assessed.json()["result"]
    assert result["level"] == 1 and result["dispatch"] and result["capability"] == "als"
    assert "spo2_lt_80" in [f["code"] for f in result["fired"]]
    assert result["institutions"][0]["id"] == place.tertiary
    requested = client.post("/api/v1/transport-requests", headers=auth(tokens["crew"]), json={
        "level": 1, "triage_assessment_id": assessed.json()["id"], **here})
    assert requested.status_code == 201, requested.text
    request = requested.json()
    assert request["vehicle_id"] == vehicle.json()["id"] and request["status"] == "assigned"
    assert request["eta_minutes"] > 2 and request["destination_institution_id"] == place.tertiary
    url = f"/api/v1/transport-requests/{request['id']}"
    skipped = client.post(url + "/progress", headers=auth(tokens["crew"]), json={"status": "transporting"})
    assert skipped.status_code == 409 and skipped.json()["errors"][0]["rule"] == "lifecycle"
    for step in ("en_route", "on_scene", "transporting", "at_hospital", "done"):
        moved = client.post(url + "/progress", headers=auth(tokens["crew"]), json={"status": step})
        assert moved.status_code == 200 and moved.json()["status"] == step
    fleet = client.get("/api/v1/vehicles", headers=auth(tokens["admin"])).json()
    assert [v["status"] for v in fleet if v["id"] == vehicle.json()["id"]] == ["idle"]
    board = client.get("/api/v1/transport-requests", headers=auth(tokens["dispatcher"]), params={"status": "done"})
    assert request["id"] in [r["id"] for r in board.json()["items"]]


def test_a_surge_is_proposed_against_closest_idle_then_committed(client, world):
    place, tokens = world
    for i, capability in enumerate(("als", "bls", "als")):
        created = client.post("/api/v1/vehicles", headers=auth(tokens["admin"]), json={
            "institution_id": place.tertiary, "call_sign": f"S{i}-{place.tertiary}", "kind": "ambulance",
            "capability": capability, "latitude": place.lat - 0.02 * i, "longitude": place.lon + 0.01})
        assert created.status_code == 201
    ids = []
    for level in (4, 1, 2):
        made = client.post("/api/v1/transport-requests", headers=auth(tokens["crew"]), json={
            "level": level, "auto_assign": False, "latitude": place.lat - 0.01 * level, "longitude": place.lon})
        ids.append(made.json()["id"])
    proposal = client.post("/api/v1/dispatch/surge", headers=auth(tokens["dispatcher"]),
                           json={"request_ids": ids})
    assert proposal.status_code == 200, proposal.text
    figures = proposal.json()["figures"]
    assert figures["joint"]["weighted_total"] <= figures["closest_idle"]["weighted_total"]
    assert not proposal.json()["committed"]
    committed = client.post("/api/v1/dispatch/surge", headers=auth(tokens["dispatcher"]),
                            json={"request_ids": ids, "commit": True}).json()
    sent = {a["request_id"]: a["vehicle_id"] for a in committed["assignments"]}
    assert all(sent.values()) and len(set(sent.values())) == 3
    refused = client.post("/api/v1/dispatch/surge", headers=auth(tokens["crew"]), json={"request_ids": ids})
    assert refused.status_code == 403


def test_bad_input_names_the_field_and_rule_and_changes_nothing(client, world):
    place, tokens = world
    before = client.get("/api/v1/transport-requests", headers=auth(tokens["dispatcher"])).json()["total"]
    bad = client.post("/api/v1/transport-requests", headers=auth(tokens["crew"]), json={
        "level": 1, "latitude": 91, "longitude": place.lon})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "latitude"
    taxi = client.post("/api/v1/vehicles", headers=auth(tokens["admin"]), json={
        "institution_id": place.tertiary, "call_sign": "TAXI-ALS", "kind": "partner_car", "capability": "als"})
    assert taxi.status_code == 422 and taxi.json()["errors"][0]["rule"] == "partner-cars-seat"
    vitals = client.post("/api/v1/triage/assessments", headers=auth(tokens["crew"]), json={"heart_rate": 999})
    assert vitals.status_code == 422 and vitals.json()["errors"][0] == {
        "field": "heart_rate", "rule": "plausible-range", "message": "must be between 0 and 300"}
    assert client.get("/api/v1/transport-requests", headers=auth(tokens["dispatcher"])).json()["total"] == before


def test_the_triage_tables_are_public(client):
    tables = client.get("/api/v1/triage/policies").json()
    assert [t["code"] for t in tables] == ["cn4", "cn5"]
    assert [level["max_wait_minutes"] for level in tables[0]["levels"]] == [0, 10, 30, 60]
