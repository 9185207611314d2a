"""The scheduling solver: a hand-checked optimum, the baselines, and properties of every plan."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medshare.optim import scheduling as opt

COSTS = opt.Costs(wait_per_day=(2000, 500, 100), late_per_day=(10**6, 10**5, 1000), late_once=(10**7, 10**7, 0),
                  travel_per_km=5.0,
                  unassigned=(10**9, 10**9, 10**8), not_own_hospital=50)
EMERGENCY, URGENT, ROUTINE = 0, 1, 2


def instance(requests: list[dict], assets: list[dict], capacity, groups: int = 1) -> opt.Instance:
    """An instance from readable rows (defaults: MRI, no capabilities, today, 30 km, open to all)."""
    r = [{"xy": (0.0, 0.0), "modality": 0, "caps": 0, "cls": ROUTINE, "created": 0, "earliest": 0, "due": 13,
          "km": 30.0, "group": 0, "home": 0, "own_first": False, "owner": -1} | row for row in requests]
    a = [{"xy": (0.0, 0.0), "modality": 0, "caps": 0, "owner": 0} | row for row in assets]
    return opt.Instance(
        req_xy=np.array([x["xy"] for x in r], float).reshape(-1, 2),
        req_modality=np.array([x["modality"] for x in r]), req_caps=np.array([x["caps"] for x in r], np.int64),
        req_class=np.array([x["cls"] for x in r]), req_created=np.array([x["created"] for x in r]),
        req_earliest=np.array([x["earliest"] for x in r]), req_due=np.array([x["due"] for x in r]),
        req_max_km=np.array([x["km"] for x in r], float), req_group=np.array([x["group"] for x in r]),
        req_home=np.array([x["home"] for x in r]), req_own_first=np.array([x["own_first"] for x in r]),
        req_owner=np.array([x["owner"] for x in r]),
        asset_xy=np.array([x["xy"] for x in a], float).reshape(-1, 2),
        asset_modality=np.array([x["modality"] for x in a]), asset_caps=np.array([x["caps"] for x in a], np.int64),
        asset_owner=np.array([x["owner"] for x in a]), capacity=np.asarray(capacity, np.int64),
        may_book=np.ones((groups, len(a)), bool))


def hand_instance() -> opt.Instance:
    """Asset A (owner 0) at the patients' door, one slot today and tomorrow; asset B (owner 1) 12 km away,
    one slot today; a DR with no free slot. Arrival order: routine r1, routine r2 (prefers its own hospital,
    A), an emergency that may travel only 5 km, a CT nobody offers, and a DR."""
    return instance(
        requests=[{"cls": ROUTINE}, {"cls": ROUTINE, "own_first": True}, {"cls": EMERGENCY, "due": 1, "km": 5.0},
                  {"modality": 1}, {"modality": 2}],
        assets=[{"xy": (0.0, 0.0), "owner": 0}, {"xy": (12.0, 0.0), "owner": 1}, {"modality": 2}],
        capacity=[[1, 1], [1, 0], [0, 0]])


def test_the_optimum_of_a_small_instance_is_the_one_worked_out_by_hand():
    # The emergency can only reach A and must go today (0); r2 then takes A tomorrow (one routine day,
    # 100) rather than B (60 of travel plus 50 for leaving its own hospital); r1 goes to B (60). The
    # DR finds no slot left; the CT has no machine at all.
    inst = hand_instance()
    plan = opt.solve(inst, COSTS)
    assert plan.asset.tolist() == [1, 0, 0, -1, -1]
    assert plan.day.tolist() == [0, 1, 0, -1, -1]
    assert plan.objective == 60 + 100 + 0 + 10**8 + 10**8
    assert opt.objective(inst, COSTS, plan) == plan.objective
    assert plan.reason.tolist() == [0, 0, 0, opt.NO_MATCHING_ASSET, opt.NO_CAPACITY]


def test_greedy_serves_in_arrival_order_and_the_emergency_pays_for_it():
    inst = hand_instance()
    plan = opt.greedy(inst, opt.candidates(inst))
    # r1 takes A today, r2 B today (the earliest day wins), the emergency is left A tomorrow.
    assert plan.asset.tolist()[:3] == [0, 1, 0]
    assert plan.day.tolist()[:3] == [0, 0, 1]
    assert opt.objective(inst, COSTS, plan) > opt.solve(inst, COSTS).objective


def test_home_only_waits_for_the_own_hospital():
    inst = hand_instance()
    plan = opt.home_only(inst)
    # Every request's home is A: three MRIs for its two slots, in arrival order.
    assert plan.asset.tolist() == [0, 0, -1, -1, -1]
    assert plan.day.tolist() == [0, 1, -1, -1, -1]


def test_the_most_urgent_take_the_earliest_slots_of_a_day():
    plan = opt.Plan(asset=np.array([0, 0, 0, 1, -1]), day=np.array([2, 2, 2, 2, -1]), km=np.zeros(5),
                    reason=np.zeros(5, np.int8))
    ranks = opt.ranks_within_day(plan, priority=np.array([5, 1, 3, 9, 0]))
    assert ranks.tolist() == [2, 0, 1, 0, -1]


def test_an_urgent_request_is_in_time_whenever_capacity_allows():
    # One slot today, one in three days: the urgent request (due tomorrow) arrives last but gets today.
    inst = instance([{"cls": ROUTINE}, {"cls": URGENT, "due": 1}], [{}], capacity=[[1, 0, 0, 1]])
    plan = opt.solve(inst, COSTS)
    assert plan.day.tolist() == [3, 0]
    assert opt.solve(inst, COSTS, hard_due=True).assigned.tolist() == [True, True]


@st.composite
def instances(draw) -> opt.Instance:
    n, m, days, groups = (draw(st.integers(1, 25)), draw(st.integers(1, 8)), draw(st.integers(1, 5)),
                          draw(st.integers(1, 3)))
    ints = lambda lo, hi, size: np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)))  # noqa: E731
    floats = lambda lo, hi, size: np.array(draw(st.lists(st.floats(lo, hi), min_size=size, max_size=size)))  # noqa: E731
    created = ints(-2, 0, n)
    cls = ints(0, 2, n)
    return opt.Instance(
        req_xy=floats(0, 40, 2 * n).reshape(n, 2), req_modality=ints(0, 1, n), req_caps=ints(0, 3, n),
        req_class=cls, req_created=created, req_earliest=ints(0, days, n),
        req_due=created + np.array([1, 3, 14])[cls], req_max_km=floats(5, 40, n), req_group=ints(0, groups - 1, n),
        req_home=ints(0, 3, n), req_own_first=np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        req_owner=ints(-1, 3, n), asset_xy=floats(0, 40, 2 * m).reshape(m, 2), asset_modality=ints(0, 1, m),
        asset_caps=ints(0, 3, m), asset_owner=ints(0, 3, m), capacity=ints(0, 3, m * days).reshape(m, days),
        may_book=np.array(draw(st.lists(st.booleans(), min_size=groups * m, max_size=groups * m))).reshape(groups, m))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_no_plan_breaks_capacity_policy_capabilities_or_travel_limits(inst):
    cand = opt.candidates(inst, k=4)
    for plan in (opt.solve(inst, COSTS, cand), opt.greedy(inst, cand)):
        r = np.flatnonzero(plan.assigned)
        a, d = plan.asset[r], plan.day[r]
        used = np.zeros_like(inst.capacity)
        np.add.at(used, (a, d), 1)
        assert (used <= inst.capacity).all()
        assert (inst.asset_modality[a] == inst.req_modality[r]).all()
        assert ((inst.asset_caps[a] & inst.req_caps[r]) == inst.req_caps[r]).all()
        assert inst.may_book[inst.req_group[r], a].all()
        assert (np.hypot(*(inst.req_xy[r] - inst.asset_xy[a]).T) <= inst.req_max_km[r] + 1e-9).all()
        assert ((d >= inst.req_earliest[r]) & (d < inst.days)).all()
        assert (plan.reason[r] == opt.ASSIGNED).all() and (plan.reason[~plan.assigned] != opt.ASSIGNED).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_optimum_is_never_worse_than_greedy_and_leaves_out_only_what_cannot_fit(inst):
    cand = opt.candidates(inst, k=4)
    plan = opt.solve(inst, COSTS, cand)
    greedy = opt.greedy(inst, cand)
    assert plan.objective == opt.objective(inst, COSTS, plan)
    assert plan.objective <= opt.objective(inst, COSTS, greedy)
    assert plan.assigned.sum() >= greedy.assigned.sum()
    # An unassigned request with candidates has no free capacity left on any of them from its earliest day.
    used = np.zeros_like(inst.capacity)
    np.add.at(used, (plan.asset[plan.assigned], plan.day[plan.assigned]), 1)
    bounds = cand.bounds(inst.n)
    for r in np.flatnonzero(~plan.assigned):
        mine = cand.asset[bounds[r]:bounds[r + 1]]
        assert not (inst.capacity[mine, inst.req_earliest[r]:] - used[mine, inst.req_earliest[r]:] > 0).any()
