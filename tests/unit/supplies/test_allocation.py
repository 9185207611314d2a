"""The allocation optimiser on instances small enough to check by hand, and its invariants on generated ones."""

from __future__ import annotations

import numpy as np
import pytest

from medshare.bench.allocation import CASES, generate
from medshare.optim import allocation as opt


def instance(*, requests, pools=(), caps=(), subs=(), horizon=3, subs_ok=None, max_km=60.0) -> opt.Instance:
    """requests: (item, qty, class, need_by, x); pools: (x, item, qty, day); caps: (x, item, daily, lead)."""
    def col(rows, i, dtype):
        return np.array([r[i] for r in rows], dtype=dtype)

    sources = sorted({p[0] for p in pools} | {c[0] for c in caps})
    src = {x: n for n, x in enumerate(sources)}
    return opt.Instance(
        n_items=3, n_classes=4, horizon=horizon,
        req_item=col(requests, 0, np.int64), req_qty=col(requests, 1, float), req_class=col(requests, 2, np.int64),
        req_need_by=col(requests, 3, np.int64), req_site=np.arange(len(requests)),
        req_order=np.arange(len(requests)),
        site_xy=np.array([[r[4], 0.0] for r in requests]).reshape(-1, 2),
        src_xy=np.array([[x, 0.0] for x in sources]).reshape(-1, 2),
        pool_src=np.array([src[p[0]] for p in pools], np.int64), pool_item=col(pools, 1, np.int64),
        pool_qty=col(pools, 2, float), pool_day=col(pools, 3, np.int64),
        cap_src=np.array([src[c[0]] for c in caps], np.int64), cap_item=col(caps, 1, np.int64),
        cap_daily=col(caps, 2, float), cap_lead=col(caps, 3, np.int64),
        sub_item=col(subs, 0, np.int64), sub_with=col(subs, 1, np.int64), sub_ratio=col(subs, 2, float),
        req_subs_ok=None if subs_ok is None else np.array(subs_ok, bool), max_km=max_km)


def test_the_optimum_of_a_small_case_is_the_one_worked_out_by_hand():
    # 150 units for 200 asked. Critical care (R0) first: all 80. The 70 left go to the two fever clinics at an
    # equal fill rate: 40 of 80 and 30 of 60 (both 50%). Cheapest way: R0 from S0 (1 km), R1 from S1 (1 km),
    # R2 the rest, 20 from S0 and 10 from S1 (5 km each): 80 + 40 + 150 = 270 unit-km.
    inst = instance(requests=[(0, 80, 0, 0, 1.0), (0, 80, 1, 0, 9.0), (0, 60, 1, 0, 5.0)],
                    pools=[(0.0, 0, 100, 0), (10.0, 0, 50, 0)])
    result = opt.optimise(inst)
    assert result.covered.tolist() == [80, 40, 30]
    assert result.transport_cost() == pytest.approx(270)
    assert result.bound.tolist() == [opt.FILLED, opt.PRIORITY, opt.PRIORITY]
    figures = result.class_figures(inst)
    assert figures[0]["min_fill"] == 1.0 and figures[1]["min_fill"] == 0.5


def test_first_come_first_served_and_proportional_serve_the_same_case_worse_for_critical_care():
    inst = instance(requests=[(0, 80, 1, 0, 9.0), (0, 60, 1, 0, 5.0), (0, 80, 0, 0, 1.0)],
                    pools=[(0.0, 0, 100, 0), (10.0, 0, 50, 0)])
    fcfs = opt.first_come_first_served(inst)
    prop = opt.proportional(inst)
    best = opt.optimise(inst)
    assert best.covered[2] == 80
    assert fcfs.covered[2] < 80 and prop.covered[2] < 80  # the critical-care request came last
    assert fcfs.units.sum() == prop.units.sum() or prop.units.sum() <= 150


def test_a_lower_class_never_gains_at_a_higher_classs_expense():
    # Each class's minimum fill rate is what it would get if the lower classes did not exist at all.
    for seed in (1, 2, 3):
        inst = generate(seed, **CASES["quick"])
        full = opt.optimise(inst).class_figures(inst)
        for k in range(1, inst.n_classes):
            keep = inst.req_class <= k
            if not (inst.req_class == k).any():
                continue
            part = _subset(inst, keep)
            alone = opt.optimise(part).class_figures(part)
            for j in range(k + 1):
                if j in alone:
                    assert full[j]["min_fill"] == pytest.approx(alone[j]["min_fill"], abs=2e-3), (seed, k, j)


def test_the_lexicographic_order_puts_a_late_critical_request_before_earlier_wards():
    inst = instance(requests=[(0, 50, 2, 0, 0.0), (0, 50, 3, 0, 0.0), (0, 50, 0, 0, 0.0)],
                    pools=[(1.0, 0, 60, 0)])
    result = opt.optimise(inst)
    assert result.covered.tolist() == [10, 0, 50]
    assert result.bound[1] == opt.PRIORITY


def test_a_substitute_fills_at_its_ratio_and_only_where_accepted():
    # Item 0 is out; item 1 replaces it two for one. The first request takes 80 of item 1 for its 40;
    # the second does not accept substitutes and gets nothing.
    inst = instance(requests=[(0, 40, 0, 0, 0.0), (0, 40, 0, 0, 0.0)], pools=[(1.0, 1, 100, 0)],
                    subs=[(0, 1, 2.0)], subs_ok=[True, False])
    result = opt.optimise(inst)
    assert result.covered.tolist() == [40, 0]
    assert result.units.sum() == 80 and set(result.arcs.item[result.units > 0].tolist()) == {1}
    assert result.bound[1] == opt.NO_STOCK


