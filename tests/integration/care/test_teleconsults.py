"""Teleconsultations: the region's pool, multi-site specialists, load-balanced assignment, the opinion."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from medshare.accounts.models import Role
from medshare.assets import ledger
from medshare.care import service, teleconsults
from medshare.care.schemas import TeleconsultIn
from medshare.claims.models import Claim, Coverage
from medshare.errors import Conflict, Forbidden
from medshare.pki import service as pki
from medshare.registry import service as registry
from medshare.registry.schemas import RegistrationIn
from tests import factories as f
from tests.integration.care.conftest import T0, principal


def ask(session, county, urgency="routine", **extra):
    data = TeleconsultIn(patient_record_id=county.patient, specialty="心内科", urgency=urgency,
                         case_summary="BP 165/100 on two drugs; ECG attached", attachments=["DiagnosticReport/7"],
                         **extra)
    return teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0)


def test_requests_spread_over_the_pool_by_load(session, county):
    first, second, third = (ask(session, county) for _ in range(3))
    assigned = [first.specialist_id, second.specialist_id, third.specialist_id]
    assert len(set(assigned)) == 3  # three cardiologists of two hospitals, each given one
    assert all(tc.status.value == "scheduled" and tc.starts_at >= T0 + dt.timedelta(hours=24) for tc in
               (first, second, third))
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=30)
    fourth = ask(session, county)
    assert fourth.specialist_id in assigned
    assert service.practitioner_commitments(session, fourth.specialist_id, T0, T0 + dt.timedelta(days=3))


def test_an_emergency_goes_to_the_soonest_free_specialist(session, county):
    tc = ask(session, county, urgency="emergency")
    assert tc.starts_at <= T0 + dt.timedelta(minutes=45)
    assert tc.fee_fen == 60000


def test_a_multi_site_specialist_is_busy_across_sites(session, county):
    admin = county.admin
    extra = f.make_practitioner(session, admin, county.county, specialty="内分泌科")
    registry.add_registration(session, admin, extra, RegistrationIn(
        institution_id=county.tertiary, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2027, 1, 1)))
    data = TeleconsultIn(patient_record_id=county.patient, specialty="内分泌科", case_summary="HbA1c 9.8 %")
    one = teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0)
    two = teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0)
    assert one.specialist_id == two.specialist_id == extra.id
    assert two.starts_at >= one.ends_at  # never two sessions at once


def test_nobody_free_leaves_the_request_waiting(session, county):
    data = TeleconsultIn(patient_record_id=county.patient, specialty="精神科", case_summary="low mood")
    tc = teleconsults.request_teleconsult(session, county.centre_doctor, data, now=T0)
    assert tc.status.value == "requested" and tc.specialist_id is None
    psychiatrist = f.make_practitioner(session, county.admin, county.tertiary, specialty="精神科")
    assert teleconsults.assign_waiting(session, now=T0) == 1
    assert tc.specialist_id == psychiatrist.id


def test_only_the_assigned_specialist_answers_with_a_signed_opinion(session, county, settings):
    secret = settings.resolved_secret_key()
    tc = ask(session, county)
    specialist = principal(session, Role.PRACTITIONER, county.tertiary, tc.specialist_id)
    with pytest.raises(Forbidden, match="teleconsult-opinion-by-specialist"):
        teleconsults.give_opinion(session, county.centre_doctor, tc, "raise amlodipine", now=T0)
    with pytest.raises(Conflict) as error:  # no certificate to sign with: refused, nothing changes
        teleconsults.give_opinion(session, specialist, tc, "add amlodipine", now=tc.ends_at, secret=secret)
    assert error.value.problems[0].rule == "active-certificate"
    assert (tc.status.value, tc.opinion) == ("scheduled", "")
    pki.issue_certificate(session, None, tc.specialist_id, now=T0, secret=secret)
    insurer = f.make_institution(session, county.admin, type="insurer", grade_level=None, grade_class=None)
    session.add(Coverage(patient_record_id=county.patient, insurer_institution_id=insurer.id,
                         policy_number=f.unique("pol"), valid_from=dt.date(2026, 1, 1), valid_to=None))
    done = teleconsults.give_opinion(session, specialist, tc, "add amlodipine 5 mg; recheck in 2 weeks",
                                     now=tc.ends_at, secret=secret)
    assert done.status.value == "completed" and done.completed_at == tc.ends_at
    claim = session.scalar(sa.select(Claim).where(Claim.service_ref == f"teleconsult:{tc.id}"))
    assert (claim.total_fen, claim.provider_institution_id, claim.insurer_institution_id) == (
        tc.fee_fen, tc.specialist_institution_id, insurer.id)
    # The fee moves from the requesting centre to the specialist's hospital, once, and the ledger balances.
    month = tc.ends_at.strftime("%Y-%m")
    payee = ledger.statement(session, f"institution:{tc.specialist_institution_id}", month)["lines"]
    payer = ledger.statement(session, f"institution:{tc.requester_institution_id}", month)["lines"]
    assert done.fee_posted and [(line["service_ref"], line["amount_fen"]) for line in payee] == [
        (f"teleconsult:{tc.id}", -tc.fee_fen)]
    assert [line["amount_fen"] for line in payer] == [tc.fee_fen] and ledger.imbalance(session) == 0
    with pytest.raises(IntegrityError), session.begin_nested():  # the database refuses a second posting
        teleconsults.post_fee(session, done, tc.ends_at)
    signature = pki.get_signature(session, done.opinion_signature["signature_id"])
    assert pki.verify(session, signature, teleconsults.opinion_payload(done), now=tc.ends_at).verdict.valid
    assert pki.verify(session, signature, teleconsults.opinion_payload(done, "changed"),
                      now=tc.ends_at).verdict.valid is False
    with pytest.raises(Conflict) as error:
        teleconsults.give_opinion(session, specialist, tc, "again", now=tc.ends_at)
    assert error.value.problems[0].rule == "teleconsult-opinion-scheduled"
    with pytest.raises(Conflict):
        teleconsults.cancel_teleconsult(session, county.centre_doctor, tc, now=T0)


def test_the_desk_lists_requested_and_assigned_sides(session, county):
    tc = ask(session, county)
    mine, _ = teleconsults.list_teleconsults(session, county.centre_admin)
    assert tc in mine
    specialist = principal(session, Role.PRACTITIONER, county.tertiary, tc.specialist_id)
    assigned, _ = teleconsults.list_teleconsults(session, specialist, side="assigned")
    assert assigned == [tc]
    others, _ = teleconsults.list_teleconsults(session, county.county_admin)
    assert tc not in others
    with pytest.raises(Forbidden):
        teleconsults.read_teleconsult(session, county.county_admin, tc.id)
