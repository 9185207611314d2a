"""Every write endpoint, tried by another institution's admin, is refused and changes nothing; tried by
an account allowed to, it succeeds and leaves an audit event."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.audit.models import AuditEvent
from medshare.db import transaction
from medshare.main import create_app
from tests import factories as f
from tests.integration.api.conftest import auth, build_world
from tests.integration.assets import data as shared_assets
from tests.integration.care import data as tiered_care
from tests.integration.claims import data as claims_and_risk
from tests.integration.identity import data as mpi
from tests.integration.pki import data as signed_reports
from tests.integration.recognition import data as mutual_recognition
from tests.integration.scheduling import data as regional_scheduling
from tests.integration.supervision import data as supervision
from tests.integration.supplies import data as emergency_supplies
from tests.integration.transport import data as emergency_transport

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def write_routes(settings) -> set[tuple[str, str]]:
    paths = create_app(settings).openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() if path.startswith("/api/v1")
            for method in operations if method.upper() in WRITE_METHODS}


def add_identity(committed, w):
    """Hospital A's objects of the patient index: two review items, two persons, a record linked to another."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        w.review_link = mpi.review_pair(session, admin, w.hospital_a).id
        w.review_reject = mpi.review_pair(session, admin, w.hospital_a).id
        w.person_x = mpi.person_of(session, mpi.record(session, admin, w.hospital_a).id)
        w.person_y = mpi.person_of(session, mpi.record(session, admin, w.hospital_a).id)
        twin = mpi.record(session, admin, w.hospital_a)
        copy = mpi.record(session, admin, w.hospital_a, name=twin.name, birth_date=twin.birth_date,
                          national_id=twin.national_id)
        w.linked_record = copy.id
    return w


@pytest.fixture(scope="module")
def world(committed):
    world = shared_assets.add_assets(committed, add_identity(committed, build_world(committed)))
    world = supervision.add_supervision(committed, world)
    world = claims_and_risk.add_claims_and_risk(committed, world)
    world = regional_scheduling.add_scheduling(committed, world)
    world = tiered_care.add_care(committed, world)
    world = emergency_transport.add_transport(committed, world)
    world = emergency_supplies.add_supplies(committed, world)
    return mutual_recognition.add_recognition(committed, signed_reports.add_pki(committed, world))


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """Each write route, aimed at hospital A's objects, with a body that would be valid for A."""
    today = dt.date(2026, 6, 1)
    return {
        ("POST", "/api/v1/institutions"): ("/api/v1/institutions", {
            "code": f.unique("c"), "name": f.unique("新医院"), "type": "secondary_hospital", "grade_level": 2,
            "division_code": "350403"}),
        ("PATCH", "/api/v1/institutions/{institution_id}"): (f"/api/v1/institutions/{w.hospital_a}",
                                                             {"phone": "0598-8221234"}),
        ("DELETE", "/api/v1/institutions/{institution_id}"): (f"/api/v1/institutions/{w.spare_site}", None),
        ("POST", "/api/v1/institutions/{institution_id}/licences"): (
            f"/api/v1/institutions/{w.hospital_a}/licences",
            {"number": f.unique("L"), "valid_from": "2025-01-01", "valid_to": "2030-01-01"}),
        ("DELETE", "/api/v1/licences/{licence_id}"): (f"/api/v1/licences/{w.licence_a}", None),
        ("POST", "/api/v1/medical-communities"): ("/api/v1/medical-communities", {
            "name": f.unique("医共体"), "lead_institution_id": w.hospital_a}),
        ("POST", "/api/v1/medical-communities/{community_id}/members"): (
            f"/api/v1/medical-communities/{w.community_a}/members", {"institution_id": w.spare_site}),
        ("DELETE", "/api/v1/medical-communities/{community_id}/members/{institution_id}"): (
            f"/api/v1/medical-communities/{w.community_a}/members/{w.spare_site}", None),
        ("POST", "/api/v1/practitioners"): ("/api/v1/practitioners", {
            "licence_number": f.unique("P"), "name": "王芳", "profession": "nurse", "title": "resident",
            "primary_institution_id": w.hospital_a}),
        ("PATCH", "/api/v1/practitioners/{practitioner_id}"): (f"/api/v1/practitioners/{w.practitioner_a}",
                                                               {"specialty": "全科"}),
        ("POST", "/api/v1/practitioners/{practitioner_id}/registrations"): (
            f"/api/v1/practitioners/{w.practitioner_a}/registrations",
            {"institution_id": w.hospital_b, "valid_from": str(today), "valid_to": str(today + dt.timedelta(days=90))}),
        ("DELETE", "/api/v1/registrations/{registration_id}"): (f"/api/v1/registrations/{w.registration_a}", None),
        ("DELETE", "/api/v1/practitioners/{practitioner_id}"): (f"/api/v1/practitioners/{w.practitioner_a}", None),
        ("POST", "/api/v1/patients"): ("/api/v1/patients", {
            "institution_id": w.hospital_a, "local_id": f.unique("L"), "name": "陈静", "sex": "female",
            "birth_date": "1990-02-03", "national_id": f.national_id(dt.date(1990, 2, 3), male=False)}),
        ("PATCH", "/api/v1/patients/{record_id}"): (f"/api/v1/patients/{w.patient_a}", {"address": "三元区新市中路"}),
        ("DELETE", "/api/v1/patients/{record_id}"): (f"/api/v1/patients/{w.patient_a}", None),
        ("POST", "/api/v1/users"): ("/api/v1/users", {
            "username": f.unique("nurse"), "password": f.PASSWORD, "role": "practitioner",
            "institution_id": w.hospital_a}),
        ("PATCH", "/api/v1/users/{user_id}"): (f"/api/v1/users/{w.user_a}", {"display_name": "护士长"}),
        ("DELETE", "/api/v1/users/{user_id}"): (f"/api/v1/users/{w.user_a}", None),
        ("POST", "/api/v1/linkage/reviews/{item_id}/link"): (f"/api/v1/linkage/reviews/{w.review_link}/link", None),
        ("POST", "/api/v1/linkage/reviews/{item_id}/reject"): (
            f"/api/v1/linkage/reviews/{w.review_reject}/reject", None),
        ("POST", "/api/v1/persons/{person_id}/merge"): (f"/api/v1/persons/{w.person_x}/merge",
                                                       {"other_person_id": w.person_y}),
        ("POST", "/api/v1/patients/{record_id}/unmerge"): (f"/api/v1/patients/{w.linked_record}/unmerge", None),
        ("POST", "/api/v1/auth/token"): ("/api/v1/auth/token", None),  # public by design: it is the login
    } | emergency_supplies.cases(w) | supervision.cases_of(w) | claims_and_risk.cases(w) | shared_assets.cases(w) \
        | regional_scheduling.cases(w) | emergency_transport.cases(w) | signed_reports.cases(w) \
        | mutual_recognition.cases(w) | tiered_care.cases(w)


