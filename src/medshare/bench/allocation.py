"""`medshare bench allocation`: the optimal allocation of an epidemic surge against first come first served
and proportional rationing, on a city and a province, and medshare's overhead over bare HiGHS.

Instances are generated here from a seed with NumPy alone, calibrated on the early-epidemic shortage
the seeds describe: tertiary hospitals ask for most (critical care and fever clinics), clinics for
smaller amounts (general wards, reserve); warehouses hold about half of a week's demand, suppliers
make another sixth over the week, one or two days after production; a third of the items have an
acceptable substitute (a KN95 for an N95, two surgical gowns for one isolation gown).

The optimal run is timed in three parts: build (candidate arcs and the LPs), solve (HiGHS, every
stage) and write (whole units, explanations, and the shipment lines written to an SQLite file).
The same run then writes each stage's LP to a file, and bare HiGHS solves those files; the ratio of
medshare's whole run to the bare solves is the overhead.
"""

from __future__ import annotations

import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from medshare.bench import BenchOptions, benchmark
from medshare.optim import allocation as opt

CLASSES = ("critical_care", "fever_clinic", "general_ward", "reserve")
CASES = {
    "city": {"institutions": 500, "sources": 50, "items": 30, "days": 7, "size_km": 50.0, "cities": 1,
             "max_km": 60.0},
    "province": {"institutions": 5000, "sources": 300, "items": 50, "days": 7, "size_km": 350.0, "cities": 12,
                 "max_km": 80.0},
    "quick": {"institutions": 60, "sources": 8, "items": 6, "days": 7, "size_km": 30.0, "cities": 1,
              "max_km": 60.0},
}
# Share of requests in each class by institution grade (tertiary, secondary, primary).
CLASS_MIX = {3: (0.5, 0.3, 0.2, 0.0), 2: (0.2, 0.4, 0.3, 0.1), 1: (0.0, 0.3, 0.4, 0.3)}
ITEMS_ASKED = {3: 12, 2: 8, 1: 4}
DAILY_USE = {3: (300, 2000), 2: (80, 500), 1: (10, 80)}
NEED_BY = ((0, 2), (1, 3), (2, 5), (4, 6))


