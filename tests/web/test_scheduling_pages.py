"""Regional exam scheduling through the pages: referrers put patients on the waiting list, the desk proposes,
compares with the baselines as charts, and commits through the booking service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.models import Booking, BookingStatus
from medshare.assets.schemas import BookingIn
from medshare.db import transaction
from medshare.scheduling import service as scheduling
from medshare.scheduling.models import ExamRequest, SchedulingRun
from medshare.scheduling.rules import RequestStatus
from medshare.scheduling.schemas import ExamRequestIn
from tests import factories as f
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY
from tests.web.conftest import Account, csrf_of, http_sign_in, make_account, make_institution, sign_in, unique

browser_test = pytest.mark.browser


@dataclass
class Waiting:
    owner_id: int  # a tertiary hospital sharing an MRI that only these tests' requests ask for
    hospital_id: int  # a secondary hospital nearby that refers patients
    asset_id: int
    marker: str  # the MRI's own capability
    doctor: Account
    admin: Account  # the secondary hospital's administrator
    regulator: Account
    patients: list[int]
    local_ids: list[str]  # the patients' numbers at the hospital, found by the form's patient search


@pytest.fixture
def waiting(committed, platform_admin) -> Waiting:
    actor = platform_admin.principal
    owner_id = make_institution(committed, actor, type="tertiary_hospital", grade_level=3, grade_class="A",
                                latitude=26.2654, longitude=117.6389)
    hospital_id = make_institution(committed, actor, latitude=26.2300, longitude=117.6100)
    commission = make_institution(committed, actor, type="regulator", grade_level=None, grade_class=None)
    owner = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=owner_id)
    marker = unique("cap-")
    with transaction(committed) as session:
        asset_id = assets.create_asset(session, owner.principal, mri_in(
            owner_id, hours=ALL_DAY, capabilities=["3T", marker])).id
        records = [f.make_patient(session, actor, hospital_id) for _ in range(3)]
        patients, local_ids = [r.id for r in records], [r.local_id for r in records]
    return Waiting(owner_id, hospital_id, asset_id, marker,
                   make_account(committed, Role.PRACTITIONER, institution_id=hospital_id),
                   make_account(committed, Role.INSTITUTION_ADMIN, institution_id=hospital_id),
                   make_account(committed, Role.REGULATOR, institution_id=commission), patients, local_ids)


def _refer(committed, w: Waiting, patient_id: int, urgency: str = "routine") -> int:
    with transaction(committed) as session:
        data = ExamRequestIn(patient_record_id=patient_id, modality="MRI", capabilities=[w.marker], urgency=urgency)
        return scheduling.create_request(session, w.doctor.principal, data).id


def _request(committed, request_id: int) -> ExamRequest:
    with transaction(committed) as session:
        return session.get(ExamRequest, request_id)


def _institution_name(committed, institution_id: int) -> str:
    from medshare.registry import service as registry

    with transaction(committed) as session:
        return registry.get_institution(session, institution_id).name


@browser_test
def test_a_practitioner_refers_a_patient_through_the_form_and_sees_it_waiting(page: Page, live_server, committed,
                                                                               waiting):
    sign_in(page, live_server.url, waiting.doctor.username, "/exam-requests/new")
    page.fill("input[name=patient_q]", waiting.local_ids[0])
    expect(page.locator("#f-patient_record_id option").first).to_contain_text(waiting.local_ids[0])
    page.select_option("#f-modality", "MRI")
    page.fill("#f-capabilities", f"{waiting.marker}, 3T")
    page.get_by_label("Urgent", exact=False).check()
    page.fill("#f-max_travel_km", "25")
    page.get_by_role("button", name="Put on the waiting list").click()

    expect(page.locator(".flash")).to_contain_text("The patient is on the regional waiting list.")
    row = page.locator("table.exam-requests tbody tr", has_text=waiting.local_ids[0])
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("Waiting")
    expect(row).to_contain_text("25 km")
    with transaction(committed) as session:
        request = session.scalar(sa.select(ExamRequest).where(ExamRequest.patient_record_id == waiting.patients[0]))
        assert (request.urgency.value, request.referring_institution_id) == ("urgent", waiting.hospital_id)
        assert request.capabilities == sorted(["3T", waiting.marker]) and request.max_travel_km == 25


def test_a_broken_rule_on_the_request_form_is_shown_beside_its_field_and_nothing_is_written(live_server, committed,
                                                                                            waiting):
    with http_sign_in(live_server.url, waiting.doctor.username) as client:
        token = csrf_of(client.get("/exam-requests/new").text)
        form = {"csrf_token": token, "modality": "MRI", "urgency": "routine", "max_travel_km": "5000"}
        answer = client.post("/exam-requests", data=form)
        assert answer.status_code == 422 and "Nothing was saved" in answer.text
        assert "choose a patient of your institution" in answer.text
        answer = client.post("/exam-requests", data=form | {"patient_record_id": str(waiting.patients[1])})
        assert answer.status_code == 422 and "less_than_equal" in answer.text
        assert 'id="e-f-max_travel_km"' in answer.text and "less than or equal to 1000" in answer.text
        assert waiting.local_ids[1] in answer.text  # the patient chosen stays chosen
    with transaction(committed) as session:
        assert not session.scalar(sa.select(sa.func.count()).select_from(ExamRequest).where(
            ExamRequest.patient_record_id == waiting.patients[1]))


def test_the_best_slot_is_shown_then_booked_on_confirmation_and_a_request_can_be_cancelled(live_server, committed,
                                                                                         waiting):
    instant, dropped = _refer(committed, waiting, waiting.patients[0], "urgent"), _refer(committed, waiting,
                                                                                          waiting.patients[1])
    with http_sign_in(live_server.url, waiting.doctor.username) as client:
        shown = client.get(f"/exam-requests/{instant}/best-slot")
        assert shown.status_code == 200 and "within due time" in shown.text
        token = csrf_of(shown.text)
        assert f'name="asset_id" value="{waiting.asset_id}"' in shown.text
        starts_at = shown.text.split('name="starts_at" value="')[1].split('"')[0]
        answer = client.post(f"/exam-requests/{instant}/book", data={
            "csrf_token": token, "asset_id": str(waiting.asset_id), "starts_at": starts_at})
        assert answer.status_code == 303
        assert client.get(answer.headers["location"]).text.count(f'id="request-{instant}"') == 1
        again = client.post(f"/exam-requests/{instant}/book", data={"csrf_token": token})
        assert again.status_code == 409 and "no longer open" in again.text  # nothing booked twice
        assert client.post(f"/exam-requests/{dropped}/cancel", data={"csrf_token": token}).status_code == 303
    booked = _request(committed, instant)
    assert booked.status is RequestStatus.BOOKED
    with transaction(committed) as session:
        booking = session.get(Booking, booked.booking_id)
        assert booking.asset_id == waiting.asset_id and booking.starts_at.isoformat() == starts_at
        assert booking.patient_record_id == waiting.patients[0]
    assert _request(committed, dropped).status is RequestStatus.CANCELLED


@browser_test
def test_a_regulator_runs_the_scheduler_reviews_proposals_and_charts_and_commits(page: Page, live_server, committed,
                                                                                  waiting):
    emergency = _refer(committed, waiting, waiting.patients[0], "emergency")
    routine = _refer(committed, waiting, waiting.patients[1])
    hospital = _institution_name(committed, waiting.hospital_id)
    sign_in(page, live_server.url, waiting.regulator.username, "/scheduling")
    page.get_by_label("One institution").check()
    page.fill("input.picker-find", hospital)
    expect(page.locator("#f-institution_id option:checked")).to_contain_text(hospital)
    page.get_by_role("button", name="Propose slots").click()

    page.wait_for_url(f"{live_server.url}/scheduling/runs/*")
    for request_id in (emergency, routine):
        row = page.locator(f"#proposal-{request_id}")
        expect(row).to_contain_text(_institution_name(committed, waiting.owner_id))
        expect(row).to_contain_text("Proposed")
    expect(page.locator(f"#proposal-{emergency}")).to_contain_text("Emergency")
    for chart in ("mean", "p90", "within-due", "utilisation"):
        expect(page.locator(f"#chart-{chart} canvas")).to_be_visible()
    expect(page.locator("table.compare-policies")).to_contain_text("Home hospital only")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Commit: book 2 slots").click()
    expect(page.locator(".flash")).to_contain_text("The proposals are booked")
    expect(page.locator(f"#proposal-{routine}")).to_contain_text("Booked")
    with transaction(committed) as session:
        for request_id in (emergency, routine):
            request = session.get(ExamRequest, request_id)
            assert request.status is RequestStatus.BOOKED
            booking = session.get(Booking, request.booking_id)
            assert (booking.asset_id, booking.status) == (waiting.asset_id, BookingStatus.CONFIRMED)


def test_a_slot_taken_before_the_commit_is_shown_as_re_planned(live_server, committed, waiting):
    request_id = _refer(committed, waiting, waiting.patients[2], "urgent")
    with http_sign_in(live_server.url, waiting.admin.username) as client:
        token = csrf_of(client.get("/scheduling").text)
        answer = client.post("/scheduling/runs", data={"csrf_token": token, "scope": "institution",
                                                       "horizon_days": "7"})
        assert answer.status_code == 303
        run_path = answer.headers["location"]
        rival = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=waiting.owner_id)
        with transaction(committed) as session:  # someone takes the proposed slot before the commit
            run = session.get(SchedulingRun, int(run_path.rsplit("/", 1)[1]))
            proposal = next(p for p in run.proposals if p.request_id == request_id)
            bookings.book(session, rival.principal, BookingIn(asset_id=waiting.asset_id, exam_code="MRI-HEAD",
                                                              starts_at=proposal.starts_at))
        assert client.post(f"{run_path}/commit", data={"csrf_token": token}).status_code == 303
        page = client.get(f"{run_path}?show=replanned").text
        assert f'id="proposal-{request_id}"' in page and "Re-planned" in page
        assert client.post(f"{run_path}/commit", data={"csrf_token": token}).status_code == 409


def test_accounts_without_the_permission_neither_see_the_desk_nor_open_it(live_server, committed, waiting,
                                                                          platform_admin):
    supplier = make_account(committed, Role.SUPPLIER, institution_id=waiting.hospital_id)
    with http_sign_in(live_server.url, waiting.doctor.username) as client:
        home = client.get("/home").text
        assert 'href="/exam-requests"' in home and 'href="/scheduling"' not in home
        assert client.get("/scheduling").status_code == 403
        token = csrf_of(home)
        assert client.post("/scheduling/runs", data={"csrf_token": token, "scope": "region"}).status_code == 403
    with http_sign_in(live_server.url, waiting.regulator.username) as client:
        home = client.get("/home").text
        assert 'href="/scheduling"' in home and 'href="/exam-requests"' not in home
        assert client.get("/exam-requests").status_code == 403
    with http_sign_in(live_server.url, supplier.username) as client:
        assert client.get("/scheduling").status_code == 403
        assert client.get("/exam-requests/new").status_code == 403
