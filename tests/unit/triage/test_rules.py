"""Triage levels at the thresholds' edges, on both tables, and properties that hold for any observations."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medshare.errors import InvalidInput
from medshare.triage import rules
from medshare.triage.rules import COMPLAINTS, Capability, CareLevel, Mobility, Vitals, assess

EDGES = [
    # (field, value at which the level changes, level at the value, level one step less severe)
    ("heart_rate", 181, 1, 180), ("heart_rate", 39, 1, 40), ("heart_rate", 150, 2, 149), ("heart_rate", 50, 2, 51),
    ("heart_rate", 121, 3, 120),
    ("systolic_bp", 69, 1, 70), ("systolic_bp", 80, 2, 81), ("systolic_bp", 201, 2, 200),
    ("systolic_bp", 181, 3, 180),
    ("spo2", 79, 1, 80), ("spo2", 89, 2, 90), ("spo2", 93, 3, 94),
    ("respiratory_rate", 36, 1, 35), ("respiratory_rate", 7, 1, 8), ("respiratory_rate", 31, 2, 30),
    ("respiratory_rate", 9, 2, 10), ("respiratory_rate", 25, 3, 24),
    ("temperature", 41.1, 1, 41.0), ("temperature", 40.0, 2, 39.9), ("temperature", 34.9, 2, 35.0),
    ("temperature", 39.0, 3, 38.9),
    ("gcs", 8, 1, 9), ("gcs", 12, 2, 13), ("gcs", 14, 3, 15),
    ("pain", 7, 2, 6), ("pain", 4, 3, 3),
]


def _level_of(field: str, value) -> int:
    return assess(Vitals(**{field: value})).level


@pytest.mark.parametrize(("field", "edge", "level", "inside"), EDGES)
def test_each_threshold_fires_its_level_exactly_at_its_edge(field, edge, level, inside):
    assert _level_of(field, edge) == level
    assert _level_of(field, inside) > level


def test_a_patient_with_normal_signs_is_non_urgent_and_goes_to_primary_care():
    result = assess(Vitals(heart_rate=80, respiratory_rate=16, systolic_bp=120, spo2=98, temperature=36.8,
                           avpu="A", gcs=15, pain=0))
    assert (result.level, result.level_name, result.max_wait_minutes) == (4, "non_urgent", 60)
    assert result.care is CareLevel.PRIMARY and not result.dispatch and result.fired == ()


def test_avpu_pain_or_unresponsive_is_dying_and_voice_is_critical():
    assert assess(Vitals(avpu="U")).level == 1
    assert assess(Vitals(avpu="P")).level == 1
    assert assess(Vitals(avpu="V")).level == 2
    assert assess(Vitals(avpu="A")).level == 4


def test_the_level_is_the_most_severe_criterion_and_every_fired_criterion_is_reported():
    result = assess(Vitals(heart_rate=130, spo2=85, pain=8))
    assert result.level == 2
    assert {f.code for f in result.fired} == {"hr_gt_120", "spo2_lt_90", "spo2_lt_94", "pain_ge_7", "pain_ge_4"}
    assert [f.level for f in result.fired] == sorted(f.level for f in result.fired)


def test_chest_pain_is_critical_and_needs_a_tertiary_centre_with_life_support():
    result = assess(Vitals(complaint="chest_pain", mobility=Mobility.SITS))
    assert result.level == 2 and result.needs_tertiary
    assert result.care is CareLevel.EMERGENCY_DEPARTMENT
    assert result.dispatch and result.capability is Capability.ALS  # never a partner car, even seated


def test_an_urgent_patient_who_can_sit_may_go_by_partner_car_but_one_who_lies_needs_an_ambulance():
    seated = assess(Vitals(pain=5, mobility=Mobility.SITS))
    lying = assess(Vitals(pain=5, mobility=Mobility.LIES))
    walking = assess(Vitals(pain=5))
    assert seated.level == lying.level == walking.level == 3
    assert seated.capability is Capability.SEATED and seated.dispatch
    assert lying.capability is Capability.BLS and lying.dispatch
    assert not walking.dispatch


def test_the_five_level_table_splits_the_least_urgent():
    assert assess(Vitals(), "cn5").level == 5
    assert assess(Vitals(pain=2), "cn5").level == 4
    assert assess(Vitals(complaint="fever"), "cn5").level == 4
    assert assess(Vitals(heart_rate=181), "cn5").level == 1
    assert rules.policy_of("cn5").spec(5).max_wait_minutes == 120


def test_implausible_values_are_refused_naming_each_field_and_rule():
    with pytest.raises(InvalidInput) as error:
        assess(Vitals(heart_rate=400, spo2=101, avpu="X", complaint="tired"))
    assert {(p.field, p.rule) for p in error.value.problems} == {
        ("heart_rate", "plausible-range"), ("spo2", "plausible-range"), ("avpu", "avpu"),
        ("complaint", "known-complaint")}


def test_an_unknown_table_is_refused():
    with pytest.raises(InvalidInput) as error:
        assess(Vitals(), "esi9")
    assert error.value.problems[0].rule == "known-policy"


vitals = st.builds(
    Vitals,
    heart_rate=st.none() | st.integers(0, 300), respiratory_rate=st.none() | st.integers(0, 80),
    systolic_bp=st.none() | st.integers(0, 300), spo2=st.none() | st.integers(0, 100),
    temperature=st.none() | st.floats(25.0, 45.0, allow_nan=False), avpu=st.none() | st.sampled_from("AVPU"),
    gcs=st.none() | st.integers(3, 15), pain=st.none() | st.integers(0, 10), complaint=st.sampled_from(COMPLAINTS),
    mobility=st.sampled_from(list(Mobility)))


@given(vitals, st.sampled_from(["cn4", "cn5"]))
def test_the_level_is_the_minimum_fired_level_or_the_floor(v, policy):
    result = assess(v, policy)
    table = rules.policy_of(policy)
    assert result.level == min([f.level for f in result.fired], default=table.floor)
    assert 1 <= result.level <= table.floor
    assert result.dispatch or result.level > 2  # levels I–II always get transport


@given(vitals, st.sampled_from(["heart_rate", "systolic_bp", "spo2", "gcs", "pain"]), st.integers(1, 60))
def test_worsening_one_sign_never_makes_a_patient_less_urgent(v, field, step):
    before = assess(v)
    current = getattr(v, field)
    if current is None:
        return
    low, high = rules.RANGES[field]
    if field == "pain":
        worse = min(high, current + step)
    elif field in ("spo2", "gcs"):
        worse = max(low, current - step)
    elif field == "heart_rate":  # away from the normal band, on the side it already is
        worse = min(high, current + step) if current >= 80 else max(low, current - step)
    else:
        worse = max(low, current - step) if current <= 120 else min(high, current + step)
    after = assess(dataclasses.replace(v, **{field: int(worse)}))
    assert after.level <= before.level


def test_a_seated_car_is_only_ever_recommended_for_a_level_the_table_allows():
    for policy in rules.POLICIES.values():
        for spec in policy.levels:
            capability = rules.required_capability(policy, spec.level, Mobility.SITS)
            assert (capability is Capability.SEATED) == (spec.level in policy.seated_levels)
