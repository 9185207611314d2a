"""Night care: the rota and its gaps, routing to the shortest queue, threads, escalation, commitments."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.care import nightcare, service, teleconsults
from medshare.care.schemas import EscalateIn, NightRequestIn, ShiftIn, TeleconsultIn
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.transport.models import TransportRequest
from tests import factories as f
from tests.integration.care.conftest import T0, principal

NIGHT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)  # 20:00 in the region
H = dt.timedelta(hours=1)


def shift(session, county, practitioner_id, start=NIGHT, hours=12, institution=None):
    return nightcare.add_shift(session, county.admin, ShiftIn(
        practitioner_id=practitioner_id, institution_id=institution or county.centre, starts_at=start,
        ends_at=start + hours * H))


def gps(session, county, n):
    return [f.make_practitioner(session, county.admin, county.centre, specialty="全科").id for _ in range(n)]


def test_gaps_are_flagged_before_the_night_and_close_when_covered(session, county):
    first, second = gps(session, county, 2)
    pediatrician = f.make_practitioner(session, county.admin, county.centre, specialty="儿科").id
    shift(session, county, first)
    gaps = nightcare.coverage_gaps(session, start=T0, days=1)
    assert {(g.specialty, g.on_duty, g.needed) for g in gaps} == {("全科", 1, 2), ("儿科", 0, 1)}
    assert all(g.starts_at == NIGHT and g.ends_at == NIGHT + 12 * H for g in gaps)
    shift(session, county, second, start=NIGHT + 4 * H, hours=8)
    shift(session, county, pediatrician)
    gaps = nightcare.coverage_gaps(session, start=T0, days=1)
    assert [(g.specialty, g.starts_at, g.ends_at) for g in gaps] == [("全科", NIGHT, NIGHT + 4 * H)]


def test_a_shift_is_at_a_practice_site_and_never_overlaps_another_commitment(session, county):
    (gp,) = gps(session, county, 1)
    with pytest.raises(InvalidInput) as error:
        shift(session, county, gp, institution=county.tertiary)
    assert error.value.problems[0].rule == "shift-at-practice-site"
    with pytest.raises(InvalidInput) as error:
        shift(session, county, gp, hours=20)
    assert error.value.problems[0].rule == "shift-length"
    tc = teleconsults.request_teleconsult(session, county.centre_doctor, TeleconsultIn(
        patient_record_id=county.patient, specialty="心内科", case_summary="x", urgency="emergency"), now=T0)
    with pytest.raises(Conflict) as error:
        nightcare.add_shift(session, county.admin, ShiftIn(practitioner_id=tc.specialist_id,
                                                           institution_id=county.tertiary
                                                           if tc.specialist_id == county.cardiologist
                                                           else county.far_tertiary,
                                                           starts_at=tc.starts_at - H, ends_at=tc.starts_at + H))
    assert error.value.problems[0].rule == "no-overlapping-commitments"
    on_call = shift(session, county, gp)
    kinds = [c[3] for c in service.practitioner_commitments(session, gp, NIGHT - H, NIGHT + H)]
    assert kinds == ["night_shift"]
    refs = {c.ref: c for c in service.risk_commitments(session, T0, NIGHT + 24 * H)}
    assert refs[f"night_shift:{on_call.id}"].site_id == county.centre
    assert refs[f"teleconsult:{tc.id}"].practitioner_id == tc.specialist_id
    with pytest.raises(Forbidden):
        nightcare.add_shift(session, county.county_admin, ShiftIn(practitioner_id=gp, institution_id=county.centre,
                                                                  starts_at=NIGHT + 24 * H, ends_at=NIGHT + 30 * H))


def test_requests_go_to_the_matching_specialty_with_the_shortest_queue(session, county):
    first, second = gps(session, county, 2)
    pediatrician = f.make_practitioner(session, county.admin, county.centre, specialty="儿科").id
    for doctor in (first, second, pediatrician):
        shift(session, county, doctor)
    patient = principal(session, Role.PATIENT, patient_record_id=county.patient)
    now = NIGHT + H

    def ask(specialty):
        return nightcare.create_request(session, patient, NightRequestIn(
            patient_record_id=county.patient, specialty=specialty, complaint="fever 39.2"), now=now)

    assert ask("儿科").practitioner_id == pediatrician
    routed = [ask("全科").practitioner_id for _ in range(4)]
    assert sorted(routed) == sorted([first, second, first, second])  # alternating as the queues grow
    assert ask("心内科").practitioner_id in (first, second)  # no cardiologist on: a generalist takes it


def test_a_request_waits_until_someone_is_on_duty(session, county):
    patient = principal(session, Role.PATIENT, patient_record_id=county.patient)
    request = nightcare.create_request(session, patient, NightRequestIn(
        patient_record_id=county.patient, complaint="chest tightness"), now=T0)
    assert request.status.value == "waiting"
    (gp,) = gps(session, county, 1)
    shift(session, county, gp)
    assert nightcare.route_waiting(session, now=NIGHT + H) >= 1
    assert request.practitioner_id == gp and request.status.value == "assigned"


def test_the_thread_the_doctor_and_escalation_to_transport(session, county):
    (gp,) = gps(session, county, 1)
    shift(session, county, gp)
    patient = principal(session, Role.PATIENT, patient_record_id=county.patient)
    doctor = principal(session, Role.PRACTITIONER, county.centre, gp)
    request = nightcare.create_request(session, patient, NightRequestIn(
        patient_record_id=county.patient, complaint="crushing chest pain 30 min"), now=NIGHT + H)
    nightcare.post_message(session, doctor, request, "Are you sweating? Call 120 if it worsens.", now=NIGHT + H)
    nightcare.post_message(session, patient, request, "Yes, sweating", now=NIGHT + H)
    stranger = principal(session, Role.PATIENT, patient_record_id=f.make_patient(session, county.admin,
                                                                                 county.centre).id)
    with pytest.raises(Forbidden):
        nightcare.post_message(session, stranger, request, "hello")
    with pytest.raises(Forbidden, match="night-request-escalate-by-doctor"):
        nightcare.escalate(session, county.centre_doctor, request, EscalateIn(reason="x"))
    nightcare.escalate(session, doctor, request, EscalateIn(reason="suspected ACS", severity=1), now=NIGHT + 2 * H)
    assert request.status.value == "escalated" and request.escalated_at == NIGHT + 2 * H
    trip = session.scalar(sa.select(TransportRequest).where(TransportRequest.source_ref
                                                            == f"night_request:{request.id}"))
    assert request.transport_ref == f"transport:{trip.id}"
    assert (trip.level, trip.source, trip.patient_record_id) == (1, "night_care", county.patient)
    assert [m.author_kind for m in request.messages] == ["patient", "doctor", "patient", "system"]
    with pytest.raises(Conflict) as error:
        nightcare.post_message(session, patient, request, "still waiting")
    assert error.value.problems[0].rule == "thread-open"


def test_cancelling_a_shift_routes_its_requests_again(session, county):
    first, second = gps(session, county, 2)
    one = shift(session, county, first)
    shift(session, county, second)
    patient = principal(session, Role.PATIENT, patient_record_id=county.patient)
    request = nightcare.create_request(session, patient, NightRequestIn(
        patient_record_id=county.patient, complaint="cough"), now=NIGHT + H)
    if request.practitioner_id != first:
        request.practitioner_id, request.shift_id = first, one.id
    nightcare.cancel_shift(session, county.centre_admin, one, now=NIGHT + H)
    assert request.practitioner_id == second and request.status.value == "assigned"
