"""Every effect of the blacklist through the API and through the pages, on the live server, and both exits.

An institution on the blacklist cannot list assets (its listings leave search and take no booking), book,
receive referrals or receive supply allocations; a practitioner on it cannot book, sign or consult, their
certificate is revoked and no new one is issued. All of it comes from the one standing check. The institution
leaves by a remediation a regulator approves; the practitioner when the suspension expires.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import service as assets
from medshare.care import teleconsults
from medshare.care.schemas import TeleconsultIn
from medshare.db import transaction
from medshare.pki import service as pki
from medshare.supervision import directory, standing
from medshare.supervision.models import Remediation
from medshare.supplies import service as supplies
from medshare.supplies.schemas import ItemIn, LocationIn, StockRowIn, SupplyRequestIn
from medshare.web.assets.asset_form import values_of_asset
from tests import factories as f
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour
from tests.integration.recognition.data import report

REFUSED = "not-in-good-standing"


@pytest.fixture(scope="module")
def world(committed):
    """A hospital and its doctor (the subjects), an owner's MRI, a community centre that refers up, a regulator,
    a warehouse with stock of an item of their own; the hospital's own MRI listed, its supply request open, the
    doctor's certificate, two reports to sign and two consultations to answer."""
    with transaction(committed) as session:
        op = f.admin_principal(session)
        hospital = f.make_institution(session, op, type="tertiary_hospital", grade_level=3).id
        owner = f.make_institution(session, op, type="tertiary_hospital", grade_level=3).id
        centre = f.make_institution(session, op, type="community_health_centre", grade_level=1, grade_class=None).id
        bureau = f.make_institution(session, op, type="regulator", grade_level=None, grade_class=None).id
        firm = f.make_institution(session, op, type="logistics_firm", grade_level=None, grade_class=None).id
        specialty = f.unique("心内科")
        doctor = f.make_practitioner(session, op, hospital, specialty=specialty).id
        gp = f.make_practitioner(session, op, centre, specialty="全科").id
        patient = f.make_patient(session, op, centre).id
        users = {"regulator": f.make_user(session, Role.REGULATOR, institution_id=bureau),
                 "hospital": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital),
                 "owner": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner),
                 "doctor": f.make_user(session, Role.PRACTITIONER, institution_id=hospital, practitioner_id=doctor),
                 "gp": f.make_user(session, Role.PRACTITIONER, institution_id=centre, practitioner_id=gp),
                 "firm": f.make_user(session, Role.SUPPLIER, institution_id=firm)}
        who = {name: accounts.principal_of(user) for name, user in users.items()}
        marker = f.unique("cap-")
        mri = assets.create_asset(session, who["owner"], mri_in(owner, hours=ALL_DAY, capabilities=[marker]))
        own = assets.create_asset(session, who["hospital"], mri_in(hospital, hours=ALL_DAY,
                                                                   capabilities=[marker + "-own"]))
        item = f.unique("MASK")
        supplies.create_item(session, who["regulator"], ItemIn(code=item, name="口罩", category="protective_equipment",
                                                               unit="piece"))
        warehouse = supplies.create_location(session, who["firm"], LocationIn(
            institution_id=firm, kind="warehouse", name="warehouse", latitude=26.26, longitude=117.64))
        supplies.report_stock(session, who["firm"], warehouse, [StockRowIn(item_code=item, lot="A", on_hand=1000)])
        asked = supplies.create_request(session, who["hospital"], SupplyRequestIn(
            institution_id=hospital, item_code=item, quantity=100, priority="critical_care",
            need_by=supplies.today() + dt.timedelta(days=3))).id
        pki.issue_certificate(session, None, doctor, secret=f.SECRET_KEY)
        reports = [report(session, f.make_patient(session, op, hospital), hospital, author=doctor).fhir_id
                   for _ in range(2)]
        asking = TeleconsultIn(patient_record_id=patient, specialty=specialty, case_summary="BP 170/105 on 3 drugs")
        consults = [teleconsults.request_teleconsult(session, who["gp"], asking).id for _ in range(2)]
        tokens = {name: f.token_for(session, user) for name, user in users.items()}
        names = {name: user.username for name, user in users.items()}
        return {"hospital": hospital, "owner": owner, "doctor": doctor, "patient": patient, "mri": mri.id,
                "own_asset": own.id, "marker": marker, "item": item, "asked": asked, "reports": reports,
                "consults": consults, "tokens": tokens, "names": names,
                "asset_form": values_of_asset(mri) | {"owner_institution_id": str(hospital)}}


