"""The pure rules of tiered care: pathway, criteria at their edges, ranking, timers, rota gaps, routing."""

from __future__ import annotations

import datetime as dt

import pytest

from medshare.care import rules
from medshare.care.rules import Direction, ReferralStatus, Urgency
from medshare.errors import Conflict, InvalidInput

HTN = next(p for p in rules.DEFAULT_POLICIES if p.code == "hypertension")
T0 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def test_the_pathway_runs_from_draft_to_down_referral():
    status = ReferralStatus.DRAFT
    for action, expected in [("send", "sent"), ("accept", "accepted"), ("arrive", "arrived"),
                             ("complete", "completed"), ("down_refer", "down_referred")]:
        status = rules.next_status(status, action)
        assert status.value == expected
    assert rules.next_status(ReferralStatus.SENT, "decline") is ReferralStatus.DECLINED


@pytest.mark.parametrize(("status", "action"), [
    ("draft", "accept"), ("draft", "arrive"), ("sent", "complete"), ("accepted", "decline"),
    ("declined", "accept"), ("completed", "send"), ("down_referred", "cancel"), ("arrived", "cancel"),
    ("cancelled", "send"), ("sent", "down_refer")])
def test_a_refused_transition_names_its_rule(status, action):
    with pytest.raises(Conflict) as error:
        rules.next_status(ReferralStatus(status), action)
    assert error.value.problems[0].rule == f"referral-{action.replace('_', '-')}-from"
    assert status in error.value.message


def test_an_unknown_action_is_invalid_input():
    with pytest.raises(InvalidInput):
        rules.next_status(ReferralStatus.DRAFT, "teleport")


@pytest.mark.parametrize(("obs", "urgency"), [
    ({"systolic_bp": 180, "diastolic_bp": 100, "severe_headache": True}, Urgency.EMERGENCY),
    ({"systolic_bp": 170, "diastolic_bp": 110, "neurological_signs": True}, Urgency.EMERGENCY),
    ({"systolic_bp": 182, "diastolic_bp": 95, "chest_pain": True}, Urgency.EMERGENCY),
    ({"systolic_bp": 179, "diastolic_bp": 109, "severe_headache": True}, None),
    ({"systolic_bp": 200, "diastolic_bp": 120}, None),  # very high but no accompanying sign
    ({"systolic_bp": 150, "diastolic_bp": 95, "uncontrolled_follow_ups": 2}, Urgency.ROUTINE),
    ({"systolic_bp": 150, "diastolic_bp": 95, "uncontrolled_follow_ups": 1}, None),
])
def test_hypertension_up_referral_criteria_at_their_edges(obs, urgency):
    result = rules.assess(HTN, obs)
    assert result.urgency is urgency
    assert result.direction is (Direction.UP if urgency else None)


def test_up_referral_wins_and_stable_patients_go_down():
    stable = {"diagnosis_clear": True, "plan_clear": True, "stable": True}
    assert rules.assess(HTN, stable).direction is Direction.DOWN
    assert rules.assess(HTN, {**stable, "plan_clear": False}).direction is None
    both = rules.assess(HTN, {**stable, "uncontrolled_follow_ups": 3})
    assert both.direction is Direction.UP and "htn-down-stable" in both.codes


def test_every_default_condition_has_emergency_routine_and_down_criteria():
    assert len(rules.DEFAULT_POLICIES) == 7
    for policy in rules.DEFAULT_POLICIES:
        kinds = {(c.direction, c.urgency) for c in policy.criteria}
        assert (Direction.UP, Urgency.EMERGENCY) in kinds and (Direction.DOWN, Urgency.ROUTINE) in kinds
        assert rules.ConditionPolicy.from_dict(policy.as_dict()) == policy


@pytest.mark.parametrize(("code", "obs"), [
    ("diabetes", {"glucose_mmol_l": 16.7, "ketosis": True}), ("diabetes", {"glucose_mmol_l": 3.9,
                                                                           "impaired_consciousness": True}),
    ("copd", {"spo2": 89}), ("chd", {"chest_pain_minutes": 20}), ("stroke", {"neurological_signs": True}),
    ("ckd", {"potassium_mmol_l": 6.0}), ("severe_mental_disorder", {"risk_level": 3})])
def test_each_conditions_emergency_criterion_fires_at_its_threshold(code, obs):
    policy = next(p for p in rules.DEFAULT_POLICIES if p.code == code)
    assert rules.assess(policy, obs).urgency is Urgency.EMERGENCY


def test_a_malformed_policy_names_the_broken_test():
    data = HTN.as_dict()
    data["criteria"][0]["test"] = {"field": "systolic_bp", "op": "≈", "value": 1}
    with pytest.raises(InvalidInput) as error:
        rules.ConditionPolicy.from_dict(data)
    assert error.value.problems[0].field == "criteria[0].test"