def generate(seed: int, *, institutions: int, sources: int, items: int, days: int, size_km: float, cities: int,
             max_km: float, stock_share: float = 0.45, capacity_share: float = 0.15) -> opt.Instance:
    """An epidemic surge: a week's demand of every institution, half of it in stock, a sixth made in the week."""
    rng = np.random.default_rng(seed)
    grade = rng.choice([3, 2, 1], size=institutions, p=[0.05, 0.15, 0.8])
    centres = rng.uniform(0.15 * size_km, 0.85 * size_km, size=(cities, 2))
    city_of = rng.integers(0, cities, size=institutions)
    spread = size_km / (4 * np.sqrt(cities))
    site_xy = np.clip(centres[city_of] + rng.normal(0, spread, (institutions, 2))
                      * np.where(grade == 3, 0.3, 1.0)[:, None], 0, size_km)

    # Requests: each institution asks for several items, the big ones for more.
    asked = np.minimum(np.array([ITEMS_ASKED[g] for g in grade]), items)
    req_site = np.repeat(np.arange(institutions), asked)
    ranked = rng.random((institutions, items)).argsort(axis=1)
    req_item = ranked[np.arange(items)[None, :] < asked[:, None]]
    g = grade[req_site]
    lo = np.select([g == 3, g == 2], [DAILY_USE[3][0], DAILY_USE[2][0]], DAILY_USE[1][0])
    hi = np.select([g == 3, g == 2], [DAILY_USE[3][1], DAILY_USE[2][1]], DAILY_USE[1][1])
    req_qty = np.round(rng.uniform(lo, hi) * days / 3).astype(np.int64)
    u = rng.random(len(req_site))
    mix = np.cumsum(np.array([CLASS_MIX[x] for x in g]), axis=1)
    req_class = (u[:, None] > mix).sum(axis=1)
    bounds = np.array(NEED_BY)[req_class]
    req_need_by = rng.integers(bounds[:, 0], bounds[:, 1] + 1)
    req_order = rng.permutation(len(req_site))

    # Sources near the cities: warehouses (stock) and suppliers (stock and production).
    src_city = rng.integers(0, cities, size=sources)
    src_xy = np.clip(centres[src_city] + rng.normal(0, spread, (sources, 2)), 0, size_km)
    supplier = rng.random(sources) < 0.4
    demand = np.bincount(req_item, weights=req_qty, minlength=items)
    holds = rng.random((sources, items)) < 0.4
    holds[rng.integers(0, sources, size=items), np.arange(items)] = True
    pool_src, pool_item = np.nonzero(holds)
    weight = rng.gamma(2.0, 1.0, size=len(pool_src))
    per_item = np.bincount(pool_item, weights=weight, minlength=items)
    pool_qty = np.floor(stock_share * demand[pool_item] * weight / per_item[pool_item]).astype(np.int64)
    pool_day = np.where(rng.random(len(pool_src)) < 0.1, rng.integers(1, 4, size=len(pool_src)), 0)
    makers = np.flatnonzero(supplier)
    cap_src = np.repeat(makers, 2)
    cap_item = rng.integers(0, items, size=len(cap_src))
    makes = np.bincount(cap_item, minlength=items)
    cap_daily = np.floor(capacity_share * demand[cap_item] / np.maximum(makes[cap_item], 1) / days).astype(np.int64)
    cap_lead = rng.integers(1, 3, size=len(cap_src))

    # A third of the items have a substitute: the next item, one or two of it for one.
    sub_item = np.arange(0, items - 1, 3)
    sub_with = sub_item + 1
    sub_ratio = np.where(rng.random(len(sub_item)) < 0.7, 1.0, 2.0)
    return opt.Instance(
        n_items=items, n_classes=len(CLASSES), horizon=days, req_item=req_item, req_qty=req_qty.astype(float),
        req_class=req_class, req_need_by=req_need_by, req_site=req_site, req_order=req_order, site_xy=site_xy,
        src_xy=src_xy, pool_src=pool_src, pool_item=pool_item, pool_qty=pool_qty.astype(float), pool_day=pool_day,
        cap_src=cap_src, cap_item=cap_item, cap_daily=cap_daily.astype(float), cap_lead=cap_lead,
        sub_item=sub_item, sub_with=sub_with, sub_ratio=sub_ratio, max_km=max_km)


def _write(allocation: opt.Allocation, path: Path) -> None:
    """The shipment lines and each request's explanation written as a run would write them."""
    arcs, used = allocation.arcs, np.flatnonzero(allocation.units > 0)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE lines (request INT, source INT, item INT, units INT, ship_day INT, arrival INT, "
                   "km REAL)")
        db.execute("CREATE TABLE outcomes (request INT, covered REAL, fill REAL, bound TEXT)")
        db.executemany("INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?)", zip(
            arcs.req[used].tolist(), arcs.src[used].tolist(), arcs.item[used].tolist(),
            allocation.units[used].astype(int).tolist(), arcs.ship_day[used].tolist(), arcs.arrival[used].tolist(),
            arcs.dist[used].round(2).tolist(), strict=True))
        db.executemany("INSERT INTO outcomes VALUES (?, ?, ?, ?)", zip(
            range(len(allocation.fill)), allocation.covered.tolist(), allocation.fill.tolist(),
            allocation.bound.tolist(), strict=True))


def _figures(inst: opt.Instance, allocation: opt.Allocation) -> dict:
    by_class = allocation.class_figures(inst)
    return {
        "by_class": {CLASSES[k]: v for k, v in by_class.items()},
        "transport_cost_unit_km": round(allocation.transport_cost()),
        "units_shipped": int(allocation.units.sum()),
        "late_units": int(allocation.late_units()),
        "bounds": {b: int((allocation.bound == b).sum()) for b in opt.BOUNDS if (allocation.bound == b).any()},
    }


