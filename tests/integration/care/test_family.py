"""Family doctors: teams at primary care, contracts and renewal, follow-ups due and overdue, and the
referral criteria they feed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.care import family
from medshare.care.models import Contract, FollowUp
from medshare.care.schemas import ContractIn, FollowUpIn, RenewIn, TeamIn
from medshare.errors import Conflict, Forbidden, InvalidInput
from tests import factories as f
from tests.integration.care.conftest import T0


def contract_of(session, county) -> Contract:
    return session.scalar(sa.select(Contract).where(Contract.patient_record_id == county.patient))


def test_a_team_belongs_to_primary_care_and_its_members_practise_there(session, county):
    with pytest.raises(InvalidInput) as error:
        family.create_team(session, county.tertiary_admin, TeamIn(institution_id=county.tertiary, name="x",
                                                                  leader_id=county.cardiologist))
    assert error.value.problems[0].rule == "primary-care-team"
    with pytest.raises(InvalidInput) as error:
        family.create_team(session, county.centre_admin, TeamIn(institution_id=county.centre, name="x",
                                                                leader_id=county.gp, member_ids=[county.cardiologist]))
    assert error.value.problems[0].rule == "member-practises-here"
    with pytest.raises(Forbidden):
        family.create_team(session, county.county_admin, TeamIn(institution_id=county.centre, name="x",
                                                                leader_id=county.gp))


def test_a_resident_holds_one_active_contract_within_the_teams_capacity(session, county):
    with pytest.raises(Conflict) as error:
        family.create_contract(session, county.centre_admin, ContractIn(team_id=county.team,
                                                                        patient_record_id=county.patient))
    assert error.value.problems[0].rule == "one-active-contract"
    small = family.create_team(session, county.centre_admin, TeamIn(institution_id=county.centre, name="小队",
                                                                    leader_id=county.gp, capacity=1))
    first = f.make_patient(session, county.admin, county.centre)
    second = f.make_patient(session, county.admin, county.centre, name="赵敏")
    family.create_contract(session, county.centre_admin, ContractIn(team_id=small.id, patient_record_id=first.id))
    with pytest.raises(Conflict) as error:
        family.create_contract(session, county.centre_admin, ContractIn(team_id=small.id,
                                                                        patient_record_id=second.id))
    assert error.value.problems[0].rule == "team-capacity"
    with pytest.raises(InvalidInput) as error:
        family.create_contract(session, county.centre_admin, ContractIn(team_id=county.team, package="gold",
                                                                        patient_record_id=second.id))
    assert error.value.problems[0].rule == "known-package"


def test_a_contract_renews_only_in_its_last_sixty_days(session, county):
    contract = contract_of(session, county)
    assert (contract.starts_on, contract.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(Conflict) as error:
        family.renew_contract(session, county.centre_admin, contract, RenewIn(), today=dt.date(2026, 6, 1))
    assert error.value.problems[0].rule == "renewal-window"
    renewal = family.renew_contract(session, county.centre_admin, contract, RenewIn(months=24),
                                    today=dt.date(2026, 11, 15))
    assert (renewal.starts_on, renewal.ends_on, renewal.renewed_from_id) == (
        dt.date(2027, 1, 1), dt.date(2028, 12, 31), contract.id)
    assert contract.status.value == "renewed"
    pending = session.scalars(sa.select(FollowUp).where(FollowUp.done_at.is_(None),
                                                        FollowUp.contract_id == renewal.id)).all()
    assert pending  # the open follow-ups moved with the renewal


def test_the_panel_counts_follow_ups_due_and_overdue(session, county):
    contract = contract_of(session, county)
    first = session.scalar(sa.select(FollowUp).where(FollowUp.contract_id == contract.id))
    assert first.due_on == dt.date(2026, 4, 1)  # 90 days after the start, by the hypertension policy
    team = family.get_team(session, county.team)
    panel = family.panel(session, county.centre_doctor, team, today=dt.date(2026, 3, 25))
    assert (panel["contracts"], panel["due"], panel["overdue"]) == (1, 1, 0)
    panel = family.panel(session, county.centre_doctor, team, today=dt.date(2026, 5, 1), state="overdue")
    assert (panel["due"], panel["overdue"]) == (0, 1)
    assert panel["follow_ups"][0][2].value == "overdue"
    with pytest.raises(Forbidden):
        family.panel(session, county.tertiary_admin, team)


def test_two_uncontrolled_follow_ups_recommend_a_routine_up_referral(session, county):
    contract = contract_of(session, county)
    follow_up = session.scalar(sa.select(FollowUp).where(FollowUp.contract_id == contract.id))
    high = FollowUpIn(observations={"systolic_bp": 152, "diastolic_bp": 96}, controlled=False)
    _, assessment = family.record_follow_up(session, county.centre_doctor, follow_up, high, now=T0)
    assert assessment.direction is None
    nxt = session.scalar(sa.select(FollowUp).where(FollowUp.contract_id == contract.id,
                                                   FollowUp.done_at.is_(None)))
    assert nxt.due_on == (T0 + dt.timedelta(days=90)).date()
    _, assessment = family.record_follow_up(session, county.centre_doctor, nxt, high,
                                            now=T0 + dt.timedelta(days=90))
    assert (assessment.direction.value, assessment.urgency.value) == ("up", "routine")
    assert "htn-up-uncontrolled" in assessment.codes
    with pytest.raises(Conflict):
        family.record_follow_up(session, county.centre_doctor, nxt, high, now=T0)
