"""Shared assets through the pages: owners list and approve, requesters search and book, regulators see charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.models import Asset, Booking, BookingStatus
from medshare.assets.schemas import BookingIn
from medshare.db import transaction, utcnow
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour
from tests.web.conftest import Account, csrf_of, http_sign_in, make_account, make_institution, sign_in, unique

browser_test = pytest.mark.browser


@dataclass
class Sharing:
    owner: Account  # the administrator of a tertiary hospital that shares an MRI
    requester: Account  # the administrator of a secondary hospital nearby
    owner_id: int
    requester_id: int
    asset_id: int
    marker: str  # a capability only this test's MRI has, so searches find it alone


def _sharing(committed, platform_admin: Account, **asset_overrides) -> Sharing:
    actor = platform_admin.principal
    owner_id = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, grade_class="A",
                                latitude=26.2654, longitude=117.6389)
    requester_id = make_institution(committed, actor, latitude=26.2300, longitude=117.6100)
    owner = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=owner_id)
    requester = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=requester_id)
    marker = unique("cap-")
    with transaction(committed) as session:
        asset = assets.create_asset(session, owner.principal, mri_in(
            owner_id, hours=ALL_DAY, capabilities=["3T", "contrast", marker], **asset_overrides))
        asset_id = asset.id
    return Sharing(owner, requester, owner_id, requester_id, asset_id, marker)


@pytest.fixture
def sharing(committed, platform_admin) -> Sharing:
    return _sharing(committed, platform_admin)


def _live_bookings_at(committed, asset_id: int, starts_at: str) -> int:
    with transaction(committed) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
            Booking.asset_id == asset_id, Booking.starts_at == dt.datetime.fromisoformat(starts_at),
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.HELD])))


@browser_test
def test_a_requester_books_the_earliest_slot_found_and_sees_it_in_my_bookings(page: Page, live_server, committed,
                                                                             sharing):
    # One exam, so the first row's price does not depend on which exam fits first at this time of day.
    search = f"/bookings/search?capabilities={sharing.marker}&exam_code=MRI-HEAD"
    sign_in(page, live_server.url, sharing.requester.username, search)
    first = page.locator("table.slots tbody tr").first
    expect(first).to_contain_text("MRI 3T")
    expect(first).to_contain_text("¥600.00")  # the price for other institutions, frozen into the booking
    expect(first).to_contain_text("km")  # measured from the requester's own hospital
    starts_at = first.locator("input[name=starts_at]").get_attribute("value")
    first.get_by_role("button", name="Book", exact=True).click()

    expect(page.locator(".flash")).to_contain_text("The slot is booked.")
    row = page.locator("table.bookings tbody tr").first
    expect(row).to_contain_text("MRI 3T")
    expect(row).to_contain_text("Confirmed")
    expect(row).to_contain_text("Free until 24 h before; then 50%")  # the owner's cancellation rule
    assert _live_bookings_at(committed, sharing.asset_id, starts_at) == 1

    page.goto(f"{live_server.url}/bookings/search?capabilities={sharing.marker}")
    offered = page.locator("table.slots input[name=starts_at]")
    expect(offered.first).to_be_attached()
    assert starts_at not in [offered.nth(i).get_attribute("value") for i in range(offered.count())]


@browser_test
def test_a_slot_taken_while_the_page_was_open_is_refused_by_name(page: Page, live_server, committed, sharing,
                                                                  platform_admin):
    # One exam, so the first row's price does not depend on which exam fits first at this time of day.
    search = f"/bookings/search?capabilities={sharing.marker}&exam_code=MRI-HEAD"
    sign_in(page, live_server.url, sharing.requester.username, search)
    first = page.locator("table.slots tbody tr").first
    starts_at = first.locator("input[name=starts_at]").get_attribute("value")
    rival = make_account(committed, Role.INSTITUTION_ADMIN,
                         institution_id=make_institution(committed, platform_admin.principal))
    with transaction(committed) as session:
        bookings.book(session, rival.principal, BookingIn(asset_id=sharing.asset_id, exam_code="MRI-HEAD",
                                                          starts_at=dt.datetime.fromisoformat(starts_at)))
    first.get_by_role("button", name="Book", exact=True).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not booked.")
    expect(alert).to_contain_text("slot-free")
    expect(alert).to_contain_text("the slot was just taken; choose another")
    expect(page.locator("table.slots tbody tr").first).to_be_visible()  # the search is shown again, fresh
    offered = page.locator("table.slots input[name=starts_at]")
    assert starts_at not in [offered.nth(i).get_attribute("value") for i in range(offered.count())]
    assert _live_bookings_at(committed, sharing.asset_id, starts_at) == 1  # the rival's, and no other


@browser_test
def test_an_owner_approves_a_pending_booking_on_the_received_page(page: Page, live_server, committed,
                                                                  platform_admin):
    sharing = _sharing(committed, platform_admin, approval_required=True)
    with transaction(committed) as session:
        booking, _ = bookings.book(session, sharing.requester.principal, BookingIn(
            asset_id=sharing.asset_id, exam_code="MRI-SPINE", starts_at=local_hour(3, 10)))
        booking_id = booking.id
        assert booking.status is BookingStatus.PENDING
    sign_in(page, live_server.url, sharing.owner.username, "/bookings/received")
    row = page.locator(f"#booking-{booking_id}")
    expect(row).to_contain_text("Awaiting approval")
    expect(row).to_contain_text("MRI-SPINE")
    row.get_by_role("button", name="Approve").click()

    expect(page.locator(".flash")).to_contain_text("The booking is approved.")
    expect(page.locator(f"#booking-{booking_id}")).to_contain_text("Confirmed")
    with transaction(committed) as session:
        assert session.get(Booking, booking_id).status is BookingStatus.CONFIRMED


@browser_test
def test_the_regulator_sees_utilisation_drawn_as_charts(page: Page, live_server, committed, sharing,
                                                        platform_admin):
    with transaction(committed) as session:
        past = utcnow() - dt.timedelta(days=2)
        made, _ = bookings.book(session, sharing.requester.principal, BookingIn(
            asset_id=sharing.asset_id, exam_code="MRI-HEAD", starts_at=local_hour(-1, 9)), now=past)
        bookings.record_outcome(session, sharing.owner.principal, made, completed=True)
    commission = make_institution(committed, platform_admin.principal, type="regulator", grade_level=None,
                                  grade_class=None)
    regulator = make_account(committed, Role.REGULATOR, institution_id=commission)
    sign_in(page, live_server.url, regulator.username, "/utilisation?group_by=institution")
    expect(page.locator("h1")).to_contain_text("the whole region")
    expect(page.locator("#chart-booked canvas")).to_be_visible()
    expect(page.locator("#chart-hours canvas")).to_be_visible()
    assert page.evaluate("() => !!echarts.getInstanceByDom(document.getElementById('chart-used'))")
    expect(page.locator("table.utilisation")).to_contain_text(_owner_name(committed, sharing.owner_id))


def _owner_name(committed, institution_id: int) -> str:
    from medshare.registry import service as registry

    with transaction(committed) as session:
        return registry.get_institution(session, institution_id).name


@browser_test
def test_an_owner_lists_an_asset_with_hours_exams_and_prices_in_yuan(page: Page, live_server, committed, sharing):
    name = unique("DSA ")
    sign_in(page, live_server.url, sharing.owner.username, "/assets/new")
    page.fill("#f-name", name)
    page.select_option("#f-modality", "DSA")
    page.fill("#f-capabilities", "cardiac, contrast")
    page.fill("input[name=h5-0-opens]", "09:00")  # Saturday morning too
    page.fill("input[name=h5-0-closes]", "12:00")
    page.fill("input[name=x0-code]", "DSA-CORONARY")
    page.fill("input[name=x0-name]", "Coronary angiography")
    page.fill("input[name=x0-minutes]", "90")
    page.fill("input[name=x0-other]", "2999.50")
    page.fill("input[name=p-own]", "1200")
    page.get_by_role("button", name="List for sharing").click()

    expect(page.locator(".flash")).to_contain_text("The asset is listed for sharing.")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("input[name=x0-other]")).to_have_value("2999.5")
    with transaction(committed) as session:
        asset = session.scalar(sa.select(Asset).where(Asset.name == name))
        assert asset.owner_institution_id == sharing.owner_id
        assert {(p.exam_code, p.category.value, p.amount_fen) for p in asset.prices} == {
            ("DSA-CORONARY", "other", 299950), ("", "own", 120000)}
        assert sorted((h.weekday, h.opens.isoformat(), h.closes.isoformat()) for h in asset.hours)[-1] == (
            5, "09:00:00", "12:00:00")


def test_a_broken_rule_on_the_asset_form_is_shown_by_its_row_and_changes_nothing(live_server, committed, sharing):
    with http_sign_in(live_server.url, sharing.owner.username) as client:
        page = client.get(f"/assets/{sharing.asset_id}").text
        form = {"csrf_token": csrf_of(page), "name": "MRI renamed", "open_to": "all", "bookers": "institutions",
                "x0-code": "MRI-HEAD", "x0-name": "MRI head", "x0-minutes": "25",  # not on the 15-minute grid
                "x0-other": "abc", "h0-0-opens": "08:00"}
        answer = client.post(f"/assets/{sharing.asset_id}", data=form)
        assert answer.status_code == 422
        assert "Nothing was saved" in answer.text
        assert "must be an amount in yuan" in answer.text and "Row 1" in answer.text
        assert "both-times" in answer.text and "Monday · Session 1" in answer.text
        fixed = form | {"x0-other": "700", "h0-0-opens": ""}
        answer = client.post(f"/assets/{sharing.asset_id}", data=fixed)
        assert answer.status_code == 422
        assert "fits-grid" in answer.text
    with transaction(committed) as session:
        asset = session.get(Asset, sharing.asset_id)
        assert not asset.name.startswith("MRI renamed")
        assert {e.minutes for e in asset.exam_types} == {30, 45}


def test_a_weekly_series_reports_the_weeks_it_skipped_with_their_rule(live_server, committed, sharing):
    first = local_hour(2, 11)
    with transaction(committed) as session:
        bookings.book(session, sharing.owner.principal, BookingIn(asset_id=sharing.asset_id, exam_code="MRI-HEAD",
                                                                  starts_at=first + dt.timedelta(weeks=1)))
    with http_sign_in(live_server.url, sharing.requester.username) as client:
        token = csrf_of(client.get("/bookings/search").text)
        answer = client.post("/bookings/series", data={
            "csrf_token": token, "asset_id": sharing.asset_id, "exam_code": "MRI-HEAD",
            "starts_at": first.isoformat(), "weeks": "3"})
        assert answer.status_code == 201
        assert "2 of 3 weeks booked, 1 skipped." in answer.text
        assert "slot-free" in answer.text


def test_an_owner_closes_an_asset_for_maintenance_with_the_reason(live_server, committed, sharing):
    with http_sign_in(live_server.url, sharing.owner.username) as client:
        token = csrf_of(client.get(f"/assets/{sharing.asset_id}").text)
        refused = client.post(f"/assets/{sharing.asset_id}/blackouts", data={
            "csrf_token": token, "starts_at": "2031-05-02T12:00", "ends_at": "2031-05-02T08:00",
            "kind": "maintenance", "reason": "helium refill"})
        assert refused.status_code == 422 and "after-starts-at" in refused.text
        answer = client.post(f"/assets/{sharing.asset_id}/blackouts", data={
            "csrf_token": token, "starts_at": "2031-05-02T08:00", "ends_at": "2031-05-02T12:00",
            "kind": "maintenance", "reason": "helium refill"})
        assert answer.status_code == 303
        week = client.get(f"/assets/{sharing.asset_id}/calendar?exam=MRI-HEAD&week=2031-05-02").text
        assert "helium refill" in week and "2031-05-02 08:00" in week


def test_the_statement_lists_a_completed_booking_and_downloads_as_csv(live_server, committed, sharing):
    with transaction(committed) as session:
        made, _ = bookings.book(session, sharing.requester.principal, BookingIn(
            asset_id=sharing.asset_id, exam_code="MRI-HEAD", starts_at=local_hour(-1, 15)),
            now=utcnow() - dt.timedelta(days=2))
        bookings.record_outcome(session, sharing.owner.principal, made, completed=True)
        booking_id = made.id
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    with http_sign_in(live_server.url, sharing.requester.username) as client:
        statement = client.get(f"/statements?month={month}").text
        assert f"#{booking_id}" in statement and "¥600.00" in statement
        csv = client.get(f"/statements.csv?month={month}")
        assert csv.headers["content-type"].startswith("text/csv")
        assert f",{booking_id}," in csv.text and "60000,600.00" in csv.text


def test_accounts_without_the_permission_neither_see_the_links_nor_open_the_pages(live_server, committed,
                                                                                 platform_admin):
    hospital = make_institution(committed, platform_admin.principal)
    doctor = make_account(committed, Role.PRACTITIONER, institution_id=hospital)
    supplier = make_account(committed, Role.SUPPLIER, institution_id=hospital)
    with http_sign_in(live_server.url, doctor.username) as client:
        home = client.get("/home").text
        assert 'href="/bookings/search"' in home  # a practitioner books
        assert 'href="/assets"' not in home and 'href="/utilisation"' not in home
        for path in ("/assets", "/assets/new", "/bookings/received", "/utilisation", "/statements"):
            assert client.get(path).status_code == 403, path
        assert client.get("/bookings/search").status_code == 200
    with http_sign_in(live_server.url, supplier.username) as client:
        assert 'href="/bookings' not in client.get("/home").text
        assert client.get("/bookings/search").status_code == 403