def run_case(name: str, seed: int) -> dict:
    """One case: the three methods, the optimum's time split, and bare HiGHS on the same LPs."""
    spec = CASES[name]
    inst = generate(seed, **spec)
    started = time.perf_counter()
    optimal = opt.optimise(inst)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        _write(optimal, Path(folder) / "run.sqlite")
        write = time.perf_counter() - t0
        total = time.perf_counter() - started
        # The same LPs, stage by stage, written to files by the same code and solved by bare HiGHS.
        lp_dir = Path(folder) / "lp"
        lp_dir.mkdir()
        dumped = opt.optimise(inst, lp_dir=lp_dir)
        bare = sum(opt.solve_lp_file(path) for path in dumped.lp_files)
        files = len(dumped.lp_files)
    same = bool(np.allclose(dumped.covered, optimal.covered, atol=1.0))
    fcfs = opt.first_come_first_served(inst, optimal.arcs)
    prop = opt.proportional(inst, optimal.arcs)
    figures = {m.method: _figures(inst, m) for m in (optimal, fcfs, prop)}
    top = CLASSES[0]
    return {
        "institutions": spec["institutions"], "sources": spec["sources"], "items": spec["items"],
        "days": spec["days"], "requests": inst.n_requests, "arcs": len(optimal.arcs),
        "lps": files, "units_needed": int(inst.req_qty.sum()),
        "supply_units": int(inst.pool_qty.sum() + inst.cap_daily.sum() * inst.horizon),
        "methods": figures,
        "seconds": {"build": round(optimal.timings["build_seconds"], 3),
                    "solve": round(optimal.timings["solve_seconds"], 3), "write": round(write, 3),
                    "total": round(total, 3), "bare_highs_solve": round(bare, 3),
                    "fcfs": round(fcfs.timings["total_seconds"], 3),
                    "proportional": round(prop.timings["total_seconds"], 3)},
        "overhead_vs_bare_highs": round(total / bare, 2) if bare > 0 else None,
        "dumped_run_same_fill": same,
        "top_class_min_fill": {m: figures[m]["by_class"].get(top, {}).get("min_fill") for m in figures},
        "top_class_min_fill_vs_proportional": _ratio(figures, "proportional", top),
        "top_class_min_fill_vs_fcfs": _ratio(figures, "fcfs", top),
    }


def _ratio(figures: dict, baseline: str, top: str) -> float | None:
    ours = figures["optimal"]["by_class"].get(top, {}).get("min_fill")
    theirs = figures[baseline]["by_class"].get(top, {}).get("min_fill")
    if ours is None or theirs is None:
        return None
    return round(ours / theirs, 3) if theirs > 0 else None  # None: the baseline left someone at zero


@benchmark("allocation", "optimal supply allocation vs FCFS and proportional rationing, city and province")
def run(options: BenchOptions) -> dict:
    """The figures of every case (`--quick`: one small case), with targets checked."""
    names = ["quick"] if options.quick else (["city"] if options.scale == "small" else ["city", "province"])
    out: dict = {"seed": options.seed, "cases": {}}
    for name in names:
        out["cases"][name] = run_case(name, options.seed)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    targets = {"city": 30.0, "province": 600.0}
    out["targets"] = {
        name: {"within_time": case["seconds"]["total"] <= targets.get(name, 30.0),
               "overhead_at_most_1_5": (case["overhead_vs_bare_highs"] or 0) <= 1.5,
               "top_class_min_at_least_proportional":
                   case["top_class_min_fill"]["optimal"] >= case["top_class_min_fill"]["proportional"] - 1e-9,
               "top_class_min_above_fcfs": case["top_class_min_fill"]["optimal"] > case["top_class_min_fill"]["fcfs"],
               # The process's peak over every case run so far (the province runs last, so its figure is its own).
               "within_8_gib": out["peak_rss_mib"] <= 8 * 1024}
        for name, case in out["cases"].items()}
    return out
