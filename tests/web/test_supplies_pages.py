"""Emergency supplies through the pages: an institution requests, the regulator allocates and commits, the
logistics firm dispatches, the institution confirms a short receipt; the dashboard draws its charts; a stock
CSV with a bad row is refused whole with the row, field and rule shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.supplies import service as supplies
from medshare.supplies.models import Shipment
from medshare.supplies.schemas import ItemIn, LocationIn, StockRowIn
from tests.integration.supplies.data import as_role
from tests.web.conftest import Account, csrf_of, http_sign_in, make_account, make_institution, sign_in, unique

browser_test = pytest.mark.browser


@dataclass
class Region:
    item: str
    hospital: Account
    regulator: Account
    logistics: Account
    warehouse: int


@pytest.fixture
def region(committed, platform_admin) -> Region:
    actor = platform_admin.principal
    hospital_id = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, latitude=26.26,
                                   longitude=117.64)
    firm_id = make_institution(committed, actor, type="logistics_firm", grade_level=None, grade_class=None,
                               latitude=26.25, longitude=117.62)
    commission = make_institution(committed, actor, type="regulator", grade_level=None, grade_class=None)
    item = unique("N95-")
    with transaction(committed) as session:
        supplies.create_item(session, as_role(actor, Role.REGULATOR, commission), ItemIn(
            code=item, name="医用防护口罩", name_en="N95 respirator", category="protective_equipment", unit="piece"))
        firm = as_role(actor, Role.SUPPLIER, firm_id)
        warehouse = supplies.create_location(session, firm, LocationIn(institution_id=firm_id, kind="warehouse",
                                                                       name=unique("warehouse ")))
        supplies.report_stock(session, firm, warehouse, [StockRowIn(item_code=item, lot="A1", on_hand=80)])
    return Region(item, make_account(committed, Role.INSTITUTION_ADMIN, institution_id=hospital_id),
                  make_account(committed, Role.REGULATOR, institution_id=commission),
                  make_account(committed, Role.SUPPLIER, institution_id=firm_id), warehouse.id)


def _as(browser: Browser, base_url: str, account: Account, path: str) -> Page:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, base_url, account.username, path)
    return page


@browser_test
def test_a_request_is_allocated_dispatched_and_received_through_the_pages(browser, live_server, region, committed):
    base = live_server.url
    hospital = _as(browser, base, region.hospital, "/supplies/requests")
    hospital.select_option("#f-item_code", region.item)
    hospital.fill("#f-quantity", "100")
    hospital.select_option("#f-priority", "critical_care")
    hospital.fill("#f-need_by", (supplies.today() + dt.timedelta(days=2)).isoformat())
    hospital.click("#request-form button[type=submit]")
    row = hospital.locator("#requests tbody tr", has_text=region.item)
    expect(row).to_contain_text("Critical care")
    expect(row).to_contain_text("Open")

    desk = _as(browser, base, region.regulator, "/supplies/allocation")
    desk.select_option("#f-item_code", region.item)
    desk.click("#run-form button[type=submit]")
    desk.wait_for_url(f"{base}/supplies/runs/*")
    outcome = desk.locator("#outcome-rows tbody tr").first
    expect(outcome).to_contain_text("80 of 100")
    expect(outcome).to_contain_text("No stock within reach")
    expect(desk.locator("#chart-run-min canvas")).to_have_count(1)
    desk.on("dialog", lambda dialog: dialog.accept())
    desk.click("#commit")
    expect(desk.locator("#run-status")).to_have_text("Committed")
    expect(desk.locator("#orders")).to_have_text("1")

    carrier = _as(browser, base, region.logistics, "/supplies/shipments?status=ordered")
    order = carrier.locator("#shipments tbody tr", has_text=region.item)
    order.locator("input[name=quantity]").fill("80")
    order.locator("button", has_text="Mark dispatched").click()
    expect(carrier.locator("#shipments tbody tr", has_text=region.item)).to_contain_text("Dispatched")

    hospital.goto(f"{base}/supplies/requests")
    delivery = hospital.locator("#incoming tbody tr", has_text=region.item)
    delivery.locator("input[name=quantity]").fill("77")
    delivery.locator("input[name=note]").fill("three boxes wet")
    delivery.locator("button", has_text="Confirm receipt").click()
    expect(hospital.locator("#requests tbody tr", has_text=region.item)).to_contain_text("77")
    with transaction(committed) as session:
        shipment = session.scalars(sa.select(Shipment).where(Shipment.source_location_id == region.warehouse)).one()
        assert (shipment.dispatched_quantity, shipment.received_quantity, shipment.difference) == (80, 77, -3)
        assert supplies.ledger_problems(session) == []

    hospital.goto(f"{base}/supplies")
    expect(hospital.locator("#shortages tbody tr", has_text=region.item)).to_contain_text("20")
    expect(hospital.locator("#chart-map canvas")).to_have_count(1)
    for page in (hospital, desk, carrier):
        page.context.close()


@browser_test
def test_a_stock_file_with_a_bad_row_is_refused_whole_in_the_page(browser, live_server, region, committed):
    page = _as(browser, live_server.url, region.logistics, "/supplies/stock")
    text = (f"location_id,item_code,lot,expiry,on_hand\n{region.warehouse},{region.item},B1,2099-01-01,50\n"
            f"{region.warehouse},{region.item},B2,2099-01-01,-1\n")
    page.set_input_files("#f-file", files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    page.click("#upload-form button[type=submit]")
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("row 3.on_hand")
    expect(errors).to_contain_text("non-negative")
    with transaction(committed) as session:
        assert [lot.lot for lot in supplies.lots_of(session, region.warehouse)] == ["A1"]
    page.context.close()


def test_the_supplies_pages_answer_in_chinese_and_refuse_those_without_the_grant(live_server, region, committed):
    with http_sign_in(live_server.url, region.hospital.username) as client:
        token = csrf_of(client.get("/supplies/requests").text)
        client.post("/locale", data={"csrf_token": token, "locale": "zh_Hans", "next": "/supplies"})
        board = client.get("/supplies", headers={"Accept-Language": "zh-CN"})
        assert board.status_code == 200 and "应急物资" in board.text
        assert client.get("/supplies/allocation").status_code == 403


def test_a_supplier_sets_capacity_and_a_hospital_its_consumption_through_the_pages(live_server, region, committed):
    with transaction(committed) as session:
        plant = supplies.create_location(session, as_role(region.logistics.principal, Role.SUPPLIER,
                                                           region.logistics.institution_id),
                                         LocationIn(institution_id=region.logistics.institution_id, kind="supplier",
                                                    name=unique("plant "))).id
    with http_sign_in(live_server.url, region.logistics.username) as client:
        token = csrf_of(client.get("/supplies/stock").text)
        answer = client.post(f"/supplies/locations/{plant}/capacity", data={
            "csrf_token": token, "item_code": region.item, "daily_units": "40", "lead_days": "2"})
        assert answer.status_code == 303
        assert "40 a day, shipped 2 days after making" in client.get("/supplies/stock").text
    with http_sign_in(live_server.url, region.hospital.username) as client:
        token = csrf_of(client.get("/supplies/requests").text)
        bad = client.post("/supplies/consumption", data={"csrf_token": token, "item_code": region.item,
                                                         "daily_units": "-3"})
        assert bad.status_code == 422
        good = client.post("/supplies/consumption", data={"csrf_token": token, "item_code": region.item,
                                                          "daily_units": "25"})
        assert good.status_code == 303
        board = client.get("/supplies").text
        assert region.item in board