@pytest.fixture
def api(live_server, world):
    def client(who: str) -> httpx.Client:
        return httpx.Client(base_url=live_server.url, timeout=60,
                            headers={"Authorization": f"Bearer {world['tokens'][who]}"})
    return client


@contextmanager
def pages(live_server, world, who: str) -> Iterator[tuple[httpx.Client, str]]:
    """A signed-in browser session over HTTP (cookie and CSRF token), as the login form gives one."""
    with httpx.Client(base_url=live_server.url, timeout=60, follow_redirects=False) as client:
        token = _csrf(client.get("/login").text)
        signed = client.post("/login", data={"csrf_token": token, "username": world["names"][who],
                                             "password": f.PASSWORD, "next": "/home"})
        assert signed.status_code == 303, signed.text[:300]
        yield client, _csrf(client.get("/home").text)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def _refused_by_api(answer: httpx.Response, doing: str) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == REFUSED and f"cannot {doing}" in answer.json()["detail"]


def _refused_on_page(answer: httpx.Response, doing: str) -> None:
    assert answer.status_code in (403, 422), answer.text[:300]
    assert "is blacklisted" in answer.text and f"cannot {doing}" in answer.text


def _booking(world, days: int, hour: int) -> dict:
    return {"asset_id": world["mri"], "exam_code": "MRI-HEAD", "starts_at": local_hour(days, hour).isoformat()}


def _booking_form(world, token: str, days: int, hour: int) -> dict:
    return {"csrf_token": token, "from": "slot", **_booking(world, days, hour)}


def _slots(client: httpx.Client, world) -> list:
    return client.get("/api/v1/slots", params={"capability": world["marker"] + "-own", "limit": 3}).json()


