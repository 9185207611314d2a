"""The patient index through the pages: the review queue, a pair side by side, link, reject, merge and unmerge."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.identity import persons
from medshare.identity import service as identity
from medshare.identity.models import RejectedPair, ReviewItem, ReviewStatus
from medshare.identity.schemas import PatientRecordPatch
from medshare.web.labels import MATCH_LEVELS
from tests.integration.identity import data
from tests.web.conftest import Account, csrf_of, http_sign_in, make_account, make_institution, sign_in

browser_test = pytest.mark.browser


@dataclass
class Region:
    operator: Account  # a platform administrator who registers the patients
    regulator: Account
    admin_a: Account  # the administrator of hospital A
    admin_c: Account  # the administrator of hospital C, which holds none of the records here
    hospital_a: int
    hospital_b: int


@pytest.fixture(scope="module")
def region(committed) -> Region:
    operator = make_account(committed, Role.PLATFORM_ADMIN)
    a, b, c = (make_institution(committed, operator.principal) for _ in range(3))
    commission = make_institution(committed, operator.principal, type="regulator", grade_level=None,
                                  grade_class=None)
    return Region(operator, make_account(committed, Role.REGULATOR, institution_id=commission),
                  make_account(committed, Role.INSTITUTION_ADMIN, institution_id=a),
                  make_account(committed, Role.INSTITUTION_ADMIN, institution_id=c), a, b)


def _pair(committed, region: Region) -> ReviewItem:
    """An open review item: one name, birth date and phone at hospitals A and B, two different valid IDs."""
    with transaction(committed) as session:
        return data.review_pair(session, region.operator.principal, region.hospital_a, region.hospital_b)


def _item(committed, item_id: int) -> ReviewItem:
    with transaction(committed) as session:
        return session.get(ReviewItem, item_id)


def _persons_of(committed, *record_ids: int) -> list[int]:
    with transaction(committed) as session:
        return [data.person_of(session, r) for r in record_ids]


def sign_in_as(page: Page, base_url: str, account: Account) -> None:
    sign_in(page, base_url, account.username)


def _open_in_queue(page: Page, base_url: str, item_id: int) -> None:
    """The queue, paged through until the item's row shows (other tests of the run queue pairs too)."""
    page.goto(f"{base_url}/identity/reviews")
    row = page.locator(f"#review-{item_id}")
    while not row.count():
        following = page.locator("nav.pager a[rel=next]")
        assert following.count(), f"review item {item_id} is not in the open queue"
        following.click()
        page.wait_for_url(re.compile(r"page="))
    row.get_by_role("link", name="Compare").click()
    page.wait_for_url(f"{base_url}/identity/reviews/{item_id}")


@browser_test
def test_a_regulator_compares_a_pair_field_by_field_links_it_and_it_leaves_the_open_queue(
        page: Page, live_server, committed, region):
    item = _pair(committed, region)
    sign_in_as(page, live_server.url, region.regulator)
    _open_in_queue(page, live_server.url, item.id)

    for comparison in item.comparisons:
        row = page.locator(f"#field-{comparison['field']}")
        expect(row).to_contain_text(MATCH_LEVELS[comparison["level"]])
        expect(row).to_contain_text(f"{comparison['weight']:+.2f}")
    expect(page.locator("#field-name")).to_contain_text("Same characters")
    national_id = next(c for c in item.comparisons if c["field"] == "national_id")
    assert national_id["level"] != "same" and national_id["weight"] < 0  # the conflict that sent it here
    expect(page.locator("table.compare tfoot")).to_contain_text(f"{item.score:+.2f}")
    expect(page.locator(".summary-figures")).to_contain_text(f"{item.probability * 100:.1f}%")

    page.get_by_role("button", name="Link: same person").click()
    page.wait_for_url(f"{live_server.url}/identity/reviews")
    expect(page.locator(".flash")).to_contain_text("linked as one person")
    expect(page.locator(f"#review-{item.id}")).to_have_count(0)
    assert _item(committed, item.id).status == ReviewStatus.LINKED
    first, second = _persons_of(committed, item.record_id, item.candidate_record_id)
    assert first == second
    with transaction(committed) as session:
        still_open, _ = persons.list_reviews(session, region.regulator.principal, limit=10_000)
    assert item.id not in [i.id for i in still_open]


