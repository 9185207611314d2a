"""The registries' API over HTTP: validation naming field and rule, limits, search and paging."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from medshare.audit.models import AuditEvent
from medshare.identity.models import PatientRecord
from medshare.registry.models import Registration
from tests import factories as f
from tests.integration.api.conftest import auth


def _count(engine, model, *where) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_an_invalid_national_id_is_refused_naming_the_rule_and_nothing_is_written(client, world, engine):
    good = f.national_id(dt.date(1975, 3, 9), male=True)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    records, events = _count(engine, PatientRecord), _count(engine, AuditEvent)
    response = client.post("/api/v1/patients", headers=auth(world.tokens["admin_a"]), json={
        "institution_id": world.hospital_a, "local_id": f.unique("L"), "name": "赵强", "sex": "male",
        "birth_date": "1975-03-09", "national_id": bad})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["errors"] == [{"field": "national_id", "rule": "gb11643-check-digit",
                                  "message": "the check digit does not match"}]
    assert (_count(engine, PatientRecord), _count(engine, AuditEvent)) == (records, events)


def test_a_national_id_that_contradicts_the_birth_date_is_refused(client, world):
    response = client.post("/api/v1/patients", headers=auth(world.tokens["admin_a"]), json={
        "institution_id": world.hospital_a, "local_id": f.unique("L"), "name": "赵强", "sex": "male",
        "birth_date": "1975-03-10", "national_id": f.national_id(dt.date(1975, 3, 9), male=True)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "gb11643-birth-date-matches"


def test_a_practitioners_fourth_site_is_refused_under_the_default_policy(client, world, engine):
    token = world.tokens["platform"]
    sites = [client.post("/api/v1/institutions", headers=auth(token), json={
        "code": f.unique("s"), "name": f.unique("卫生院"), "type": "township_health_centre",
        "division_code": "350421"}).json()["id"] for _ in range(3)]
    doctor = client.post("/api/v1/practitioners", headers=auth(token), json={
        "licence_number": f.unique("P"), "name": "刘洋", "profession": "doctor", "title": "chief",
        "primary_institution_id": world.hospital_a}).json()
    window = {"valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    for site in sites[:2]:
        response = client.post(f"/api/v1/practitioners/{doctor['id']}/registrations", headers=auth(token),
                               json={"institution_id": site, **window})
        assert response.status_code == 201, response.text
    before = _count(engine, Registration, Registration.practitioner_id == doctor["id"])
    fourth = client.post(f"/api/v1/practitioners/{doctor['id']}/registrations", headers=auth(token),
                         json={"institution_id": sites[2], **window})
    assert fourth.status_code == 422
    assert fourth.json()["errors"][0]["field"] == "institution_id"
    assert fourth.json()["errors"][0]["rule"] == "max-sites"
    assert _count(engine, Registration, Registration.practitioner_id == doctor["id"]) == before == 2
    later = client.post(f"/api/v1/practitioners/{doctor['id']}/registrations", headers=auth(token),
                        json={"institution_id": sites[2], "valid_from": "2027-01-01", "valid_to": "2027-06-30"})
    assert later.status_code == 201, "a site held after the others end is within the limit"


def test_a_malformed_body_names_each_field_and_rule(client, world):
    response = client.post("/api/v1/institutions", headers=auth(world.tokens["platform"]),
                           json={"code": "", "type": "castle", "division_code": "350403", "surplus": 1})
    assert response.status_code == 422
    fields = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert ("code", "string_too_short") in fields
    assert ("type", "enum") in fields
    assert ("name", "missing") in fields
    assert ("surplus", "extra_forbidden") in fields


def test_a_grade_that_does_not_fit_the_type_is_refused(client, world):
    response = client.post("/api/v1/institutions", headers=auth(world.tokens["platform"]), json={
        "code": f.unique("c"), "name": "三明某医院", "type": "tertiary_hospital", "grade_level": 2,
        "division_code": "350403"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "grade_level", "rule": "grade-matches-type",
                                            "message": "a tertiary_hospital has grade level 3"}


def test_a_duplicate_institution_code_is_a_conflict(client, world):
    body = {"code": f.unique("dup"), "name": "某医院", "type": "imaging_centre", "division_code": "350403"}
    assert client.post("/api/v1/institutions", headers=auth(world.tokens["platform"]), json=body).status_code == 201
    again = client.post("/api/v1/institutions", headers=auth(world.tokens["platform"]), json=body)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "code"


def test_the_directory_api_searches_and_pages_without_login(client, world):
    token = world.tokens["platform"]
    stem = f.unique("检索")
    for i in range(5):
        client.post("/api/v1/institutions", headers=auth(token), json={
            "code": f.unique("c"), "name": f"{stem}{i}", "type": "village_clinic", "division_code": "350424"})
    first = client.get("/api/v1/institutions", params={"q": stem, "limit": 2}).json()
    second = client.get("/api/v1/institutions", params={"q": stem, "limit": 2, "offset": 2}).json()
    assert first["total"] == 5 and len(first["items"]) == 2 and len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    by_division = client.get("/api/v1/institutions", params={"q": stem, "division_code": "3504"}).json()
    assert by_division["total"] == 5
    assert client.get("/api/v1/institutions", params={"q": stem, "division_code": "3501"}).json()["total"] == 0


def test_an_institution_shows_its_licences_with_their_status(client, world):
    institution = client.get(f"/api/v1/institutions/{world.hospital_a}").json()
    assert [lic["status"] for lic in institution["licences"]] in (["valid"], ["expiring"], ["expired"])


def test_patient_reads_are_audited_and_scoped_to_the_institution(client, world, engine):
    def reads() -> int:
        return _count(engine, AuditEvent, AuditEvent.action == "patient.read",
                      AuditEvent.patient_record_id == world.patient_a)

    before = reads()
    own = client.get(f"/api/v1/patients/{world.patient_a}", headers=auth(world.tokens["doctor_a"]))
    assert own.status_code == 200
    assert reads() == before + 1
    foreign = client.get(f"/api/v1/patients/{world.patient_a}", headers=auth(world.tokens["doctor_b"]))
    assert foreign.status_code == 403
    listing = client.get("/api/v1/patients", headers=auth(world.tokens["doctor_b"])).json()
    assert world.patient_a not in {p["id"] for p in listing["items"]}
    self_read = client.get(f"/api/v1/patients/{world.patient_a}", headers=auth(world.tokens["patient_a"]))
    assert self_read.status_code == 200
    assert reads() == before + 2
    assert client.get("/api/v1/patients", headers=auth(world.tokens["supplier"])).status_code == 403


def test_a_token_stops_working_once_the_account_is_deactivated(client, committed):
    from medshare.accounts.models import Role
    from medshare.db import transaction

    with transaction(committed) as session:
        user = f.make_user(session, Role.PLATFORM_ADMIN)
        victim = f.make_user(session, Role.PLATFORM_ADMIN)
        admin_token, victim_token = f.token_for(session, user), f.token_for(session, victim)
    assert client.get("/api/v1/me", headers=auth(victim_token)).status_code == 200
    assert client.delete(f"/api/v1/users/{victim.id}", headers=auth(admin_token)).status_code == 200
    assert client.get("/api/v1/me", headers=auth(victim_token)).status_code == 401


def test_a_password_exchanges_for_a_working_token(client, committed):
    from medshare.accounts.models import Role
    from medshare.db import transaction

    with transaction(committed) as session:
        user = f.make_user(session, Role.PLATFORM_ADMIN)
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": f.PASSWORD})
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers=auth(response.json()["access_token"])).json()
    assert me["username"] == user.username
    wrong = client.post("/api/v1/auth/token", json={"username": user.username, "password": "not it at all"})
    assert wrong.status_code == 401 and "password" in wrong.json()["detail"]


def test_the_openapi_document_lists_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/institutions", "/api/v1/practitioners", "/api/v1/patients", "/api/v1/users"} <= set(paths)
