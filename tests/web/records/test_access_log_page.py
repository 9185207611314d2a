"""The patient's page in Chromium: who read my records, with an emergency read flagged and its reason."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.accounts.schemas import UserIn
from medshare.db import transaction
from tests import factories as f
from tests.integration.fhir.conftest import bearer, observation
from tests.web.conftest import PASSWORD, sign_in, unique

pytestmark = pytest.mark.browser


def test_a_patient_sees_an_emergency_read_of_their_records_with_its_reason(page, live_server, committed):
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        a, b = f.make_institution(session, admin).id, f.make_institution(session, admin).id
        doctor_b = f.make_practitioner(session, admin, b).id
        birth = dt.date(1958, 2, 3)
        nid = f.national_id(birth)
        record_a = f.make_patient(session, admin, a, birth_date=birth, national_id=nid, sex="male").id
        f.make_patient(session, admin, b, birth_date=birth, national_id=nid, sex="male")
        admin_a = f.token_for(session, f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=a))
        token_b = f.token_for(session, f.make_user(session, Role.PRACTITIONER, institution_id=b,
                                                   practitioner_id=doctor_b, display_name="王医生"))
        patient = accounts.create_user(session, None, UserIn(username=unique("pat-"), password=PASSWORD,
                                                             role=Role.PATIENT, patient_record_id=record_a)).username
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        obs = client.post("/fhir/Observation", json=observation(f"Patient/{record_a}"), headers=bearer(admin_a))
        assert obs.status_code == 201, obs.text
        read = client.get(f"/fhir/Observation/{obs.json()['id']}",
                          headers={**bearer(token_b), "X-Emergency-Reason": "chest pain in the ward"})
        assert read.status_code == 200
    sign_in(page, live_server.url, patient, "/records/access-log")
    page.goto(f"{live_server.url}/records/access-log")
    row = page.locator("tr.flagged").first
    assert "chest pain in the ward" in row.inner_text() and "王医生" in row.inner_text()
    assert "Observation" in row.inner_text()
    assert page.locator("nav.main-nav a[href='/records/access-log']").count() == 1
