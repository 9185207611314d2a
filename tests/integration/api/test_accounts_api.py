"""Accounts over HTTP: who may open which account, and whose audit trail each account sees."""

from __future__ import annotations

from tests import factories as f
from tests.integration.api.conftest import auth


def test_an_institution_admin_cannot_create_a_platform_admin(client, world):
    response = client.post("/api/v1/users", headers=auth(world.tokens["admin_a"]), json={
        "username": f.unique("boss"), "password": f.PASSWORD, "role": "platform_admin"})
    assert response.status_code == 403


def test_an_institution_admin_opens_accounts_for_its_own_institution_only(client, world):
    body = {"username": f.unique("nurse"), "password": f.PASSWORD, "role": "practitioner"}
    own = client.post("/api/v1/users", headers=auth(world.tokens["admin_a"]),
                      json=body | {"institution_id": world.hospital_a})
    assert own.status_code == 201 and own.json()["institution_id"] == world.hospital_a
    foreign = client.post("/api/v1/users", headers=auth(world.tokens["admin_a"]),
                          json=body | {"username": f.unique("nurse"), "institution_id": world.hospital_b})
    assert foreign.status_code == 403


def test_a_short_password_is_refused_naming_the_rule(client, world):
    response = client.post("/api/v1/users", headers=auth(world.tokens["platform"]), json={
        "username": f.unique("u"), "password": "short", "role": "platform_admin"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "password", "rule": "min-length",
                                            "message": "must be at least 10 characters"}


def test_accounts_list_only_their_own_institutions_users(client, world):
    listed = client.get("/api/v1/users", headers=auth(world.tokens["admin_b"]), params={"limit": 200}).json()
    assert listed["items"] and {u["institution_id"] for u in listed["items"]} == {world.hospital_b}


def test_a_user_may_change_their_own_language(client, world):
    me = client.get("/api/v1/me", headers=auth(world.tokens["doctor_b"])).json()
    response = client.patch(f"/api/v1/users/{me['id']}", headers=auth(world.tokens["doctor_b"]),
                            json={"locale": "zh_Hans"})
    assert response.status_code == 200 and response.json()["locale"] == "zh_Hans"
    role = client.patch(f"/api/v1/users/{me['id']}", headers=auth(world.tokens["doctor_b"]),
                        json={"role": "institution_admin"})
    assert role.status_code == 403


def test_an_institution_sees_only_its_own_audit_trail(client, world):
    events = client.get("/api/v1/audit-events", headers=auth(world.tokens["admin_b"]),
                        params={"institution_id": world.hospital_a, "limit": 200}).json()
    assert events["items"] and {e["institution_id"] for e in events["items"]} == {world.hospital_b}
    everything = client.get("/api/v1/audit-events", headers=auth(world.tokens["platform"]),
                            params={"institution_id": world.hospital_a}).json()
    assert everything["total"] > 0 and {e["institution_id"] for e in everything["items"]} == {world.hospital_a}
    assert client.get("/api/v1/audit-events", headers=auth(world.tokens["doctor_a"])).status_code == 403


def test_audit_events_say_who_did_what_from_where(client, world):
    client.patch(f"/api/v1/institutions/{world.hospital_b}", headers=auth(world.tokens["admin_b"]),
                 json={"address": "三明市梅列区列东街"}, )
    event = client.get("/api/v1/audit-events", headers=auth(world.tokens["admin_b"]),
                       params={"action": "institution.update", "limit": 1}).json()["items"][0]
    assert event["object_type"] == "institution" and event["object_id"] == str(world.hospital_b)
    assert event["actor_role"] == "institution_admin" and event["actor_user_id"] is not None
    assert event["channel"] == "api" and event["source_ip"] == "127.0.0.1" and event["request_id"]
    assert event["details"] == {"fields": ["address"]}
