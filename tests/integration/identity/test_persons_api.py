"""The patient index over HTTP: persons, search, cross-references and the review queue, scoped and audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from medshare.audit.models import AuditEvent
from medshare.db import transaction
from tests import factories as f
from tests.integration.api.conftest import auth, build_world
from tests.integration.identity import data


@pytest.fixture(scope="module")
def world(committed):
    return build_world(committed)


@pytest.fixture
def client(live_server):
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def mpi(world, committed):
    """A person with records at both hospitals, and a review item at hospital A only."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        a = data.record(session, admin, world.hospital_a, phone="13655556666")
        b = data.record(session, admin, world.hospital_b, name=a.name, birth_date=a.birth_date,
                        national_id=a.national_id)
        item = data.review_pair(session, admin, world.hospital_a)
        return {"a": a, "b": b, "person": data.person_of(session, a.id), "item": item.id}


def test_a_person_is_served_with_every_local_record_and_the_read_is_audited(client, world, mpi, engine):
    with engine.connect() as c:
        before = c.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "patient.read"))
    body = client.get(f"/api/v1/persons/{mpi['person']}", headers=auth(world.tokens["regulator"])).json()
    assert [r["id"] for r in body["records"]] == [mpi["a"].id, mpi["b"].id]
    assert body["records"][0]["name"] == mpi["a"].name
    with engine.connect() as c:
        after = c.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "patient.read"))
    assert after == before + 2


def test_an_institution_sees_other_institutions_records_as_identifiers_only(client, world, mpi):
    body = client.get(f"/api/v1/persons/{mpi['person']}", headers=auth(world.tokens["admin_a"])).json()
    own, other = body["records"]
    assert own["name"] == mpi["a"].name and other["name"] is None and other["local_id"] == mpi["b"].local_id


def test_search_by_demographics_and_cross_reference_by_local_id(client, world, mpi):
    found = client.get("/api/v1/persons", params={"national_id": mpi["a"].national_id},
                       headers=auth(world.tokens["admin_a"])).json()
    assert [p["id"] for p in found] == [mpi["person"]]
    ref = client.get("/api/v1/identifiers", params={"institution_id": world.hospital_a, "local_id": mpi["a"].local_id},
                     headers=auth(world.tokens["doctor_a"])).json()
    assert ref["person_id"] == mpi["person"]
    assert [(i["institution_id"], i["local_id"]) for i in ref["identifiers"]] == [(world.hospital_b,
                                                                                   mpi["b"].local_id)]
    same = client.get(f"/api/v1/patients/{mpi['a'].id}/cross-references", headers=auth(world.tokens["doctor_a"]))
    assert same.json() == ref


def test_a_person_without_records_at_the_readers_institution_is_forbidden(client, world, mpi):
    item = client.get(f"/api/v1/linkage/reviews/{mpi['item']}", headers=auth(world.tokens["platform"])).json()
    response = client.get(f"/api/v1/persons/{item['record_person_id']}", headers=auth(world.tokens["doctor_b"]))
    assert response.status_code == 403


def test_the_review_queue_is_scoped_to_the_admins_institution(client, world, mpi):
    mine = client.get("/api/v1/linkage/reviews", params={"limit": 200}, headers=auth(world.tokens["admin_a"])).json()
    theirs = client.get("/api/v1/linkage/reviews", params={"limit": 200},
                        headers=auth(world.tokens["admin_b"])).json()
    assert mpi["item"] in [i["id"] for i in mine["items"]]
    assert mpi["item"] not in [i["id"] for i in theirs["items"]]
    detail = client.get(f"/api/v1/linkage/reviews/{mpi['item']}", headers=auth(world.tokens["admin_a"])).json()
    assert {c["field"] for c in detail["comparisons"]} >= {"name", "birth_date", "national_id"}
    assert detail["record"]["name"] == detail["candidate"]["name"]
    assert client.get(f"/api/v1/linkage/reviews/{mpi['item']}",
                      headers=auth(world.tokens["admin_b"])).status_code == 403
    assert client.get("/api/v1/linkage/reviews", headers=auth(world.tokens["doctor_a"])).status_code == 403
