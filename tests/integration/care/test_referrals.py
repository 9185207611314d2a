"""Referrals on a real database: the whole pathway, refused steps, suggestions, timers, figures, hand-back."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.audit.models import AuditEvent
from medshare.care import referrals
from medshare.care.models import FollowUp, Referral
from medshare.care.schemas import CarePlanIn, ReferralIn, ReferralPatch
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.identity.models import PersonLink
from medshare.records import access
from tests.integration.care.conftest import T0

CRISIS = {"systolic_bp": 186, "diastolic_bp": 112, "severe_headache": True}
MIN = dt.timedelta(minutes=1)


def draft(session, county, **extra):
    values = {"patient_record_id": county.patient, "condition": "hypertension", "observations": CRISIS,
              "to_institution_id": county.tertiary, "summary": "BP 186/112, headache",
              "attachments": ["DiagnosticReport/1"]} | extra
    return referrals.create_referral(session, county.centre_doctor, ReferralIn(**values), now=T0)


def test_a_referral_runs_the_whole_pathway_and_hands_back_a_care_plan(session, county):
    referral = draft(session, county)
    assert (referral.direction.value, referral.urgency.value) == ("up", "emergency")  # from the criteria
    assert referral.criteria_met == ["htn-up-emergency"] and referral.to_specialty == "心内科"
    receiver = county.tertiary_doctor
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    assert referral.answer_due_at == T0 + dt.timedelta(minutes=30)
    referrals.transition(session, receiver, referral, "accept", now=T0 + 10 * MIN)
    referrals.transition(session, receiver, referral, "arrive", now=T0 + 90 * MIN)
    referrals.transition(session, receiver, referral, "complete", now=T0 + dt.timedelta(days=6))
    referrals.down_refer(session, receiver, referral, CarePlanIn(
        summary="amlodipine 5 mg; home BP twice daily", medications=["amlodipine 5 mg qd"], follow_up_days=14),
        now=T0 + dt.timedelta(days=7))
    assert referral.status.value == "down_referred"
    assert referral.primary_team_id == county.team  # the patient's contracted team, found by itself
    assert [e.action for e in referral.events] == ["create", "send", "accept", "arrive", "complete", "down_refer"]
    follow_up = session.scalar(sa.select(FollowUp).where(FollowUp.source_referral_id == referral.id))
    assert follow_up.due_on == (T0 + dt.timedelta(days=21)).date()
    audited = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "referral",
                                                                 AuditEvent.object_id == str(referral.id))).all()
    assert {"referral.send", "referral.accept", "referral.down_refer"} <= set(audited)


def test_decline_needs_a_reason_and_ends_the_pathway(session, county):
    referral = draft(session, county)
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    with pytest.raises(InvalidInput) as error:
        referrals.transition(session, county.tertiary_admin, referral, "decline", reason=" ", now=T0)
    assert error.value.problems[0].rule == "referral-decline-reason"
    assert referral.status.value == "sent"
    referrals.transition(session, county.tertiary_admin, referral, "decline", reason="no bed in CCU", now=T0)
    assert (referral.status.value, referral.decline_reason) == ("declined", "no bed in CCU")
    with pytest.raises(Conflict) as error:
        referrals.transition(session, county.tertiary_admin, referral, "accept", now=T0)
    assert error.value.problems[0].rule == "referral-accept-from"


def test_each_side_may_take_only_its_own_steps(session, county):
    referral = draft(session, county)
    with pytest.raises(Forbidden, match="referral-send-by-sender"):
        referrals.transition(session, county.tertiary_doctor, referral, "send", now=T0)
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    with pytest.raises(Forbidden, match="referral-accept-by-receiver"):
        referrals.transition(session, county.centre_doctor, referral, "accept", now=T0)
    with pytest.raises(Forbidden):  # a third institution is no party at all
        referrals.transition(session, county.county_admin, referral, "accept", now=T0)
    with pytest.raises(Forbidden):
        referrals.read_referral(session, county.county_admin, referral.id, now=T0)
    assert referral.status.value == "sent"


@pytest.mark.parametrize(("action", "rule"), [("arrive", "referral-arrive-from"),
                                              ("complete", "referral-complete-from"),
                                              ("accept", "referral-accept-from")])
def test_steps_out_of_order_are_refused_and_change_nothing(session, county, action, rule):
    referral = draft(session, county)
    with pytest.raises(Conflict) as error:
        referrals.transition(session, county.tertiary_admin, referral, action, now=T0)
    assert error.value.problems[0].rule == rule
    assert referral.status.value == "draft" and len(referral.events) == 1


def test_down_referral_needs_a_completed_referral_and_a_plan(session, county):
    referral = draft(session, county)
    with pytest.raises(Conflict, match="completed"):
        referrals.down_refer(session, county.tertiary_admin, referral, CarePlanIn(summary="x"), now=T0)
    for actor, action in [(county.centre_doctor, "send"), (county.tertiary_admin, "accept"),
                          (county.tertiary_admin, "arrive"), (county.tertiary_admin, "complete")]:
        referrals.transition(session, actor, referral, action, now=T0)
    with pytest.raises(InvalidInput) as error:
        referrals.down_refer(session, county.tertiary_admin, referral, CarePlanIn(summary=""), now=T0)
    assert error.value.problems[0].rule == "care-plan-required"
    with pytest.raises(InvalidInput) as error:
        referrals.down_refer(session, county.tertiary_admin, referral, CarePlanIn(summary="ok", primary_team_id=10**9),
                             now=T0)
    assert error.value.problems[0].field == "primary_team_id"
    assert referral.status.value == "completed"


def test_an_up_referral_must_go_up_and_a_draft_needs_a_target(session, county):
    referral = draft(session, county, to_institution_id=None)
    with pytest.raises(InvalidInput) as error:
        referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    assert error.value.problems[0].rule == "referral-send-target"
    referrals.update_referral(session, county.centre_doctor, referral,
                              ReferralPatch(to_institution_id=county.village), now=T0)
    with pytest.raises(InvalidInput) as error:
        referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    assert error.value.problems[0].rule == "up-referral-higher-level"
    assert referral.status.value == "draft"


def test_an_unknown_condition_is_refused_naming_the_known_ones(session, county):
    with pytest.raises(InvalidInput) as error:
        draft(session, county, condition="gout")
    assert error.value.problems[0].rule == "known-condition" and "hypertension" in error.value.message


def test_suggestions_follow_the_criteria_specialty_level_distance_and_community(session, county):
    referral = draft(session, county, to_institution_id=None)
    ranked = referrals.suggest_targets(session, county.centre_doctor, referral, now=T0)
    ids = [s.institution_id for s, _name in ranked]
    # Both tertiary hospitals have cardiologists; the county hospital and the village clinic have none.
    assert ids == [county.tertiary, county.far_tertiary]
    best, name = ranked[0]
    assert best.same_community and "same-community" in best.reasons and name
    assert ranked[1][0].distance_km > 100


def test_an_unanswered_referral_escalates_after_its_limit_once_per_limit(session, county):
    referral = draft(session, county)
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    assert referrals.check_timers(session, now=T0 + 29 * MIN) == []
    assert referrals.check_timers(session, now=T0 + 30 * MIN) == [referral]
    assert referrals.check_timers(session, now=T0 + 31 * MIN) == []  # once per limit
    # Reading it later checks its timer lazily.
    read = referrals.read_referral(session, county.tertiary_admin, referral.id, now=T0 + 61 * MIN)
    assert read.escalation_level == 2 and read.escalated_at == T0 + 61 * MIN
    rows, _ = referrals.list_referrals(session, county.tertiary_admin, box="inbox", escalated=True,
                                           now=T0 + 62 * MIN)
    assert referral in rows
    referrals.transition(session, county.tertiary_admin, referral, "accept", now=T0 + 63 * MIN)
    assert referrals.check_timers(session, now=T0 + dt.timedelta(days=1)) == []  # answered: no more


def test_inbox_and_outbox_are_each_institutions_own(session, county):
    referral = draft(session, county)
    outbox, _ = referrals.list_referrals(session, county.centre_admin, box="outbox", now=T0)
    inbox, _ = referrals.list_referrals(session, county.tertiary_admin, box="inbox", now=T0)
    assert referral in outbox and referral not in inbox  # a draft is not received yet
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    inbox, _ = referrals.list_referrals(session, county.tertiary_admin, box="inbox", now=T0)
    other, _ = referrals.list_referrals(session, county.county_admin, box="inbox", now=T0)
    assert referral in inbox and referral not in other


def test_figures_count_up_down_time_to_accept_and_the_county_share(session, county):
    start = T0 - dt.timedelta(days=1)
    for target, accept_after in [(county.tertiary, 2), (county.far_tertiary, 6)]:
        referral = draft(session, county, to_institution_id=target)
        referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
        receiver = county.tertiary_admin if target == county.tertiary else county.admin
        referrals.transition(session, receiver, referral, "accept", now=T0 + dt.timedelta(hours=accept_after))
        referrals.transition(session, receiver, referral, "arrive", now=T0 + dt.timedelta(hours=8))
    done = session.scalars(sa.select(Referral).where(Referral.to_institution_id == county.tertiary)).all()[-1]
    referrals.transition(session, county.tertiary_admin, done, "complete", now=T0 + dt.timedelta(days=2))
    referrals.down_refer(session, county.tertiary_admin, done, CarePlanIn(summary="stable"),
                         now=T0 + dt.timedelta(days=3))
    figures = referrals.figures(session, county.centre_admin, start=start, end=T0 + dt.timedelta(days=5))
    assert (figures["up"], figures["down"], figures["down_per_up"]) == (2, 1, 0.5)
    assert figures["time_to_accept_hours_median"] == 4.0
    assert (figures["treated"], figures["treated_within_county"], figures["share_within_county"]) == (2, 1, 0.5)
    with pytest.raises(Forbidden):
        referrals.figures(session, county.centre_admin, start=start, end=T0, institution_id=county.tertiary)


def test_the_receiver_reads_the_attached_records_only_while_the_referral_is_live(session, county):
    person = session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == county.patient))
    receiver = access.CareActor(county.tertiary, county.cardiologist)
    referral = draft(session, county)
    assert access.care_relationship(session, receiver, person, at=T0) is None  # a draft opens nothing
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    assert access.care_relationship(session, receiver, person, at=T0) == "referral"
    assert access.care_relationship(session, access.CareActor(county.county), person, at=T0) is None
    for action in ("accept", "arrive"):
        referrals.transition(session, county.tertiary_admin, referral, action, now=T0)
        assert access.care_relationship(session, receiver, person, at=T0) == "referral"
    referrals.transition(session, county.tertiary_admin, referral, "complete", now=T0)
    assert access.care_relationship(session, receiver, person, at=T0) is None  # over: closed again
