"""The ordering page in Chromium: a doctor finds a patient, sees the prior results, accepts one, and repeats
another order with a reason; the figures page draws its charts; a report's signature page verifies."""

from __future__ import annotations

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.accounts.schemas import UserIn
from medshare.db import transaction
from medshare.identity.models import PatientRecord
from tests.integration.recognition.data import observation, region
from tests.web.conftest import PASSWORD, http_sign_in, sign_in, unique

pytestmark = pytest.mark.browser


def _user(session, role: Role, **extra) -> str:
    user = accounts.create_user(session, None, UserIn(username=unique("rec-"), password=PASSWORD, role=role,
                                                      **extra))
    return user.username


@pytest.fixture(scope="module")
def scene(committed):
    with transaction(committed) as session:
        r = region(session)
        result = observation(session, session.get(PatientRecord, r.there), r.tertiary)
        return {"r": r, "result": result.id,
                "doctor": _user(session, Role.PRACTITIONER, institution_id=r.secondary,
                                practitioner_id=r.doctor.practitioner_id),
                "regulator": _user(session, Role.REGULATOR, institution_id=r.secondary_other, locale="zh_Hans")}


def _order(page, base: str, item: str = "2823-3") -> None:
    page.goto(f"{base}/recognition/order")
    page.fill("input[name=patient_q]", "李娜")
    page.wait_for_selector("#f-patient_record_id option[value]:not([value=''])", state="attached")
    page.select_option("#f-item_code", item)
    page.click("#order-form button[type=submit]")
    page.wait_for_url(f"{base}/recognition/checks/*")


def test_a_doctor_accepts_a_prior_result_and_repeats_another_order_with_a_reason(page, live_server, scene):
    base = live_server.url
    sign_in(page, base, scene["doctor"], "/recognition/order")
    _order(page, base)
    row = page.locator("tr[data-why='higher-grade']")
    assert "HR" in row.inner_text() and "higher-grade institution" in row.inner_text()
    page.click("#accept-form button[type=submit]")
    page.wait_for_selector("#decision.decision-accepted")
    assert "no new exam" in page.inner_text("#decision")

    _order(page, base)
    page.click("#repeat-form button[type=submit]")  # no reason chosen: refused, nothing saved
    assert "Nothing was saved" in page.inner_text("main")
    page.select_option("#f-reason", "emergency")
    page.fill("#f-note", "chest pain tonight")
    page.click("#repeat-form button[type=submit]")
    page.wait_for_selector("#decision.decision-repeated")
    assert "Emergency" in page.inner_text("#decision") and "chest pain tonight" in page.inner_text("#decision")


def test_the_figures_page_draws_its_charts_in_chinese(page, live_server, scene):
    base = live_server.url
    with http_sign_in(base, scene["regulator"]) as client:
        assert client.get("/recognition/dashboard").status_code == 200
        assert client.get("/recognition/catalogue").status_code == 200
    sign_in(page, base, scene["regulator"], "/recognition/dashboard")
    page.wait_for_selector("#chart-items canvas")
    assert "结果互认统计" in page.inner_text("h1") and "节省费用" in page.inner_text("#totals")


def test_the_author_signs_a_report_on_its_page_and_the_page_tells_a_changed_report(live_server, committed):
    from medshare.pki import service as pki
    from medshare.records.models import DiagnosticReport
    from tests import factories as f
    from tests.factories import SECRET_KEY
    from tests.integration.recognition.data import report
    from tests.web.conftest import csrf_of

    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        radiologist = f.make_practitioner(session, admin, hospital.id)
        ct = report(session, f.make_patient(session, admin, hospital.id), hospital.id, author=radiologist.id)
        pki.issue_certificate(session, admin, radiologist.id, secret=SECRET_KEY)
        username = _user(session, Role.PRACTITIONER, institution_id=hospital.id, practitioner_id=radiologist.id)
        fhir_id, row_id = ct.fhir_id, ct.id
    with http_sign_in(live_server.url, username) as client:
        page = client.get(f"/reports/{fhir_id}/signature")
        assert "Not signed" in page.text and "Sign this report as its author" in page.text
        signed = client.post(f"/reports/{fhir_id}/signature", data={"csrf_token": csrf_of(page.text)})
        assert signed.status_code == 303
        assert "Valid: the report is as its author signed it" in client.get(f"/reports/{fhir_id}/signature").text
        with transaction(committed) as session:
            session.get(DiagnosticReport, row_id).conclusion = "Mass in the left lung."
        assert "Altered" in client.get(f"/reports/{fhir_id}/signature").text


def test_the_patient_sees_why_an_exam_was_repeated(live_server, committed, scene):
    from medshare.recognition import service as recognition

    r = scene["r"]
    with transaction(committed) as session:
        check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
        recognition.repeat(session, r.doctor, check, reason="quality_doubt", note="haemolysed sample")
        username = _user(session, Role.PATIENT, patient_record_id=r.there)
    with http_sign_in(live_server.url, username) as client:
        text = client.get("/recognition/mine").text
        assert "Doubt about the result&#39;s quality" in text and "haemolysed sample" in text


def test_an_institution_admin_issues_and_revokes_a_certificate_on_its_page(live_server, committed):
    from medshare.pki import service as pki
    from tests import factories as f
    from tests.web.conftest import csrf_of

    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        radiologist = f.make_practitioner(session, admin, hospital.id, name="周放射")
        username = _user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id)
        radiologist_id, licence = radiologist.id, radiologist.licence_number
    with http_sign_in(live_server.url, username) as client:
        page = client.get("/pki/certificates")
        assert page.status_code == 200 and licence in page.text
        issued = client.post("/pki/certificates", data={"csrf_token": csrf_of(page.text),
                                                        "practitioner_id": str(radiologist_id)})
        assert issued.status_code == 303
        with committed() as session:
            certificate = pki.certificates_of(session, radiologist_id)[0]
        page = client.get("/pki/certificates")
        assert certificate.serial_number[:16] in page.text and "Active" in page.text
        revoked = client.post(f"/pki/certificates/{certificate.id}/revoke",
                              data={"csrf_token": csrf_of(page.text), "reason": "key_compromise"})
        assert revoked.status_code == 303
        assert "Revoked (Key compromised)" in client.get("/pki/certificates").text
    with committed() as session:
        assert pki.get_certificate(session, certificate.id).status.value == "revoked"