def test_the_item_asked_for_goes_first_when_a_substitute_would_do_as_well():
    inst = instance(requests=[(0, 30, 0, 0, 0.0)], pools=[(1.0, 0, 30, 0), (1.0, 1, 30, 0)], subs=[(0, 1, 1.0)])
    result = opt.optimise(inst)
    assert result.units[result.arcs.item == 0].sum() == 30 and result.units[result.arcs.item == 1].sum() == 0


def test_explanations_name_what_bound_each_request():
    inst = instance(
        requests=[(0, 10, 0, 0, 0.0),  # nothing within 60 km
                  (1, 10, 0, 0, 500.0),  # stock in reach only after the horizon
                  (2, 70, 0, 2, 1000.0),  # only a supplier making 10 a day, 3 days: 30
                  (1, 5, 0, 0, 1000.0)],
        pools=[(200.0, 0, 50, 0), (510.0, 1, 50, 5), (1000.0, 1, 5, 0)], caps=[(1001.0, 2, 10, 0)], horizon=3)
    result = opt.optimise(inst)
    assert result.bound[0] == opt.NO_STOCK
    assert result.bound[1] == opt.TIME
    assert result.covered[2] == 30 and result.bound[2] == opt.CAPACITY_BOUND
    assert result.bound[3] == opt.FILLED


def test_late_delivery_is_counted_and_explained():
    # Made on days 0..2 with a day's lead: nothing arrives by day 0, so it is late but filled.
    inst = instance(requests=[(2, 20, 1, 0, 0.0)], caps=[(1.0, 2, 10, 1)], horizon=4)
    result = opt.optimise(inst)
    assert result.covered[0] == 20 and result.bound[0] == opt.LATE
    assert result.late_units() == 20


def test_stock_arriving_later_waits_for_its_day_and_production_for_its_capacity():
    inst = instance(requests=[(0, 100, 0, 3, 0.0)], pools=[(1.0, 0, 40, 2)], caps=[(1.0, 0, 10, 0)], horizon=4)
    result = opt.optimise(inst)
    assert result.covered[0] == 80  # 40 arriving on day 2 and 4 days of 10
    ships = result.arcs.ship_day[result.units > 0]
    assert ships.min() >= 0 and (result.arcs.arrival[result.units > 0] <= 3).all()


def test_no_arc_leaves_the_policy_distance():
    inst = generate(4, **CASES["quick"])
    result = opt.optimise(inst)
    assert (result.arcs.dist <= inst.max_km + 1e-9).all()


def test_whole_units_never_exceed_a_pool_or_a_request():
    inst = generate(5, **CASES["quick"])
    for method in (opt.optimise, opt.first_come_first_served, opt.proportional):
        result = method(inst)
        stock = result.arcs.kind == opt.STOCK
        used = np.bincount(result.arcs.res[stock], weights=result.units[stock], minlength=len(inst.pool_qty))
        assert (used <= inst.pool_qty + 1e-6).all()
        assert (result.covered <= inst.req_qty + 1e-6).all()
        assert (result.units == np.floor(result.units)).all()


def _subset(inst: opt.Instance, keep: np.ndarray) -> opt.Instance:
    fields = {f: getattr(inst, f) for f in inst.__dataclass_fields__}
    for f in ("req_item", "req_qty", "req_class", "req_need_by", "req_site", "req_order"):
        fields[f] = fields[f][keep]
    return opt.Instance(**fields)


def test_a_source_in_another_region_is_not_an_arc_however_near():
    # Two hospitals 2 km from one warehouse; the second lies in another region and gets nothing from it.
    inst = instance(requests=[(0, 10, 0, 0, 0.0), (0, 10, 0, 0, 4.0)], pools=[(2.0, 0, 100, 0)])
    inst.site_region, inst.src_region = np.array([1, 2]), np.array([1])
    result = opt.optimise(inst)
    assert result.covered.tolist() == [10, 0] and result.bound[1] == opt.NO_STOCK
    inst.site_region = np.array([1, -1])  # a destination without a region is in every region
    assert opt.optimise(inst).covered.tolist() == [10, 10]


def test_the_supply_policy_is_data_over_its_defaults_and_bad_values_are_named():
    from medshare.errors import InvalidInput
    from medshare.supplies import rules

    policy = rules.policy_from({"classes": [{"code": "icu", "lateness_cost": 80}, {"code": "ward"}],
                                "max_source_km": 120, "region_digits": 4})
    assert policy.codes == ["icu", "ward"] and policy.max_source_km == 120 and policy.region_digits == 4
    assert policy.horizon_days == rules.DEFAULT_POLICY.horizon_days
    assert rules.policy_from({}) == rules.DEFAULT_POLICY
    for values, field in (({"classes": []}, "supply_policy.classes"),
                          ({"classes": [{"code": "ICU!"}]}, "supply_policy.classes.0.code"),
                          ({"classes": ["a", "a"]}, "supply_policy.classes"),
                          ({"max_source_km": -1}, "supply_policy.max_source_km"),
                          ({"region_digits": 3}, "supply_policy.region_digits"),
                          ({"source_kinds": ["moon"]}, "supply_policy.source_kinds"),
                          ({"colour": "red"}, "supply_policy.colour")):
        with pytest.raises(InvalidInput) as refused:
            rules.policy_from(values)
        assert refused.value.problems[0].field == field
    assert rules.region_of("350403", 4) == "3504" and rules.region_of("", 4) == "" and rules.region_of("35", 0) == ""
