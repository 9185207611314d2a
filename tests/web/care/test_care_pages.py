"""Tiered care through the pages, in a real browser: a community doctor drafts a referral from the findings,
chooses the suggested hospital and sends it; the hospital accepts it from its inbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.registry import service as registry
from tests import factories as f
from tests.web.conftest import make_account, make_institution, sign_in

browser_test = pytest.mark.browser


@browser_test
def test_a_referral_is_sent_and_accepted_through_the_pages(page: Page, live_server, committed, platform_admin):
    actor = platform_admin.principal
    centre = make_institution(committed, actor, type="community_health_centre", grade_level=1, grade_class=None,
                              latitude=26.25, longitude=117.62)
    hospital = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, grade_class="A",
                                latitude=26.26, longitude=117.63)
    with transaction(committed) as session:
        f.make_practitioner(session, actor, hospital, specialty="心内科")
        patient = f.make_patient(session, actor, centre)
        patient_id, patient_name = patient.id, patient.name
        hospital_name = registry.get_institution(session, hospital).name
    doctor = make_account(committed, Role.PRACTITIONER, institution_id=centre)
    receiver = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=hospital)

    sign_in(page, live_server.url, doctor.username, "/care")
    page.click("text=Referral outbox")
    page.click("text=+ Refer a patient")
    page.fill("#f-patient_record_id", str(patient_id))
    page.select_option("#f-condition", "hypertension")
    page.fill("#f-systolic_bp", "188")
    page.fill("#f-diastolic_bp", "114")
    page.check("input[name=severe_headache]")
    page.fill("#f-summary", "BP 188/114 with severe headache since this morning")
    page.click("text=Draft the referral")
    expect(page.locator(".flash")).to_contain_text("The referral is drafted")
    expect(page.locator("main")).to_contain_text("htn-up-emergency")
    expect(page.locator("#referral-status")).to_have_text("Draft")
    # The tertiary hospital with a cardiologist is suggested; choose it, then send.
    row = page.locator("table.suggestions tr", has_text=hospital_name)
    expect(row).to_contain_text("specialists:1")
    row.locator("button", has_text="Choose").click()
    expect(page.locator(".flash")).to_contain_text("The referral is updated")
    page.click("#referral-actions button[value=send]")
    expect(page.locator("#referral-status")).to_have_text("Sent, awaiting answer")
    expect(page.locator("#referral-target")).to_have_text(hospital_name)
    referral_url = page.url

    page.context.clear_cookies()
    sign_in(page, live_server.url, receiver.username, "/referrals")
    inbox_row = page.locator("table.referrals tbody tr", has_text=patient_name).first
    expect(inbox_row).to_contain_text("Emergency")
    inbox_row.locator("a").first.click()
    assert page.url == referral_url
    page.click("#referral-actions button[value=accept]")
    expect(page.locator("#referral-status")).to_have_text("Accepted")
    expect(page.locator(".timeline")).to_contain_text("Sent")
    expect(page.locator(".timeline")).to_contain_text("Accepted")
    # The hospital may not send or decline it any more; the next step is the patient's arrival.
    expect(page.locator("#referral-actions button[value=arrive]")).to_be_visible()
    expect(page.locator("#referral-actions button[value=send]")).to_have_count(0)
