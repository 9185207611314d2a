"""The risk rules on generated data: planted cases are found, clean data raises nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from scipy import stats

from medshare.risk import rules
from medshare.risk.rules import Commitment, RateUnit, WorkItem

T0 = dt.datetime(2031, 3, 3, 8, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def commitment(practitioner: int, site: int, start: float, end: float, ref: str) -> Commitment:
    return Commitment(practitioner, site, at(start), at(end), "booking", ref)


def test_a_practitioner_at_two_sites_at_once_is_found_with_both_commitments():
    found = rules.overlaps([commitment(1, 10, 0, 2, "a"), commitment(1, 20, 1.5, 3, "b"),
                            commitment(2, 10, 0, 2, "c"), commitment(2, 20, 2, 4, "d")])
    assert [(o.practitioner_id, o.first.ref, o.second.ref, o.minutes) for o in found] == [(1, "a", "b", 30.0)]
    assert found[0].fingerprint == "overlap:practitioner:1:a:b"


def test_two_rooms_of_one_site_and_back_to_back_sessions_are_no_overlap():
    assert rules.overlaps([commitment(1, 10, 0, 2, "a"), commitment(1, 10, 1, 3, "b"),
                           commitment(1, 20, 3, 4, "c")]) == []


def test_a_gap_shorter_than_the_travel_time_between_sites_counts():
    items = [commitment(1, 10, 0, 2, "a"), commitment(1, 20, 2.25, 3, "b")]
    assert rules.overlaps(items, travel_minutes=10) == []
    assert len(rules.overlaps(items, travel_minutes=30)) == 1


def test_a_long_commitment_overlapping_several_later_ones_is_paired_with_each():
    found = rules.overlaps([commitment(1, 10, 0, 8, "day"), commitment(1, 20, 1, 2, "x"),
                            commitment(1, 30, 3, 4, "y"), commitment(1, 10, 5, 6, "same-site")])
    assert {(o.first.ref, o.second.ref) for o in found} == {("day", "x"), ("day", "y")}


def clean_units(rng: random.Random, count: int = 60, mean: float = 0.1) -> list[RateUnit]:
    """Peers whose true rates spread around the mean (beta), each with its own volume."""
    units = []
    for i in range(count):
        trials = rng.randint(20, 300)
        rate = rng.betavariate(20 * mean / 0.1, 20 * (1 - mean) / 0.1)
        units.append(RateUnit(f"practitioner:{i}", sum(rng.random() < rate for _ in range(trials)), trials))
    return units


def test_clean_peers_with_ordinary_spread_raise_no_alert():
    # 10 independent regions of 60 peers each: at a 1% false-discovery rate none should fire.
    flagged = [f.key for seed in range(10) for f in rules.outlying_rates(clean_units(random.Random(seed)))
               if f.flagged]
    assert flagged == []


def test_planted_outliers_are_found_among_peers_and_nobody_else():
    rng = random.Random(7)
    units = [*clean_units(rng), RateUnit("practitioner:900", 40, 100), RateUnit("practitioner:901", 75, 250),
             RateUnit("practitioner:902", 18, 40)]
    found = {f.key: f for f in rules.outlying_rates(units)}
    assert {k for k, f in found.items() if f.flagged} == {"practitioner:900", "practitioner:901", "practitioner:902"}
    evidence = found["practitioner:900"].evidence()
    assert evidence["rate"] == 0.4 and evidence["q_value"] <= 0.01 and evidence["peer_rate"] < 0.15
    assert evidence["funnel_upper_998"] < 0.4


def test_a_high_rate_on_few_cases_is_not_judged():
    units = [*clean_units(random.Random(3)), RateUnit("practitioner:900", 5, 10)]
    assert "practitioner:900" not in {f.key for f in rules.outlying_rates(units)}


def test_a_rate_only_slightly_above_peers_is_not_an_alert_however_much_data():
    # Significant with 20,000 cases, but not "far above": the least ratio keeps it out.
    units = [*clean_units(random.Random(4)), RateUnit("institution:1", 2500, 20000)]
    finding = {f.key: f for f in rules.outlying_rates(units)}["institution:1"]
    assert not finding.flagged


def test_peer_groups_are_judged_apart():
    rng = random.Random(5)
    low = [RateUnit(u.key, u.events, u.trials, "lab") for u in clean_units(rng, mean=0.03)]
    high = [RateUnit(u.key + "h", u.events, u.trials, "imaging") for u in clean_units(rng, mean=0.2)]
    # 20% is ordinary for imaging and far out for lab work.
    planted = [RateUnit("practitioner:lab-outlier", 40, 200, "lab")]
    flagged = {f.key for f in rules.outlying_rates(low + high + planted) if f.flagged}
    assert flagged == {"practitioner:lab-outlier"}


def test_benjamini_hochberg_agrees_with_scipy():
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
    assert rules.benjamini_hochberg(p) == pytest.approx(list(stats.false_discovery_control(p)))


def day_of_work(practitioner: int, day: int, hours: float, per_hour: int = 2) -> list[WorkItem]:
    start = T0.replace(hour=1) + dt.timedelta(days=day)
    count = int(hours * per_hour)
    return [WorkItem(practitioner, start + dt.timedelta(minutes=i * 60 / per_hour), 60 / per_hour, "booking",
                     f"b{practitioner}-{day}-{i}") for i in range(count)]


def test_ordinary_working_days_are_plausible():
    rng = random.Random(1)
    items = [w for p in range(30) for d in range(20) for w in day_of_work(p, d, rng.uniform(2, 10))]
    assert rules.implausible_workloads(items) == []


def test_an_impossible_day_and_an_impossible_hour_are_found():
    items = day_of_work(1, 0, 18) + day_of_work(2, 0, 4)
    items += [WorkItem(3, at(1) + dt.timedelta(minutes=2 * i), 2, "report", f"r{i}") for i in range(25)]
    found = {w.practitioner_id: w for w in rules.implausible_workloads(items)}
    assert set(found) == {1, 3}
    assert found[1].minutes == 18 * 60 and "minutes of work" in found[1].reasons[0]
    assert found[3].peak_per_hour == 25 and "within one hour" in found[3].reasons[0]


def test_overlapping_items_count_their_time_once():
    items = [WorkItem(1, at(0), 600, "booking", "a"), WorkItem(1, at(1), 600, "booking", "b")]
    assert rules.implausible_workloads(items) == []  # 11 h, not 20 h
