"""Claims and risk alerts through the pages: the insurer decides in its queue, the patient and the provider see
the settlement, the regulator reads an alert's evidence and refers or dismisses it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.schemas import BookingIn
from medshare.claims import service as claims
from medshare.claims.models import Claim, ClaimStatus
from medshare.claims.schemas import CoverageIn
from medshare.db import transaction, utcnow
from medshare.risk.models import AlertStatus, RiskAlert, RiskRun
from tests import factories as f
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour
from tests.web.conftest import Account, csrf_of, http_sign_in, make_account, make_institution, sign_in

browser_test = pytest.mark.browser


@dataclass
class Claimed:
    claim_id: int
    insurer: Account
    provider: Account
    patient: Account
    other_patient: Account


@pytest.fixture
def claimed(committed, platform_admin) -> Claimed:
    """A hospital's covered patient had an MRI at another hospital: the claim waits in the insurer's queue."""
    actor = platform_admin.principal
    owner_id = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, grade_class="A")
    hospital_id = make_institution(committed, actor)
    insurer_id = make_institution(committed, actor, type="insurer", grade_level=None, grade_class=None)
    owner = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=owner_id)
    provider = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=hospital_id)
    with transaction(committed) as session:
        patient = f.make_patient(session, actor, hospital_id)
        other = f.make_patient(session, actor, hospital_id)
        claims.add_coverage(session, provider.principal, CoverageIn(
            patient_record_id=patient.id, insurer_institution_id=insurer_id, policy_number=f.unique("POL"),
            valid_from=dt.date(2020, 1, 1)))
        asset_id = assets.create_asset(session, owner.principal, mri_in(owner_id, hours=ALL_DAY)).id
        booking, _ = bookings.book(session, provider.principal, BookingIn(
            asset_id=asset_id, exam_code="MRI-HEAD", starts_at=local_hour(-2, 9), patient_record_id=patient.id),
            now=utcnow() - dt.timedelta(days=4))
        bookings.record_outcome(session, owner.principal, booking, completed=True)
        claim_id = session.query(Claim).filter_by(booking_id=booking.id).one().id
        patient_id, other_id = patient.id, other.id

    def patient_account(record_id: int) -> Account:
        from medshare.accounts import service as accounts
        from medshare.accounts.schemas import UserIn
        from tests.web.conftest import PASSWORD, unique

        with transaction(committed) as session:
            user = accounts.create_user(session, None, UserIn(username=unique("patient-"), password=PASSWORD,
                                                              role=Role.PATIENT, patient_record_id=record_id))
            return Account(user.username, user.id, accounts.principal_of(user))

    return Claimed(claim_id, make_account(committed, Role.INSURER, institution_id=insurer_id), provider,
                   patient_account(patient_id), patient_account(other_id))


@browser_test
def test_the_insurer_pays_in_part_from_its_queue_and_the_patient_sees_the_rest(page: Page, live_server, claimed,
                                                                                committed):
    sign_in(page, live_server.url, claimed.insurer.username, "/claims")
    expect(page.locator(f'a[href="/claims/{claimed.claim_id}"]')).to_be_visible()
    page.click(f'a[href="/claims/{claimed.claim_id}"]')
    page.select_option("#f-outcome", "partial")
    page.click("text=Record the decision")
    expect(page.locator(".error-summary, .problems, [role=alert]").first).to_be_visible()  # no reason, no amount
    page.select_option("#f-outcome", "partial")
    page.fill("#f-approved_yuan", "400")
    page.select_option("#f-reason", "over-limit")
    page.click("text=Record the decision")
    expect(page.locator(".settlement")).to_have_text("Approved, payment pending")
    page.fill("#f-reference", "PAY-42")
    page.click("text=Record the payment")
    expect(page.locator(".settlement")).to_have_text("Paid directly to the provider")
    with transaction(committed) as session:
        claim = session.get(Claim, claimed.claim_id)
        assert (claim.status, claim.approved_fen, claim.settlement_ref) == (ClaimStatus.SETTLED, 40000, "PAY-42")
    with http_sign_in(live_server.url, claimed.patient.username) as client:
        mine = client.get(f"/claims/{claimed.claim_id}")
        assert mine.status_code == 200 and "Paid directly to the provider" in mine.text and "¥200.00" in mine.text
        assert "PAY-42" in mine.text
    with http_sign_in(live_server.url, claimed.other_patient.username) as client:
        assert client.get(f"/claims/{claimed.claim_id}").status_code == 403
        assert f'href="/claims/{claimed.claim_id}"' not in client.get("/claims").text


def test_the_provider_sees_its_claim_in_chinese_and_withdraws_it(live_server, claimed, committed):
    with http_sign_in(live_server.url, claimed.provider.username) as client:
        client.post("/locale", data={"csrf_token": csrf_of(client.get("/claims").text), "locale": "zh_Hans"})
        listing = client.get("/claims")
        assert f'href="/claims/{claimed.claim_id}"' in listing.text and "等待保险机构审核" in listing.text
        page = client.get(f"/claims/{claimed.claim_id}")
        answer = client.post(f"/claims/{claimed.claim_id}/withdraw", data={"csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303
    with transaction(committed) as session:
        assert session.get(Claim, claimed.claim_id).status is ClaimStatus.WITHDRAWN


def test_the_regulator_reads_an_alerts_evidence_and_dismisses_it_with_a_reason(live_server, committed,
                                                                                platform_admin):
    commission = make_institution(committed, platform_admin.principal, type="regulator", grade_level=None,
                                  grade_class=None)
    site_a = make_institution(committed, platform_admin.principal)
    site_b = make_institution(committed, platform_admin.principal)
    regulator = make_account(committed, Role.REGULATOR, institution_id=commission)
    with transaction(committed) as session:
        doctor = f.make_practitioner(session, platform_admin.principal, site_a)
        run = RiskRun(window_start=utcnow(), window_end=utcnow(), counts={})
        session.add(run)
        session.flush()
        alert = RiskAlert(
            rule="overlap", fingerprint=f.unique("overlap:web"), subject_type="practitioner", subject_id=doctor.id,
            practitioner_id=doctor.id, institution_id=site_a, summary="committed at two sites at once", status=
            AlertStatus.OPEN, first_run_id=run.id, last_run_id=run.id, evidence={"overlap_minutes": 45, "commitments": [
                {"source": "booking", "ref": "booking:1", "site_institution_id": site_a, "starts_at": "x",
                 "ends_at": "y"},
                {"source": "booking", "ref": "booking:2", "site_institution_id": site_b, "starts_at": "x",
                 "ends_at": "y"}]})
        session.add(alert)
        session.flush()
        alert_id, doctor_name = alert.id, doctor.name
    with http_sign_in(live_server.url, regulator.username) as client:
        listing = client.get("/risk/alerts?status=open&rule=overlap")
        assert listing.status_code == 200 and f'href="/risk/alerts/{alert_id}"' in listing.text
        detail = client.get(f"/risk/alerts/{alert_id}")
        assert "booking:1" in detail.text and "booking:2" in detail.text and doctor_name in detail.text
        refused = client.post(f"/risk/alerts/{alert_id}/dismiss", data={"csrf_token": csrf_of(detail.text),
                                                                         "reason": ""})
        assert refused.status_code == 422 and "say why the alert is dismissed" in refused.text
        done = client.post(f"/risk/alerts/{alert_id}/dismiss", data={"csrf_token": csrf_of(detail.text),
                                                                      "reason": "a locum contract, approved"})
        assert done.status_code == 303
        assert "a locum contract, approved" in client.get(f"/risk/alerts/{alert_id}").text
    with transaction(committed) as session:
        assert session.get(RiskAlert, alert_id).status is AlertStatus.DISMISSED
    hospital = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=site_a)
    with http_sign_in(live_server.url, hospital.username) as client:
        assert client.get("/risk/alerts").status_code == 403