def test_a_blacklisted_institution_is_refused_everywhere_until_a_regulator_approves_its_remediation(
        live_server, api, world, committed):
    hospital = world["hospital"]
    regulator, admin, gp, owner = api("regulator"), api("hospital"), api("gp"), api("owner")
    supply_request = {"institution_id": hospital, "item_code": world["item"], "quantity": 10,
                      "priority": "general_ward", "need_by": (supplies.today() + dt.timedelta(days=4)).isoformat()}
    referral = {"patient_record_id": world["patient"], "condition": "hypertension", "to_institution_id": hospital,
                "observations": {"systolic_bp": 190, "diastolic_bp": 100, "neurological_signs": True}}
    assert len(_slots(owner, world)) > 0  # its MRI is listed for sharing

    case = regulator.post("/api/v1/supervision/cases", json={"institution_id": hospital,
                                                             "title": "fraudulent claims"}).json()
    assert regulator.post(f"/api/v1/supervision/cases/{case['id']}/actions", json={
        "kind": "sanction", "sanction_kind": "blacklist", "text": "blacklisted"}).status_code == 201

    # Through the API.
    _refused_by_api(admin.post("/api/v1/assets", json=mri_in(hospital).model_dump(mode="json")),
                    "list shared assets")
    assert _slots(owner, world) == []  # its listing has left search...
    own_slot = {"asset_id": world["own_asset"], "exam_code": "MRI-HEAD", "starts_at": local_hour(5, 9).isoformat()}
    _refused_by_api(owner.post("/api/v1/bookings", json=own_slot), "list shared assets")  # ...and takes no booking
    _refused_by_api(admin.post("/api/v1/bookings", json=_booking(world, 3, 9)), "book shared assets")
    _refused_by_api(gp.post("/api/v1/referrals", json=referral), "receive referrals")
    _refused_by_api(admin.post("/api/v1/supplies/requests", json=supply_request), "receive supply allocations")
    run = regulator.post("/api/v1/supplies/runs", json={"item_codes": [world["item"]]}).json()
    outcome = regulator.get(f"/api/v1/supplies/runs/{run['id']}/outcomes/{world['asked']}").json()
    assert (outcome["covered"], outcome["bound"]) == (0, "not_in_good_standing")

    # Through the pages.
    with pages(live_server, world, "hospital") as (web, token):
        _refused_on_page(web.post("/assets", data=world["asset_form"] | {"csrf_token": token,
                                                                          "name": f.unique("MRI")}),
                         "list shared assets")
        _refused_on_page(web.post("/bookings", data=_booking_form(world, token, 3, 10)), "book shared assets")
        _refused_on_page(web.post("/supplies/requests", data={"csrf_token": token, **{
            k: str(v) for k, v in supply_request.items() if k != "institution_id"}}), "receive supply allocations")
    with pages(live_server, world, "owner") as (web, token):
        search = web.get("/bookings/search", params={"capabilities": world["marker"] + "-own",
                                                     "exam_code": "MRI-HEAD"})
        assert search.status_code == 200 and f'value="{world["own_asset"]}"' not in search.text
    with pages(live_server, world, "gp") as (web, token):
        drafted = web.post("/referrals/new", data={"csrf_token": token, "patient_record_id": str(world["patient"]),
                                                   "condition": "hypertension", "summary": "BP 190/100"})
        assert drafted.status_code == 303, drafted.text[:300]
        draft = drafted.headers["location"].split("?")[0]
        _refused_on_page(web.post(f"{draft}/target", data={"csrf_token": token, "to_institution_id": str(hospital)}),
                         "receive referrals")
    with pages(live_server, world, "regulator") as (web, token):
        proposed = web.post("/supplies/runs", data={"csrf_token": token, "item_code": world["item"]})
        assert proposed.status_code == 303
        assert "Not in good standing (blacklisted)" in web.get(proposed.headers["location"]).text

    # The exit: the hospital asks on its standing page, a regulator approves.
    with pages(live_server, world, "hospital") as (web, token):
        asked = web.post("/standing/remediations", data={"csrf_token": token,
                                                         "plan": "claims audited, refunds paid, staff retrained"})
        assert asked.status_code == 303
    with transaction(committed) as session:
        remediation = session.scalar(sa.select(Remediation.id).where(Remediation.institution_id == hospital))
    decided = regulator.post(f"/api/v1/supervision/remediations/{remediation}/decision",
                             json={"approve": True, "note": "checked on site"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"

    assert admin.post("/api/v1/assets", json=mri_in(hospital).model_dump(mode="json")).status_code == 201
    assert len(_slots(owner, world)) > 0
    assert owner.post("/api/v1/bookings", json=own_slot).status_code == 201
    assert admin.post("/api/v1/bookings", json=_booking(world, 3, 9)).status_code == 201
    assert gp.post("/api/v1/referrals", json=referral).status_code == 201
    assert admin.post("/api/v1/supplies/requests", json=supply_request).status_code == 201
    again = regulator.post("/api/v1/supplies/runs", json={"item_codes": [world["item"]]}).json()
    assert regulator.get(f"/api/v1/supplies/runs/{again['id']}/outcomes/{world['asked']}").json()["covered"] == 100
    with pages(live_server, world, "hospital") as (web, token):
        assert web.post("/assets", data=world["asset_form"] | {"csrf_token": token, "name": f.unique("MRI")}
                        ).status_code == 303
        assert web.post("/bookings", data=_booking_form(world, token, 3, 10)).status_code == 303
        assert web.post("/supplies/requests", data={"csrf_token": token, **{
            k: str(v) for k, v in supply_request.items() if k != "institution_id"}}).status_code == 303
    with pages(live_server, world, "gp") as (web, token):
        assert web.post(f"{draft}/target", data={"csrf_token": token, "to_institution_id": str(hospital)}
                        ).status_code == 303


def test_a_blacklisted_practitioner_is_refused_everywhere_and_lets_go_when_the_suspension_expires(
        live_server, api, world, monkeypatch):
    doctor, hospital = world["doctor"], world["hospital"]
    regulator, admin, me = api("regulator"), api("hospital"), api("doctor")
    ends_on = standing.today() + dt.timedelta(days=30)
    case = regulator.post("/api/v1/supervision/cases", json={
        "institution_id": hospital, "practitioner_id": doctor, "title": "reports signed without an exam"}).json()
    suspended = regulator.post(f"/api/v1/supervision/cases/{case['id']}/actions", json={
        "kind": "suspension", "text": "practice suspended", "on_practitioner": True, "ends_on": ends_on.isoformat()})
    assert suspended.status_code == 201, suspended.text
    report_api, report_page = world["reports"]
    consult_api, consult_page = world["consults"]

    # The certificate is revoked, and no new one is issued, through the API...
    held = admin.get("/api/v1/certificates", params={"practitioner_id": doctor}).json()["items"]
    assert held and {(c["status"], c["revocation_reason"]) for c in held} == {("revoked", "privilege_withdrawn")}
    _refused_by_api(admin.post("/api/v1/certificates", json={"practitioner_id": doctor}),
                    "be issued a signing certificate")
    _refused_by_api(me.post(f"/api/v1/reports/{report_api}/sign", json={}), "sign reports")
    _refused_by_api(me.post(f"/api/v1/teleconsults/{consult_api}/opinion", json={"opinion": "titrate"}),
                    "give teleconsultations")
    _refused_by_api(me.post("/api/v1/bookings", json=_booking(world, 4, 9)), "book shared assets")
    # ...and through the pages.
    with pages(live_server, world, "hospital") as (web, token):
        listed = web.get("/pki/certificates").text
        assert "Revoked" in listed or "revoked" in listed
        _refused_on_page(web.post("/pki/certificates", data={"csrf_token": token, "practitioner_id": str(doctor)}),
                         "be issued a signing certificate")
    with pages(live_server, world, "doctor") as (web, token):
        _refused_on_page(web.post(f"/reports/{report_page}/signature", data={"csrf_token": token}), "sign reports")
        _refused_on_page(web.post(f"/teleconsults/{consult_page}/opinion", data={"csrf_token": token,
                                                                                 "opinion": "titrate"}),
                         "give teleconsultations")
        _refused_on_page(web.post("/bookings", data=_booking_form(world, token, 4, 10)), "book shared assets")
    public = api("gp").get("/api/v1/blacklist").json()
    assert any((row["kind"], row["id"]) == ("practitioner", doctor) for row in public)

    # The suspension runs its course: on its end date every refusal is lifted.
    for module in (standing, directory):
        monkeypatch.setattr(module, "today", lambda: ends_on)
    assert not any((row["kind"], row["id"]) == ("practitioner", doctor)
                   for row in api("gp").get("/api/v1/blacklist").json())
    assert admin.post("/api/v1/certificates", json={"practitioner_id": doctor}).status_code == 201
    assert me.post(f"/api/v1/reports/{report_api}/sign", json={}).status_code == 201
    assert me.post(f"/api/v1/teleconsults/{consult_api}/opinion", json={"opinion": "titrate"}).status_code == 200
    assert me.post("/api/v1/bookings", json=_booking(world, 4, 9)).status_code == 201
    with pages(live_server, world, "doctor") as (web, token):
        assert web.post(f"/reports/{report_page}/signature", data={"csrf_token": token}).status_code == 303
        assert web.post(f"/teleconsults/{consult_page}/opinion", data={"csrf_token": token, "opinion": "titrate"}
                        ).status_code == 303
        assert web.post("/bookings", data=_booking_form(world, token, 4, 10)).status_code == 303
