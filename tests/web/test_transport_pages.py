"""Triage and dispatch through the pages: the public check, staff triage that requests transport, the board's
trip steps and surge, and the public page's rate limit."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.transport import service as transport
from medshare.transport.rules import VehicleKind
from medshare.triage.rules import Capability
from medshare.web.triage import PUBLIC_LIMIT
from tests.web.conftest import csrf_of, http_sign_in, make_account, make_institution, sign_in

browser_test = pytest.mark.browser


@pytest.fixture
def city(committed, platform_admin):
    """A tertiary hospital at a spot of its own with a crew, an ALS ambulance and a partner car; a dispatcher."""
    actor = platform_admin.principal
    lat, lon = round(random.uniform(30, 45), 4), round(random.uniform(85, 110), 4)
    hospital = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, latitude=lat + 0.02,
                                longitude=lon)
    commission = make_institution(committed, actor, type="regulator", grade_level=None, grade_class=None)
    admin = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=hospital)
    with transaction(committed) as session:
        for sign, kind, capability in (("120-", VehicleKind.AMBULANCE, Capability.ALS),
                                       ("TAXI-", VehicleKind.PARTNER_CAR, Capability.SEATED)):
            transport.create_vehicle(session, admin.principal, institution_id=hospital,
                                     call_sign=f"{sign}{hospital}", kind=kind, capability=capability,
                                     latitude=lat + 0.005, longitude=lon)
    return {"lat": lat, "lon": lon, "hospital": hospital, "admin": admin,
            "crew": make_account(committed, Role.PRACTITIONER, institution_id=hospital),
            "dispatcher": make_account(committed, Role.REGULATOR, institution_id=commission)}


@browser_test
def test_a_patient_checks_online_and_is_told_to_call_120_with_the_nearest_hospital(page: Page, live_server, city):
    page.goto(f"{live_server.url}/triage")
    page.fill("#f-spo2", "78")
    page.select_option("#f-complaint", "dyspnoea")
    page.fill("#f-latitude", str(city["lat"]))
    page.fill("#f-longitude", str(city["lon"]))
    page.click("#assess")
    answer = page.locator("#triage-answer")
    expect(answer).to_contain_text("Level I")
    expect(answer).to_contain_text("Call 120 now")
    expect(page.locator("#places li").first).to_contain_text("km")
    expect(page.locator("#request-transport")).to_have_count(0)  # the public page sends nothing


@browser_test
def test_staff_triage_requests_transport_and_the_crew_takes_the_trip_to_the_hospital(page: Page, live_server,
                                                                                   city):
    sign_in(page, live_server.url, city["crew"].username, "/triage")
    page.fill("#f-heart_rate", "190")
    page.select_option("#f-mobility", "lies")
    page.click("#assess")
    expect(page.locator("#triage-answer")).to_contain_text("advanced life support")
    page.click("#request-transport")
    page.wait_for_url(f"{live_server.url}/dispatch*")
    row = page.locator("#live-requests tbody tr").first
    expect(row.locator(".vehicle")).to_have_text(f"120-{city['hospital']}")  # never the partner car
    for step in ("en route", "on scene", "transporting", "at hospital", "done"):
        row.locator(".next-step").click()
        page.wait_for_load_state()
        if step != "done":
            expect(page.locator("#live-requests tbody tr").first.locator(".status")).to_have_text(step)
    expect(page.locator("#live-requests")).to_have_count(0)
    expect(page.locator("#dispatch-map canvas")).to_have_count(1)  # the scatter was drawn


def test_the_dispatcher_proposes_and_commits_a_surge_from_the_board(live_server, committed, city):
    with transaction(committed) as session:
        for level, dlat in ((1, 0.01), (4, 0.0)):
            transport.request_transport(session, city["admin"].principal, latitude=city["lat"] + dlat,
                                        longitude=city["lon"], level=level, can_sit=level == 4, auto_assign=False)
    with http_sign_in(live_server.url, city["dispatcher"].username) as client:
        token = csrf_of(client.get("/dispatch").text)
        proposed = client.post("/dispatch/surge", data={"csrf_token": token, "commit": "0"})
        assert proposed.status_code == 200 and 'id="surge-figures"' in proposed.text
        assert "Proposed, nothing sent yet" in proposed.text
        committed_page = client.post("/dispatch/surge", data={"csrf_token": token, "commit": "1"})
        assert committed_page.status_code == 200 and "Closest idle, in arrival order" in committed_page.text
        assert f"120-{city['hospital']}" in committed_page.text and f"TAXI-{city['hospital']}" in committed_page.text
    with http_sign_in(live_server.url, city["crew"].username) as crew:
        refused = crew.post("/dispatch/surge", data={"csrf_token": csrf_of(crew.get("/dispatch").text),
                                                     "commit": "1"})
        assert refused.status_code == 403


def test_the_public_triage_page_is_rate_limited_per_client(live_server):
    import httpx

    PUBLIC_LIMIT.used.clear()
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = csrf_of(client.get("/triage").text)
        codes = [client.post("/triage", data={"csrf_token": token, "pain": "5", "policy": "cn4"}).status_code
                 for _ in range(PUBLIC_LIMIT.limit + 1)]
    PUBLIC_LIMIT.used.clear()
    assert codes[:-1] == [200] * PUBLIC_LIMIT.limit and codes[-1] == 429


def test_bad_vital_signs_are_shown_beside_their_field_and_nothing_is_recorded(live_server):
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = csrf_of(client.get("/triage").text)
        answer = client.post("/triage", data={"csrf_token": token, "heart_rate": "400", "policy": "cn4"})
    assert answer.status_code == 422 and "plausible-range" in answer.text and 'id="triage-answer"' not in answer.text