def test_the_table_covers_every_write_endpoint(world, settings):
    assert write_routes(settings) == set(cases(world))


def _audit_count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def _send(client, method, url, body, token):
    return client.request(method, url, json=body, headers=auth(token))


@pytest.mark.parametrize("account", ["admin_b", "doctor_b", "supplier", "patient_a"])
def test_another_institutions_accounts_cannot_write_to_hospital_a(client, world, engine, account):
    for (method, path), (url, body) in cases(world).items():
        if path == "/api/v1/auth/token":
            continue
        before = _audit_count(engine)
        response = _send(client, method, url, body, world.tokens[account])
        assert response.status_code in (403, 404), (account, method, path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert _audit_count(engine) == before, (method, path)


def test_a_write_without_a_token_is_refused_with_401(client, world):
    for (method, path), (url, body) in cases(world).items():
        if path == "/api/v1/auth/token":
            continue
        response = client.request(method, url, json=body)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


# Order matters: deletions come after the writes that need their objects.
ALLOWED = [
    ("admin_a", "PATCH", "/api/v1/institutions/{institution_id}"),
    ("admin_a", "POST", "/api/v1/practitioners"),
    ("admin_a", "PATCH", "/api/v1/practitioners/{practitioner_id}"),
    ("admin_a", "POST", "/api/v1/practitioners/{practitioner_id}/registrations"),
    ("admin_a", "POST", "/api/v1/patients"),
    ("doctor_a", "PATCH", "/api/v1/patients/{record_id}"),
    ("admin_a", "POST", "/api/v1/linkage/reviews/{item_id}/link"),
    ("regulator", "POST", "/api/v1/linkage/reviews/{item_id}/reject"),
    ("admin_a", "POST", "/api/v1/persons/{person_id}/merge"),
    ("admin_a", "POST", "/api/v1/patients/{record_id}/unmerge"),
    ("admin_a", "POST", "/api/v1/users"),
    ("admin_a", "PATCH", "/api/v1/users/{user_id}"),
    ("regulator", "POST", "/api/v1/institutions"),
    ("regulator", "POST", "/api/v1/institutions/{institution_id}/licences"),
    ("regulator", "POST", "/api/v1/medical-communities"),
    ("regulator", "POST", "/api/v1/medical-communities/{community_id}/members"),
    ("regulator", "DELETE", "/api/v1/medical-communities/{community_id}/members/{institution_id}"),
    ("platform", "DELETE", "/api/v1/licences/{licence_id}"),
    ("admin_a", "DELETE", "/api/v1/registrations/{registration_id}"),
    ("admin_a", "DELETE", "/api/v1/practitioners/{practitioner_id}"),
    ("admin_a", "DELETE", "/api/v1/patients/{record_id}"),
    ("admin_a", "DELETE", "/api/v1/users/{user_id}"),
    ("regulator", "DELETE", "/api/v1/institutions/{institution_id}"),
]


def test_every_write_by_an_allowed_account_succeeds_and_is_audited(client, committed, engine):
    # Its own world: this test deletes what it writes to.
    world = shared_assets.add_assets(committed, add_identity(committed, build_world(committed)))
    world = supervision.add_supervision(committed, world)
    world = claims_and_risk.add_claims_and_risk(committed, world)
    world = regional_scheduling.add_scheduling(committed, world)
    world = tiered_care.add_care(committed, world)
    world = emergency_transport.add_transport(committed, world)
    world = emergency_supplies.add_supplies(committed, world)
    world = mutual_recognition.add_recognition(committed, signed_reports.add_pki(committed, world))
    table = cases(world)
    allowed = tiered_care.ALLOWED + ALLOWED
    allowed += shared_assets.ALLOWED + regional_scheduling.ALLOWED + emergency_transport.ALLOWED
    allowed = signed_reports.ALLOWED + mutual_recognition.ALLOWED + allowed  # before A's deletions
    allowed = emergency_supplies.ALLOWED + allowed
    allowed += supervision.ALLOWED
    allowed += claims_and_risk.ALLOWED
    assert {(m, p) for _, m, p in allowed} == set(table) - {("POST", "/api/v1/auth/token")}
    for account, method, path in allowed:
        url, body = table[(method, path)]
        before = _audit_count(engine)
        response = _send(client, method, url, body, world.tokens[account])
        assert response.status_code < 300, (account, method, path, response.text)
        assert _audit_count(engine) > before, (method, path)
    token = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong password"})
    assert token.status_code == 401
