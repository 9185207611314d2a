"""The one standing check in the other capabilities: a blacklisted institution receives no referral and asks
for no supply allocation; a blacklisted practitioner neither signs nor gives a teleconsultation opinion.
Lifting the blacklist (remediation approved) lets them act again."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from medshare.care import referrals
from medshare.care.schemas import ReferralIn
from medshare.supervision import cases
from medshare.supervision.models import ActionKind, SanctionKind
from medshare.supervision.standing import NotInGoodStanding, today
from tests import factories as f
from tests.conftest import rolled_back_session
from tests.integration.care.conftest import care_engine, county, principal  # noqa: F401 - fixtures
from tests.integration.care.test_referrals import CRISIS, T0
from tests.integration.supervision.conftest import make_scene


@pytest.fixture
def session(care_engine):  # noqa: F811
    """Care's own database: referral targets and specialist pools are region-wide."""
    yield from rolled_back_session(care_engine)


def _blacklist(session, regulator, *, institution_id, practitioner_id=None):
    case = cases.open_case(session, regulator, institution_id=institution_id, title="serious violation",
                           practitioner_id=practitioner_id)
    cases.act(session, regulator, case, kind=ActionKind.SANCTION, sanction_kind=SanctionKind.BLACKLIST,
              text="blacklisted", on_practitioner=practitioner_id is not None)


def _remediate(session, asker, regulator, **subject):
    row = cases.request_remediation(session, asker, plan="all findings corrected and inspected", **subject)
    cases.decide_remediation(session, regulator, row, approve=True)


def test_a_blacklisted_hospital_receives_no_referral_until_remediated(session, county):  # noqa: F811
    scene = make_scene(session)
    _blacklist(session, scene.health, institution_id=county.tertiary)
    values = {"patient_record_id": county.patient, "condition": "hypertension", "observations": CRISIS,
              "to_institution_id": county.tertiary, "summary": "BP 186/112"}
    with pytest.raises(NotInGoodStanding, match="receive referrals"):
        referrals.create_referral(session, county.centre_doctor, ReferralIn(**values), now=T0)
    _remediate(session, county.tertiary_admin, scene.health, institution_id=county.tertiary)
    assert referrals.create_referral(session, county.centre_doctor, ReferralIn(**values), now=T0).id


def test_a_blacklisted_institution_asks_for_no_supply_allocation(session):
    from medshare.supplies import service as supplies
    from medshare.supplies.schemas import SupplyRequestIn

    scene = make_scene(session)
    _blacklist(session, scene.health, institution_id=scene.hospital)
    request = SupplyRequestIn(institution_id=scene.hospital, item_code="N95", quantity=100, priority="critical",
                              need_by=today() + dt.timedelta(days=3))
    with pytest.raises(NotInGoodStanding, match="receive supply allocations"):
        supplies.create_request(session, scene.admin, request)


def test_a_blacklisted_practitioner_neither_signs_nor_consults(session):
    from medshare.care import teleconsults
    from medshare.pki import service as pki

    scene = make_scene(session)
    pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY)
    assert pki.sign_document(session, scene.doctor, scene.doctor_id, b"report 1", secret=f.SECRET_KEY).id
    _blacklist(session, scene.health, institution_id=scene.hospital, practitioner_id=scene.doctor_id)
    with pytest.raises(NotInGoodStanding, match="sign reports"):
        pki.sign_document(session, scene.doctor, scene.doctor_id, b"report 2", secret=f.SECRET_KEY)
    # Refused before the consultation is even looked at.
    with pytest.raises(NotInGoodStanding, match="give teleconsultations"):
        teleconsults.give_opinion(session, scene.doctor, SimpleNamespace(), "opinion", secret=f.SECRET_KEY)
    _remediate(session, scene.admin, scene.health, practitioner_id=scene.doctor_id)
    pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY)  # the revoked one stays revoked
    assert pki.sign_document(session, scene.doctor, scene.doctor_id, b"report 3", secret=f.SECRET_KEY).id


def test_a_blacklisted_hospital_is_not_suggested_as_a_referral_target_until_remediated(session, county):  # noqa: F811
    from tests.integration.care.test_referrals import draft

    scene = make_scene(session)
    referral = draft(session, county, to_institution_id=None)

    def suggested() -> list[int]:
        return [s.institution_id for s, _ in referrals.suggest_targets(session, county.centre_doctor, referral,
                                                                       now=T0)]

    assert county.tertiary in suggested()
    _blacklist(session, scene.health, institution_id=county.tertiary)
    assert county.tertiary not in suggested() and county.far_tertiary in suggested()
    _remediate(session, county.tertiary_admin, scene.health, institution_id=county.tertiary)
    assert county.tertiary in suggested()


def test_no_teleconsultation_is_assigned_to_a_blacklisted_specialist(session, county):  # noqa: F811
    from medshare.care import teleconsults
    from medshare.care.schemas import TeleconsultIn

    scene = make_scene(session)
    data = TeleconsultIn(patient_record_id=county.patient, specialty="心内科", case_summary="BP 165/100 on two drugs")
    first = teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0)
    _blacklist(session, scene.health, institution_id=first.specialist_institution_id,
               practitioner_id=first.specialist_id)
    first = first.specialist_id
    for _ in range(4):
        assert teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0).specialist_id != first
    _remediate(session, county.admin, scene.health, practitioner_id=first)
    assigned = {teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0).specialist_id
                for _ in range(6)}
    assert first in assigned


def test_a_completed_referral_counts_once_for_the_receiving_hospitals_credit(session, county):  # noqa: F811
    from medshare.supervision import credit
    from medshare.supervision.standing import standing_of
    from tests.integration.care.test_referrals import draft

    referral = draft(session, county)
    for actor, action in [(county.centre_doctor, "send"), (county.tertiary_admin, "accept"),
                          (county.tertiary_admin, "arrive"), (county.tertiary_admin, "complete")]:
        referrals.transition(session, actor, referral, action, now=T0)
    added = credit.refresh(session, on=T0.date())
    assert added.get("referral.completed", 0) >= 1
    assert credit.refresh(session, on=T0.date()).get("referral.completed", 0) == 0  # once per referral
    events = session.execute(sa.text("SELECT kind, source FROM supervision_credit_events WHERE subject = :s"),
                             {"s": f"i:{county.tertiary}"}).all()
    assert ("referral.completed", f"referral:{referral.id}") in events
    assert standing_of(session, institution_id=county.tertiary, on=T0.date()).score == 100.5
