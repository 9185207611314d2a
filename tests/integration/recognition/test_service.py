"""Order-time recognition on a real database: the results found through the patient index, each judged,
accepted or repeated with a reason, and the month's figures."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.audit.models import AuditEvent
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.permissions import Principal
from medshare.recognition import figures as recognition_figures
from medshare.recognition import service as recognition
from medshare.recognition.models import Decision, RepeatReason
from medshare.records.models import ServiceRequest
from tests.integration.recognition.data import observation, order_without_look_up, region, report


@pytest.fixture
def r(session):
    return region(session)


def _record(session, record_id):
    from medshare.identity.models import PatientRecord

    return session.get(PatientRecord, record_id)


def test_the_check_finds_the_persons_results_at_every_institution_with_a_reason_for_each(session, r):
    there = _record(session, r.there)
    fresh = observation(session, there, r.tertiary, days_ago=2)
    old = observation(session, there, r.tertiary, days_ago=10)
    draft = observation(session, there, r.tertiary, days_ago=1, status="preliminary")
    unaccredited = observation(session, _record(session, r.here), r.secondary_other, days_ago=1)
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
    why = {c["id"]: c["why"] for c in check.candidates}
    assert why == {fresh.id: "higher-grade", old.id: "expired", draft.id: "not-final",
                   unaccredited.id: "not-accredited"}
    assert check.recognisable_count == 1 and check.decision is Decision.PENDING
    reads = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "records.read",
                                                        AuditEvent.patient_record_id == r.there)).all()
    assert reads and reads[-1].details["basis"] == "recognition-order"


def test_accepting_a_prior_result_fulfils_the_order_and_counts_the_fee_saved(session, r):
    result = observation(session, _record(session, r.there), r.tertiary)
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
    recognition.accept(session, r.doctor, check, result_kind="Observation", result_id=result.id)
    assert check.decision is Decision.ACCEPTED and check.accepted_institution_id == r.tertiary
    order = session.get(ServiceRequest, check.service_request_id)
    assert order.status == "completed" and result.fhir_id in order.reason_text
    with pytest.raises(Conflict):
        recognition.accept(session, r.doctor, check, result_kind="Observation", result_id=result.id)
    month = check.month
    fig = recognition_figures.figures(session, r.regulator, month=month, institution_id=r.secondary)
    assert fig["totals"]["recognitions"] == 1 and fig["totals"]["money_saved_fen"] == 500
    assert fig["totals"]["exams_avoided"] == 1


def test_a_result_that_is_not_recognisable_cannot_be_accepted_and_nothing_changes(session, r):
    stale = observation(session, _record(session, r.there), r.tertiary, days_ago=9)
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
    with pytest.raises(InvalidInput) as error:
        recognition.accept(session, r.doctor, check, result_kind="Observation", result_id=stale.id)
    assert error.value.problems[0].rule == "recognisable"
    assert check.decision is Decision.PENDING and check.service_request_id is None


def test_each_repeat_reason_is_recorded_queryable_and_shown_to_the_patient(session, r):
    observation(session, _record(session, r.there), r.tertiary)
    patient = Principal(r.admin.user_id, "patient", Role.PATIENT, patient_record_id=r.there)
    done = {}
    for reason in RepeatReason:
        check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
        recognition.repeat(session, r.doctor, check, reason=reason.value, note="see the notes")
        assert check.decision is Decision.REPEATED and check.repeat_reason is reason
        assert session.get(ServiceRequest, check.service_request_id).status == "active"
        rows, total = recognition.list_checks(session, r.regulator, repeat_reason=reason.value,
                                              institution_id=r.secondary)
        assert total == 1 and rows[0].id == check.id
        done[check.id] = reason
    shown = recognition.decisions_for_patient(session, patient)
    assert {c.id: c.repeat_reason for c in shown} == done
    fig = recognition_figures.figures(session, r.regulator, month=check.month, institution_id=r.secondary)
    assert fig["totals"]["repeats_by_reason"] == {reason.value: 1 for reason in RepeatReason}
    assert fig["totals"]["repeats"] == len(RepeatReason) and fig["totals"]["recognition_rate"] == 0


def test_repeating_a_recognisable_result_needs_a_reason_from_the_list(session, r):
    observation(session, _record(session, r.there), r.tertiary)
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
    with pytest.raises(InvalidInput) as missing:
        recognition.repeat(session, r.doctor, check, reason=None)
    assert missing.value.problems[0].rule == "required"
    with pytest.raises(InvalidInput) as unknown:
        recognition.repeat(session, r.doctor, check, reason="doctor_prefers")
    assert unknown.value.problems[0].rule == "repeat-reason"
    assert check.decision is Decision.PENDING


def test_with_nothing_recognisable_the_exam_is_simply_done(session, r):
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="CT-CHEST-PLAIN")
    recognition.repeat(session, r.doctor, check, reason=None)
    assert check.decision is Decision.NEW and check.repeat_reason is None


def test_imaging_reports_are_judged_with_the_item_window_and_the_scope_policy(session, r):
    ct = report(session, _record(session, r.there), r.tertiary, days_ago=20)
    assert recognition.check(session, r.doctor, patient_record_id=r.here,
                             item_code="CT-CHEST-PLAIN").candidates[0]["why"] == "higher-grade"
    recognition.set_policy(session, r.regulator, {"lower_accepts_higher": False})
    assert recognition.check(session, r.doctor, patient_record_id=r.here,
                             item_code="CT-CHEST-PLAIN").candidates[0]["why"] == "scope"
    item = recognition.item_by_code(session, "CT-CHEST-PLAIN")
    recognition.update_item(session, r.regulator, item, {"validity_days": 14})
    assert recognition.check(session, r.doctor, patient_record_id=r.here,
                             item_code="CT-CHEST-PLAIN").candidates[0]["why"] == "expired"
    assert ct.status == "final"


def test_a_withdrawn_accreditation_takes_away_the_hr_mark(session, r):
    observation(session, _record(session, r.there), r.tertiary)
    item = recognition.item_by_code(session, "2823-3")
    for row in recognition.list_accreditations(session, institution_id=r.tertiary, item_id=item.id):
        recognition.withdraw_accreditation(session, r.regulator, row)
    check = recognition.check(session, r.doctor, patient_record_id=r.here, item_code="2823-3")
    assert check.candidates[0]["why"] == "not-accredited"


def test_an_order_placed_without_a_look_up_while_a_result_was_recognisable_is_overlooked(session, r):
    observation(session, _record(session, r.there), r.tertiary)
    order_without_look_up(session, r)
    order_without_look_up(session, r, code="2951-2")  # no sodium result anywhere: not overlooked
    month = dt.datetime.now(recognition.region_tz()).strftime("%Y-%m")
    fig = recognition_figures.figures(session, r.regulator, month=month, institution_id=r.secondary)
    assert fig["totals"]["overlooked"] == 1
    assert [row["item_code"] for row in fig["rows"] if row["overlooked"]] == ["2823-3"]


def test_a_doctor_checks_only_for_their_own_institutions_patients(session, r):
    with pytest.raises(Forbidden):
        recognition.check(session, r.doctor, patient_record_id=r.there, item_code="2823-3")
    with pytest.raises(Forbidden):
        recognition_figures.figures(session, r.doctor, month="2026-06")
