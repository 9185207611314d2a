"""The supplies API over the live server: catalogue, CSV upload refused whole, request, run, commit, dispatch,
receipt with a difference, a balanced ledger, and the dashboard, each by the role that does it."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.registry.models import InstitutionType
from medshare.supplies import service as supplies
from tests import factories as f


@pytest.fixture(scope="module")
def parties(committed):
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type=InstitutionType.TERTIARY_HOSPITAL, grade_level=3).id
        firm = f.make_institution(session, admin, type=InstitutionType.LOGISTICS_FIRM, grade_level=None,
                                  grade_class=None, latitude=26.25, longitude=117.62).id
        commission = f.make_institution(session, admin, type=InstitutionType.REGULATOR, grade_level=None,
                                        grade_class=None).id
        users = {"regulator": f.make_user(session, Role.REGULATOR, institution_id=commission),
                 "hospital": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital),
                 "logistics": f.make_user(session, Role.SUPPLIER, institution_id=firm)}
        tokens = {name: f.token_for(session, user) for name, user in users.items()}
    return {"hospital": hospital, "firm": firm, "tokens": tokens}


@pytest.fixture
def api(live_server, parties):
    def client(role: str) -> httpx.Client:
        return httpx.Client(base_url=live_server.url + "/api/v1/supplies", timeout=60,
                            headers={"Authorization": f"Bearer {parties['tokens'][role]}"})
    return client


def test_a_request_travels_from_csv_stock_to_receipt_through_the_api(api, parties):
    regulator, hospital, logistics = api("regulator"), api("hospital"), api("logistics")
    code = f.unique("N95")
    assert regulator.post("/items", json={"code": code, "name": "医用防护口罩", "category": "protective_equipment",
                                          "unit": "piece"}).status_code == 201
    assert hospital.post("/items", json={"code": f.unique("X"), "name": "x", "category": "drugs",
                                         "unit": "box"}).status_code == 403
    warehouse = logistics.post("/locations", json={"institution_id": parties["firm"], "kind": "warehouse",
                                                   "name": "north warehouse"}).json()["id"]

    bad = (f"location_id,item_code,lot,expiry,on_hand\n{warehouse},{code},A,2099-12-31,80\n"
           f"{warehouse},{code},B,31/12/2099,twenty\n")
    refused = logistics.post("/stock/upload", json={"csv": bad})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert {(e["field"], e["rule"]) for e in refused.json()["errors"]} == {
        ("row 3.expiry", "iso-date"), ("row 3.on_hand", "integer")}
    assert logistics.get(f"/locations/{warehouse}/stock").json() == []
    good = logistics.post("/stock/upload", json={"csv": bad.split("\n")[0] + "\n" + bad.split("\n")[1]})
    assert good.status_code == 200 and good.json() == {"rows": 1, "lots_changed": 1}

    need_by = (supplies.today() + dt.timedelta(days=2)).isoformat()
    wanted = hospital.post("/requests", json={"institution_id": parties["hospital"], "item_code": code,
                                              "quantity": 100, "priority": "critical_care", "need_by": need_by})
    assert wanted.status_code == 201
    unknown = hospital.post("/requests", json={"institution_id": parties["hospital"], "item_code": code,
                                               "quantity": 1, "priority": "vip", "need_by": need_by})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["rule"] == "known-class"

    run = regulator.post("/runs", json={"item_codes": [code]})
    assert run.status_code == 201
    outcome = run.json()["outcomes"][0]
    assert (outcome["needed"], outcome["covered"], outcome["bound"]) == (100, 80, "no_stock_in_reach")
    assert hospital.post("/runs", json={}).status_code == 403
    committed = regulator.post(f"/runs/{run.json()['id']}/commit")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"

    shipment = logistics.get("/shipments", params={"status": "ordered"}).json()["items"]
    shipment = next(s for s in shipment if s["request_id"] == wanted.json()["id"])
    assert hospital.post(f"/shipments/{shipment['id']}/dispatch", json={}).status_code == 403
    sent = logistics.post(f"/shipments/{shipment['id']}/dispatch", json={})
    assert sent.status_code == 200 and sent.json()["status"] == "dispatched"
    short = hospital.post(f"/shipments/{shipment['id']}/receive", json={"quantity": 78})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "note"
    got = hospital.post(f"/shipments/{shipment['id']}/receive", json={"quantity": 78, "note": "two torn"})
    assert got.status_code == 200 and got.json()["difference"] == -2
    assert regulator.get("/ledger/check").json() == {"balanced": True, "problems": []}

    board = hospital.get("/dashboard").json()
    assert {"item_id", "short"} <= set(board["shortage_by_item"][0])
    assert board["shipments"]["received"]["units"] >= 78
    request = hospital.get(f"/requests/{wanted.json()['id']}").json()
    assert (request["allocated"], request["received"], request["status"]) == (80, 78, "open")