@browser_test
def test_a_rejected_pair_is_not_proposed_again_when_its_record_is_linked_anew(page: Page, live_server, committed,
                                                                            region):
    item = _pair(committed, region)
    sign_in_as(page, live_server.url, region.admin_a)
    page.goto(f"{live_server.url}/identity/reviews/{item.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reject: different people").click()
    page.wait_for_url(f"{live_server.url}/identity/reviews")
    expect(page.locator(".flash")).to_contain_text("will not be proposed again")
    assert _item(committed, item.id).status == ReviewStatus.REJECTED

    # A correction links the record again at once: the rejected candidate is no longer proposed.
    with transaction(committed) as session:
        record = identity.load_patient_record(session, item.record_id)
        identity.update_patient_record(session, region.operator.principal, record,
                                       PatientRecordPatch(address="三明市三元区新市北路"))
    with transaction(committed) as session:
        pair = sorted((item.record_id, item.candidate_record_id))
        assert session.get(RejectedPair, tuple(pair)) is not None
        reopened = session.scalar(sa.select(sa.func.count()).select_from(ReviewItem).where(
            ReviewItem.status == ReviewStatus.OPEN, ReviewItem.record_id.in_(pair),
            ReviewItem.candidate_record_id.in_(pair)))
    assert reopened == 0

    page.goto(f"{live_server.url}/identity/reviews/{item.id}")
    expect(page.locator(".page-head")).to_contain_text("Rejected")
    expect(page.get_by_role("button", name="Link: same person")).to_have_count(0)


def test_an_admin_of_another_institution_neither_sees_nor_decides_a_foreign_pair(live_server, committed, region):
    item = _pair(committed, region)
    with http_sign_in(live_server.url, region.admin_c.username) as client:
        queue = client.get("/identity/reviews", params={"status": "all"})
        assert queue.status_code == 200 and f'id="review-{item.id}"' not in queue.text
        assert client.get(f"/identity/reviews/{item.id}").status_code == 403
        token = csrf_of(queue.text)
        assert client.post(f"/identity/reviews/{item.id}/link", data={"csrf_token": token}).status_code == 403
    assert _item(committed, item.id).status == ReviewStatus.OPEN
    with http_sign_in(live_server.url, region.admin_a.username) as client:
        answer = client.get(f"/identity/reviews/{item.id}")
        assert answer.status_code == 200 and "Link: same person" in answer.text


def test_a_decision_on_a_decided_item_is_refused_by_name(live_server, committed, region):
    item = _pair(committed, region)
    with http_sign_in(live_server.url, region.regulator.username) as client:
        token = csrf_of(client.get(f"/identity/reviews/{item.id}").text)
        assert client.post(f"/identity/reviews/{item.id}/reject", data={"csrf_token": token}).status_code == 303
        again = client.post(f"/identity/reviews/{item.id}/link", data={"csrf_token": token})
    assert again.status_code == 409
    assert "review-open" in again.text and "the review item is already rejected" in again.text
    assert _item(committed, item.id).status == ReviewStatus.REJECTED


@browser_test
def test_merge_then_unmerge_on_the_person_page_restores_each_records_person(page: Page, live_server, committed,
                                                                          region):
    with transaction(committed) as session:
        here = data.record(session, region.operator.principal, region.hospital_a)
        there = data.record(session, region.operator.principal, region.hospital_b)
    survivor, other = _persons_of(committed, here.id, there.id)
    assert survivor != other
    sign_in_as(page, live_server.url, region.regulator)
    page.goto(f"{live_server.url}/identity/persons/{survivor}")
    page.fill("#f-other_person_id", str(other))
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("The persons are merged")
    expect(page.locator(f"#record-{there.id}")).to_contain_text(there.name)
    assert _persons_of(committed, here.id, there.id) == [survivor, survivor]

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#record-{there.id}").get_by_role("button", name="Unmerge").click()
    expect(page.locator(".flash")).to_contain_text("The record is taken out of the person.")
    expect(page.locator(f"#record-{there.id}")).to_have_count(0)
    assert _persons_of(committed, here.id, there.id) == [survivor, other]


@browser_test
def test_a_person_search_keeps_the_id_out_of_the_address_and_shows_foreign_records_by_identifier(
        page: Page, live_server, committed, region):
    with transaction(committed) as session:
        here = data.record(session, region.operator.principal, region.hospital_a)
        there = data.record(session, region.operator.principal, region.hospital_b, name=here.name,
                            birth_date=here.birth_date, national_id=here.national_id)
        person = data.person_of(session, here.id)
    sign_in_as(page, live_server.url, region.admin_a)
    page.goto(f"{live_server.url}/identity/persons")
    page.fill("#f-national_id", here.national_id)
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.locator("table.persons tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(here.name)
    expect(row).to_contain_text("Identifiers only")
    expect(row).to_contain_text(there.local_id)
    assert here.national_id not in page.url

    row.get_by_role("link", name=f"Person {person}").click()
    expect(page.locator(f"#record-{here.id}")).to_contain_text(here.national_id)
    foreign = page.locator(f"#record-{there.id}")
    expect(foreign).to_contain_text("Identifiers only")
    expect(foreign).not_to_contain_text(there.national_id)
    expect(foreign).to_contain_text("Same national ID")
