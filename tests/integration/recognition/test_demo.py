"""The demo extension over a small region: accreditation, certificates, signed CT reports that verify, and an
order history with recognitions, repeats and orders placed without a look-up."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from medshare.demo import recognition as demo
from medshare.identity.models import PatientRecord
from medshare.pki import reports
from medshare.pki import service as pki
from medshare.recognition.models import Decision, RecognitionCheck
from medshare.settings import get_settings
from tests.conftest import own_engine, rolled_back_session
from tests.factories import SECRET_KEY
from tests.integration.recognition.data import observation, region, report


@pytest.fixture(scope="module")
def quiet_engine(database_url, tmp_path_factory):
    yield from own_engine(database_url, tmp_path_factory.mktemp("recognition-demo"))


@pytest.fixture
def session(quiet_engine):
    """A database of its own: the demo draws its order history from every patient with results in the
    region, so other tests' committed patients would thin out this region's decisions."""
    yield from rolled_back_session(quiet_engine)


def test_the_demo_extension_accredits_signs_and_records_a_history(session, monkeypatch):
    monkeypatch.setenv("MEDSHARE_SECRET_KEY", SECRET_KEY)  # the CA may already be the test server's
    get_settings.cache_clear()
    try:
        r = region(session)
        there = session.get(PatientRecord, r.there)
        # The results' ages count back from the demo's own clock (10:00 UTC of its day), not the
        # wall clock, so which later orders fall inside an item's window is the same at any hour.
        today = dt.date.today()
        demo_now = dt.datetime.combine(today, dt.time(10), dt.UTC)
        for days in (1, 3, 20, 40):
            observation(session, there, r.tertiary, days_ago=days, now=demo_now)
        ct = report(session, there, r.tertiary, days_ago=3, author=r.doctor.practitioner_id, now=demo_now)
        ct.interpreter_practitioner_id = r.doctor.practitioner_id
        counts = demo.extend(session, SimpleNamespace(region=SimpleNamespace(seed=7, scale="small", today=today)))
    finally:
        get_settings.cache_clear()
    assert counts["accreditations"] > 0 and counts["certificates"] > 0
    assert counts["signed reports"] >= 1
    signature = pki.signatures_of(session, reports.DOCUMENT_TYPE, ct.fhir_id)[0]
    assert pki.verify(session, signature, reports.payload(session, ct)).verdict.valid
    decisions = dict(session.execute(sa.select(RecognitionCheck.decision, sa.func.count())
                                     .where(RecognitionCheck.patient_record_id == r.here)
                                     .group_by(RecognitionCheck.decision)).all())
    assert sum(decisions.values()) > 0 and decisions.get(Decision.ACCEPTED, 0) > 0