def _cand(i, *, level=3, specialists=3, equipment=("DSA",), open_=0, slot=None, km=10.0, community=False):
    return rules.Candidate(i, level, specialists, frozenset(equipment), open_, slot, km, community, True)


def test_targets_rank_by_capability_then_capacity_distance_and_community():
    ranked = rules.rank_targets(
        [_cand(1, equipment=()), _cand(2), _cand(3, km=60), _cand(4, level=1), _cand(5, specialists=0),
         _cand(6, open_=30), _cand(7, community=True)],
        direction=Direction.UP, from_level=1, specialty_needed=True, equipment=["DSA"])
    order = [s.institution_id for s in ranked]
    assert 4 not in order and 5 not in order  # not a higher level; no specialist
    assert order[0] == 7  # the sender's own medical community
    assert order.index(2) < order.index(1)  # has the equipment
    assert order.index(2) < order.index(6)  # less loaded
    assert order.index(2) < order.index(3)  # nearer


def test_down_referral_targets_are_lower_levels():
    ranked = rules.rank_targets([_cand(1, level=3), _cand(2, level=1), _cand(3, level=0, km=2)],
                                direction=Direction.DOWN, from_level=3, specialty_needed=False, equipment=[])
    assert [s.institution_id for s in ranked] == [3, 2]


def test_escalation_counts_each_limit_run_out():
    limit = rules.ANSWER_LIMITS[Urgency.EMERGENCY]
    assert rules.escalation_level(T0, limit, T0 + limit - dt.timedelta(seconds=1)) == 0
    assert rules.escalation_level(T0, limit, T0 + limit) == 1
    assert rules.escalation_level(T0, limit, T0 + 2 * limit + dt.timedelta(minutes=1)) == 2


def test_coverage_gaps_find_the_uncovered_stretches():
    night = (T0, T0 + dt.timedelta(hours=12))
    h = dt.timedelta(hours=1)
    shifts = [("全科", T0, T0 + 12 * h), ("全科", T0 + 4 * h, T0 + 12 * h), ("儿科", T0 + 2 * h, T0 + 12 * h)]
    gaps = rules.coverage_gaps(shifts, {"全科": 2, "儿科": 1}, [night])
    assert [(g.specialty, g.starts_at, g.ends_at, g.on_duty) for g in gaps] == [
        ("儿科", T0, T0 + 2 * h, 0), ("全科", T0, T0 + 4 * h, 1)]
    assert rules.coverage_gaps([*shifts, ("全科", T0, T0 + 4 * h), ("儿科", T0, T0 + 2 * h)],
                               {"全科": 2, "儿科": 1}, [night]) == []


def test_routing_takes_the_matching_specialty_with_the_shortest_queue():
    end = T0 + dt.timedelta(hours=8)
    duty = [rules.OnDuty(1, 11, "儿科", 3, end), rules.OnDuty(2, 12, "儿科", 1, end),
            rules.OnDuty(3, 13, "全科", 0, end)]
    assert rules.route(duty, "儿科").practitioner_id == 2
    assert rules.route(duty, "心内科").practitioner_id == 3  # no cardiologist on: the generalist
    assert rules.route([], "儿科") is None


def test_specialist_assignment_balances_load_and_availability():
    busy = ((T0, T0 + dt.timedelta(hours=2)),)
    pool = [rules.Specialist(1, 10, 2, (), 1), rules.Specialist(2, 20, 0, busy, 1),
            rules.Specialist(3, 30, 0, (), 0)]
    chosen, start = rules.assign_specialist(pool, T0, T0 + dt.timedelta(days=1))
    assert chosen.practitioner_id == 3 and start == T0  # least loaded, free now
    chosen, start = rules.assign_specialist(pool[:2], T0, T0 + dt.timedelta(days=1))
    assert chosen.practitioner_id == 2 and start == T0 + dt.timedelta(hours=2)  # less loaded, after its session
    assert rules.assign_specialist([pool[1]], T0, T0 + dt.timedelta(hours=1)) is None


def test_contract_terms_end_the_day_before_the_anniversary():
    assert rules.contract_end(dt.date(2026, 3, 1), 12) == dt.date(2027, 2, 28)
    assert rules.contract_end(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert rules.follow_up_state(dt.date(2026, 1, 1), False, dt.date(2026, 1, 2)) is rules.FollowUpState.OVERDUE
    assert rules.follow_up_state(dt.date(2026, 1, 10), False, dt.date(2026, 1, 2)) is rules.FollowUpState.DUE
