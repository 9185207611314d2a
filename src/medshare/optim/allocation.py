"""Allocation of scarce supplies: lexicographic max-min fill rate by priority class, then cost and lateness.

Pure: NumPy arrays in, NumPy arrays out; no database, no web. The model, per connected group of
items (an item and its acceptable substitutes), is a linear programme solved with HiGHS:

    columns  x[a] >= 0   units shipped along arc a (a request, a source's pool or production day, an item)
             t[k] in [0, 1]  the minimum fill rate of priority class k
    rows     sum of x over a stock pool            <= units in the pool
             sum of x over a production day       <= the supplier's daily capacity
             sum of x[a] / ratio[a] over a request <= units still needed            (coverage)
             sum of x[a] / ratio[a] - q'[r] t[k]    >= 0  for r in class k           (fairness)

where q'[r] is what the request could get if it were alone (its need, capped by what is in reach
in time), so a hospital nobody can reach does not pull its whole class's minimum to zero.
Stages, each warm-started from the last: maximise t[1], fix it; t[2], fix it; ...; then the units
covered of class 1, fix them; class 2; ...; finally minimise transport cost (distance x quantity)
plus lateness (days after need-by x quantity, weighted by class) plus a small penalty for
substitutes. Each stage keeps every earlier optimum, so no lower class ever gains at a higher
class's expense.

Exact reductions that keep the same optimum: one LP per group of items linked by substitution
(groups share no row); stock on hand carries no day index (shipping it later never helps, so each
pool-to-request arc is one column with its earliest arrival); only production capacity is indexed
by day; and only sources within the policy's distance (and region, when it sets one) of a destination become
arcs at all.

First come, first served and proportional rationing run over the very same arcs, so the three
are compared on equal terms.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

EPS = 1e-6
_banner_lock = threading.Lock()
_banner_shown = False


def _new_highs() -> highspy.Highs:
    """A quiet HiGHS. Its first instance in a process prints a banner on the C stdout whatever the options,
    which would break `medshare bench allocation --json`; that one is made with stdout pointed at /dev/null."""
    global _banner_shown
    with _banner_lock:
        if not _banner_shown:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h
STOCK, CAPACITY = 0, 1

# Why a request was not filled completely (or "filled"), in order of precedence.
FILLED = "filled"
LATE = "late"  # filled, but some of it arrives after the need-by date
NO_STOCK = "no_stock_in_reach"  # nothing (or not enough) within the policy's distance
TIME = "time"  # there is supply in reach, but it cannot arrive within the horizon
PRIORITY = "priority"  # what it could reach went to requests of a higher priority class
CAPACITY_BOUND = "capacity"  # what it could reach was suppliers' daily production, used up
SHARED = "shared"  # it shares what it can reach with requests of its own class at an equal fill rate
BOUNDS = (FILLED, LATE, NO_STOCK, TIME, PRIORITY, CAPACITY_BOUND, SHARED)


@dataclass
class Instance:
    """Requests, supply and policy, all as arrays; coordinates in km on a local plane, days from day 0."""

    n_items: int
    n_classes: int
    horizon: int  # days 0 .. horizon-1
    # Requests: item, units still needed, class (0 = most urgent), need-by day, destination site, arrival order.
    req_item: np.ndarray
    req_qty: np.ndarray
    req_class: np.ndarray
    req_need_by: np.ndarray
    req_site: np.ndarray
    req_order: np.ndarray
    site_xy: np.ndarray
    src_xy: np.ndarray
    # Stock pools: at a source, of an item, units available from a day (0: on hand; later: arriving).
    pool_src: np.ndarray
    pool_item: np.ndarray
    pool_qty: np.ndarray
    pool_day: np.ndarray
    # Production capacity: a source makes units of an item per day, shipped lead days after production.
    cap_src: np.ndarray
    cap_item: np.ndarray
    cap_daily: np.ndarray
    cap_lead: np.ndarray
    # Substitutes: an item may be replaced by another, ratio units of the substitute per unit of the item.
    sub_item: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sub_with: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sub_ratio: np.ndarray = field(default_factory=lambda: np.zeros(0))
    req_subs_ok: np.ndarray | None = None  # per request: substitutes acceptable (default: yes)
    # Regions (policy): a source serves a destination only in the same region; -1 (or no arrays) is every region.
    site_region: np.ndarray | None = None
    src_region: np.ndarray | None = None
    max_km: float = 60.0
    km_per_day: float = 300.0
    lateness_cost: tuple[float, ...] = (50.0, 20.0, 10.0, 5.0)  # per unit and day late, by class
    substitute_cost: float = 1.0  # per unit shipped as a substitute

    @property
    def n_requests(self) -> int:
        return len(self.req_item)


@dataclass
class Arcs:
    """Every way a request may be served: from a pool (stock) or a production day (capacity)."""

    req: np.ndarray
    kind: np.ndarray  # STOCK or CAPACITY
    res: np.ndarray  # pool index, or capacity index
    day: np.ndarray  # production day for CAPACITY (the resource row is (res, day)); pool day for STOCK
    item: np.ndarray
    ratio: np.ndarray
    src: np.ndarray
    dist: np.ndarray
    ship_day: np.ndarray
    arrival: np.ndarray
    late: np.ndarray
    upper: np.ndarray  # the most this arc can carry alone

    def __len__(self) -> int:
        return len(self.req)

    @staticmethod
    def concat(parts: list[Arcs]) -> Arcs:
        if not parts:
            z = np.zeros(0, np.int64)
            return Arcs(z, z, z, z, z, np.zeros(0), z, np.zeros(0), z, z, z, np.zeros(0))
        return Arcs(*(np.concatenate([getattr(p, f) for p in parts]) for f in Arcs.__dataclass_fields__))

    def take(self, keep: np.ndarray) -> Arcs:
        return Arcs(*(getattr(self, f)[keep] for f in Arcs.__dataclass_fields__))


@dataclass
class Allocation:
    """A method's answer: units on each arc, what each request got, and why it did not get more."""

    method: str
    arcs: Arcs
    units: np.ndarray  # whole units shipped per arc
    covered: np.ndarray  # per request, in units of the requested item
    reach: np.ndarray  # per request: what it could get alone (capped at its need)
    fill: np.ndarray  # per request: covered / needed
    bound: np.ndarray  # per request: one of BOUNDS
    timings: dict[str, float] = field(default_factory=dict)
    stages: list[dict] = field(default_factory=list)
    lp_files: list[str] = field(default_factory=list)

    def class_figures(self, inst: Instance) -> dict[int, dict]:
        """Minimum and mean fill rate, units needed and covered, per priority class."""
        out: dict[int, dict] = {}
        for k in range(inst.n_classes):
            mine = inst.req_class == k
            if not mine.any():
                continue
            out[k] = {"requests": int(mine.sum()), "min_fill": round(float(self.fill[mine].min()), 4),
                      "mean_fill": round(float(self.fill[mine].mean()), 4),
                      "needed": float(inst.req_qty[mine].sum()), "covered": round(float(self.covered[mine].sum()), 1)}
        return out

    def transport_cost(self) -> float:
        """Distance times quantity over every shipment (unit-km)."""
        return float((self.arcs.dist * self.units).sum())

    def late_units(self) -> float:
        return float((self.units * (self.arcs.late > 0)).sum())


# Candidate arcs ------------------------------------------------------------------------------------------


def lead_days(dist_km: np.ndarray, km_per_day: float) -> np.ndarray:
    """Whole days on the road for a distance (same day within one day's drive)."""
    return np.floor(np.asarray(dist_km) / km_per_day).astype(np.int64)


def _neighbours(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys site * n_src + src of every (destination, source) pair the policy lets serve each other
    (within its distance, and in the same region when regions are given), and their distances."""
    n_src = len(inst.src_xy)
    if n_src == 0 or len(inst.site_xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    lists = cKDTree(inst.src_xy).query_ball_point(inst.site_xy, r=inst.max_km)
    lengths = np.fromiter((len(x) for x in lists), np.int64, len(lists))
    site = np.repeat(np.arange(len(lists)), lengths)
    src = np.fromiter((j for x in lists for j in x), np.int64, int(lengths.sum()))
    if inst.site_region is not None and inst.src_region is not None:
        a, b = inst.site_region[site], inst.src_region[src]
        same = (a == b) | (a < 0) | (b < 0)
        site, src = site[same], src[same]
    dist = np.hypot(*(inst.site_xy[site] - inst.src_xy[src]).T)
    key = site * n_src + src
    order = np.argsort(key)
    return key[order], dist[order]


def _expand(left_key: np.ndarray, right_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) with left_key[i] == right_key[j]: a vectorised equi-join."""
    order = np.argsort(right_key, kind="stable")
    sorted_keys = right_key[order]
    start = np.searchsorted(sorted_keys, left_key, "left")
    stop = np.searchsorted(sorted_keys, left_key, "right")
    counts = stop - start
    i = np.repeat(np.arange(len(left_key)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    j = order[np.repeat(start, counts) + offsets]
    return i, j


def _usable(inst: Instance, reqs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(request, item, ratio) for each item that may fill each request: its own, then its substitutes."""
    own = (reqs, inst.req_item[reqs], np.ones(len(reqs)))
    if len(inst.sub_item) == 0:
        return own
    ok = np.ones(len(reqs), bool) if inst.req_subs_ok is None else inst.req_subs_ok[reqs]
    i, j = _expand(inst.req_item[reqs[ok]], inst.sub_item)
    r = reqs[ok][i]
    return (np.concatenate([own[0], r]), np.concatenate([own[1], inst.sub_with[j]]),
            np.concatenate([own[2], inst.sub_ratio[j]]))


def build_arcs(inst: Instance, reqs: np.ndarray, nb: tuple[np.ndarray, np.ndarray]) -> Arcs:
    """Every arc of the requests reqs: sources within distance holding or making a usable item in time."""
    nb_key, nb_dist = nb
    n_src = len(inst.src_xy)
    u_req, u_item, u_ratio = _usable(inst, reqs)
    parts = []
    last = inst.horizon - 1
    for kind, items, srcs in ((STOCK, inst.pool_item, inst.pool_src), (CAPACITY, inst.cap_item, inst.cap_src)):
        i, j = _expand(u_item, items)
        if len(i) == 0 or len(nb_key) == 0:
            continue
        r = u_req[i]
        key = inst.req_site[r] * n_src + srcs[j]
        pos = np.minimum(np.searchsorted(nb_key, key), len(nb_key) - 1)
        near = nb_key[pos] == key
        i, j, r, dist = i[near], j[near], r[near], nb_dist[pos[near]]
        road = lead_days(dist, inst.km_per_day)
        ratio = u_ratio[i]
        need = inst.req_qty[r] * ratio
        if kind == STOCK:
            arrival = inst.pool_day[j] + road
            ok = arrival <= last
            day = inst.pool_day[j]
            parts.append(Arcs(r[ok], np.full(ok.sum(), STOCK), j[ok], day[ok], u_item[i][ok], ratio[ok], srcs[j][ok],
                              dist[ok], day[ok], arrival[ok], np.maximum(0, arrival - inst.req_need_by[r])[ok],
                              np.minimum(inst.pool_qty[j], need)[ok]))
        else:
            # One arc per production day whose output can still arrive within the horizon.
            days = np.maximum(0, last - inst.cap_lead[j] - road + 1)
            a = np.repeat(np.arange(len(r)), days)
            t = np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
            jj = j[a]
            ship = t + inst.cap_lead[jj]
            arrival = ship + road[a]
            parts.append(Arcs(r[a], np.full(len(a), CAPACITY), jj, t, u_item[i][a], ratio[a], srcs[jj], dist[a], ship,
                              arrival, np.maximum(0, arrival - inst.req_need_by[r[a]]),
                              np.minimum(inst.cap_daily[jj], need[a])))
    return Arcs.concat(parts)


def _item_groups(inst: Instance) -> list[np.ndarray]:
    """Items linked by substitution, as groups (connected components); each gets an LP of its own."""
    parent = list(range(inst.n_items))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(inst.sub_item.tolist(), inst.sub_with.tolist(), strict=True):
        parent[find(a)] = find(b)
    roots = np.array([find(a) for a in range(inst.n_items)])
    return [np.flatnonzero(roots == root) for root in np.unique(roots)]


def candidate_arcs(inst: Instance) -> tuple[list[tuple[np.ndarray, Arcs]], Arcs]:
    """The arcs of each item group (its requests and arcs) and all arcs together, in group order."""
    nb = _neighbours(inst)
    groups = []
    for items in _item_groups(inst):
        reqs = np.flatnonzero(np.isin(inst.req_item, items))
        if len(reqs):
            groups.append((reqs, build_arcs(inst, reqs, nb)))
    return groups, Arcs.concat([a for _, a in groups])


def _resource_ids(inst: Instance, arcs: Arcs) -> np.ndarray:
    """One id per capacity row: a pool, or a (production capacity, day) pair."""
    return np.where(arcs.kind == STOCK, arcs.res, len(inst.pool_qty) + arcs.res * inst.horizon + arcs.day)


def _resource_limits(inst: Instance, rid: np.ndarray) -> np.ndarray:
    n_pool = len(inst.pool_qty)
    pool = rid < n_pool
    out = np.empty(len(rid))
    out[pool] = inst.pool_qty[rid[pool]]
    out[~pool] = inst.cap_daily[(rid[~pool] - n_pool) // inst.horizon]
    return out


def reach_of(inst: Instance, arcs: Arcs) -> np.ndarray:
    """What each request could get if it were alone, in units of its item (capped at its need)."""
    alone = np.bincount(arcs.req, weights=arcs.upper / arcs.ratio, minlength=inst.n_requests)
    return np.minimum(alone, inst.req_qty)


# The optimum ----------------------------------------------------------------------------------------------


class _Model:
    """One item group's LP in HiGHS, kept between stages so each stage starts from the last basis."""

    def __init__(self, inst: Instance, reqs: np.ndarray, arcs: Arcs, reach: np.ndarray) -> None:
        self.inst, self.arcs = inst, arcs
        n = len(arcs)
        k = inst.n_classes
        rid = _resource_ids(inst, arcs)
        res_u, res_row = np.unique(rid, return_inverse=True)
        req_u, req_row = np.unique(arcs.req, return_inverse=True)
        fair_req = req_u[reach[req_u] > EPS]
        n_res, n_req = len(res_u), len(req_u)
        fair_pos = np.full(n_req, -1)
        fair_pos[np.isin(req_u, fair_req)] = np.arange(len(fair_req))
        cover = 1.0 / arcs.ratio
        has_fair = fair_pos[req_row] >= 0
        rows = np.concatenate([res_row, n_res + req_row, n_res + n_req + fair_pos[req_row][has_fair],
                               n_res + n_req + np.arange(len(fair_req))])
        cols = np.concatenate([np.arange(n), np.arange(n), np.arange(n)[has_fair], n + inst.req_class[fair_req]])
        vals = np.concatenate([np.ones(n), cover, cover[has_fair], -reach[fair_req]])
        n_rows = n_res + n_req + len(fair_req)
        matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n + k))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n + k, n_rows
        lp.col_cost_ = np.zeros(n + k)
        lp.col_lower_ = np.zeros(n + k)
        lp.col_upper_ = np.concatenate([arcs.upper.astype(float), np.ones(k)])
        lp.row_lower_ = np.concatenate([np.full(n_res + n_req, -highspy.kHighsInf), np.zeros(len(fair_req))])
        lp.row_upper_ = np.concatenate([_resource_limits(inst, res_u), inst.req_qty[req_u].astype(float),
                                        np.full(len(fair_req), highspy.kHighsInf)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        self.h = _new_highs()
        # Primal simplex: each stage keeps the last optimum feasible (only the objective changes, and an
        # added row holds at it), so primal simplex continues from there; the dual would start over.
        self.h.setOptionValue("simplex_strategy", 4)
        self.h.passModel(lp)
        self.n, self.k = n, k
        self.classes_present = sorted(set(inst.req_class[fair_req].tolist()))
        self.cover = cover
        self.arc_class = inst.req_class[arcs.req]
        self.solve_seconds = 0.0

    def _set_costs(self, costs: np.ndarray) -> None:
        self.h.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs.astype(float))

    def _run(self, sense, lp_dir: Path | None, name: str) -> float:
        self.h.changeObjectiveSense(sense)
        if lp_dir is not None:
            path = lp_dir / f"{name}.mps"
            self.h.writeModel(str(path))
            self.files.append(str(path))
        started = time.perf_counter()
        self.h.run()
        self.solve_seconds += time.perf_counter() - started
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS stopped with {self.h.modelStatusToString(status)} at stage {name}")
        return self.h.getInfo().objective_function_value

    def solve(self, lp_dir: Path | None = None, tag: str = "") -> tuple[np.ndarray, list[dict]]:
        """Run every stage; the units on each arc and each stage's optimum."""
        self.files: list[str] = []
        stages = []
        maximise, minimise = highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize
        zero = np.zeros(self.n + self.k)
        for k in self.classes_present:
            costs = zero.copy()
            costs[self.n + k] = 1.0
            self._set_costs(costs)
            value = min(1.0, max(0.0, self._run(maximise, lp_dir, f"{tag}min-fill-{k}")))
            fixed = max(0.0, value - 1e-7)
            self.h.changeColBounds(self.n + k, fixed, fixed)
            stages.append({"stage": f"min_fill_class_{k}", "value": value})
        for k in self.classes_present:
            costs = zero.copy()
            mine = np.flatnonzero(self.arc_class == k)
            costs[mine] = self.cover[mine]
            self._set_costs(costs)
            value = self._run(maximise, lp_dir, f"{tag}covered-{k}")
            floor = value - 1e-6 * max(1.0, value)
            self.h.addRow(floor, highspy.kHighsInf, len(mine), mine.astype(np.int32), self.cover[mine])
            stages.append({"stage": f"covered_class_{k}", "value": value})
        inst, arcs = self.inst, self.arcs
        late_weight = np.asarray(inst.lateness_cost + (inst.lateness_cost[-1],) * inst.n_classes)[self.arc_class]
        substitute = (arcs.item != inst.req_item[arcs.req]).astype(float)
        costs = zero.copy()
        costs[:self.n] = arcs.dist + late_weight * arcs.late + inst.substitute_cost * substitute
        self._set_costs(costs)
        value = self._run(minimise, lp_dir, f"{tag}cost")
        stages.append({"stage": "cost", "value": value})
        x = np.asarray(self.h.getSolution().col_value[:self.n])
        return x, stages


def _whole_units(inst: Instance, arcs: Arcs, x: np.ndarray) -> np.ndarray:
    """Whole units per arc, never more than a request needs or a resource holds (floors, then tops up)."""
    units = np.floor(np.maximum(x, 0) + 1e-6)
    # Flooring may leave a request a unit short where fractions of several arcs add up to more.
    frac = x - units
    order = np.argsort(-frac, kind="stable")
    covered = np.bincount(arcs.req, weights=units / arcs.ratio, minlength=inst.n_requests)
    rid = _resource_ids(inst, arcs)
    res_u, res_row = np.unique(rid, return_inverse=True)
    used = np.bincount(res_row, weights=units, minlength=len(res_u))
    limit = _resource_limits(inst, res_u)
    for a in order[frac[order] > 0.5 - 1e-9].tolist():
        r, res = arcs.req[a], res_row[a]
        if covered[r] + 1 / arcs.ratio[a] > inst.req_qty[r] + 1e-9 or used[res] + 1 > limit[res] + 1e-9:
            continue
        units[a] += 1
        used[res] += 1
        covered[r] += 1 / arcs.ratio[a]
    return units


def _finish(inst: Instance, method: str, arcs: Arcs, units: np.ndarray, reach: np.ndarray) -> Allocation:
    covered = np.bincount(arcs.req, weights=units / arcs.ratio, minlength=inst.n_requests)
    covered = np.minimum(covered, inst.req_qty)
    need = np.where(inst.req_qty > 0, inst.req_qty, 1)
    fill = np.where(inst.req_qty > 0, covered / need, 1.0)
    allocation = Allocation(method, arcs, units, covered, reach, fill, np.empty(inst.n_requests, dtype=object))
    allocation.bound = explain(inst, allocation)
    return allocation


def optimise(inst: Instance, *, lp_dir: Path | None = None) -> Allocation:
    """The lexicographic max-min allocation (then cost and lateness), one LP per group of items."""
    started = time.perf_counter()
    groups, arcs = candidate_arcs(inst)
    reach = reach_of(inst, arcs)
    build = time.perf_counter() - started
    solve = 0.0
    xs, stages, files = [], [], []
    for g, (_reqs, group_arcs) in enumerate(groups):
        if len(group_arcs) == 0:
            xs.append(np.zeros(0))
            continue
        t0 = time.perf_counter()
        model = _Model(inst, _reqs, group_arcs, reach)
        build += time.perf_counter() - t0
        x, group_stages = model.solve(lp_dir, f"group-{g:03d}-")
        solve += model.solve_seconds
        build += 0  # the stages' cost changes are part of solving
        xs.append(x)
        stages += [{"group": g, **s} for s in group_stages]
        files += model.files
    t0 = time.perf_counter()
    x = np.concatenate(xs) if xs else np.zeros(0)
    units = _whole_units(inst, arcs, x)
    allocation = _finish(inst, "optimal", arcs, units, reach)
    total = time.perf_counter() - started
    allocation.timings = {"build_seconds": build + (time.perf_counter() - t0), "solve_seconds": solve,
                          "total_seconds": total}
    allocation.stages, allocation.lp_files = stages, files
    return allocation


# Baselines -----------------------------------------------------------------------------------------------


def first_come_first_served(inst: Instance, arcs: Arcs | None = None) -> Allocation:
    """Each request in arrival order takes what it can from its arcs, earliest and nearest first."""
    started = time.perf_counter()
    if arcs is None:
        _, arcs = candidate_arcs(inst)
    reach = reach_of(inst, arcs)
    rid = _resource_ids(inst, arcs)
    left: dict[int, float] = {}
    limits = dict(zip(rid.tolist(), _resource_limits(inst, rid).tolist(), strict=True))
    units = np.zeros(len(arcs))
    order = np.lexsort((arcs.dist, arcs.ship_day, arcs.late, inst.req_order[arcs.req]))
    req_list, ratio_list, rid_list = arcs.req.tolist(), arcs.ratio.tolist(), rid.tolist()
    need = inst.req_qty.astype(float).tolist()
    for a in order.tolist():
        r = req_list[a]
        if need[r] <= EPS:
            continue
        res = rid_list[a]
        have = left.get(res, limits[res])
        if have < 1:
            continue
        ratio = ratio_list[a]
        take = min(have, math.ceil(need[r] * ratio - 1e-9))
        take = float(math.floor(take + 1e-9))
        if take <= 0:
            continue
        units[a] = take
        left[res] = have - take
        need[r] = max(0.0, need[r] - take / ratio)
    allocation = _finish(inst, "fcfs", arcs, units, reach)
    allocation.timings = {"total_seconds": time.perf_counter() - started}
    return allocation


def proportional(inst: Instance, arcs: Arcs | None = None, rounds: int = 4) -> Allocation:
    """Proportional rationing: every resource splits what it holds among the requests that reach it, in
    proportion to their outstanding claims (a request's claim spread evenly over its resources); repeated
    a few rounds so what one request could not use goes to the others."""
    started = time.perf_counter()
    if arcs is None:
        _, arcs = candidate_arcs(inst)
    reach = reach_of(inst, arcs)
    rid = _resource_ids(inst, arcs)
    res_u, res_row = np.unique(rid, return_inverse=True)
    left = _resource_limits(inst, res_u)
    need = inst.req_qty.astype(float).copy()
    flow = np.zeros(len(arcs))
    for _ in range(rounds):
        open_arc = (need[arcs.req] > EPS) & (left[res_row] > EPS)
        degree = np.bincount(arcs.req[open_arc], minlength=inst.n_requests)
        claim = np.where(open_arc, need[arcs.req] * arcs.ratio / np.maximum(degree[arcs.req], 1), 0.0)
        claimed = np.bincount(res_row, weights=claim, minlength=len(res_u))
        share = np.where(claimed > 0, np.minimum(1.0, left / np.maximum(claimed, EPS)), 0.0)
        give = claim * share[res_row]
        flow += give
        left -= np.bincount(res_row, weights=give, minlength=len(res_u))
        need -= np.bincount(arcs.req, weights=give / arcs.ratio, minlength=inst.n_requests)
        need = np.maximum(need, 0)
    units = np.floor(flow + 1e-6)
    allocation = _finish(inst, "proportional", arcs, units, reach)
    allocation.timings = {"total_seconds": time.perf_counter() - started}
    return allocation


# Explanations --------------------------------------------------------------------------------------------


def explain(inst: Instance, alloc: Allocation) -> np.ndarray:
    """For each request, what bound it: one of BOUNDS (see the module's constants)."""
    arcs, units = alloc.arcs, alloc.units
    n = inst.n_requests
    bound = np.full(n, SHARED, dtype=object)
    need = inst.req_qty
    full = alloc.covered >= need - 1e-6
    late = np.bincount(arcs.req, weights=units * (arcs.late > 0), minlength=n) > 0
    bound[full] = FILLED
    bound[full & late] = LATE
    # Supply in distance at all (ignoring the horizon), to tell "time" from "no stock".
    rid = _resource_ids(inst, arcs)
    res_u, res_row = np.unique(rid, return_inverse=True) if len(rid) else (np.zeros(0, int), np.zeros(0, int))
    used = np.bincount(res_row, weights=units, minlength=len(res_u))
    limit = _resource_limits(inst, res_u)
    saturated = used >= limit - 1 - 1e-6  # within a unit of the limit: whole units cannot do better
    # The most urgent class served by each resource.
    served = units > 0
    top = np.full(len(res_u), inst.n_classes + 1)
    np.minimum.at(top, res_row[served], inst.req_class[arcs.req[served]])
    arc_higher = top[res_row] < inst.req_class[arcs.req]
    higher = np.bincount(arcs.req, weights=arc_higher.astype(float), minlength=n) > 0
    capacity_only = np.bincount(arcs.req, weights=(arcs.kind == STOCK).astype(float), minlength=n) == 0
    arc_sat = saturated[res_row] if len(res_row) else np.zeros(0, bool)
    unsat = np.bincount(arcs.req, weights=(~arc_sat).astype(float), minlength=n) > 0
    has_arcs = np.bincount(arcs.req, minlength=n) > 0
    short = ~full
    # Supply held within distance but arriving too late: the horizon (time) bound it.
    in_distance = _in_distance_any(inst)
    bound[short & ~has_arcs & in_distance] = TIME
    bound[short & ~has_arcs & ~in_distance] = NO_STOCK
    gave_all = alloc.covered >= alloc.reach - 1 - 1e-6
    rest = short & has_arcs
    # It got all that is in reach in time: too little stock near it, or production capacity, bound it.
    alone_short = rest & gave_all & (alloc.reach < need - 1e-6)
    makes = np.bincount(arcs.req, weights=(arcs.kind == CAPACITY).astype(float), minlength=n) > 0
    bound[alone_short & makes] = CAPACITY_BOUND
    bound[alone_short & ~makes] = NO_STOCK
    rest &= ~alone_short
    bound[rest & higher] = PRIORITY
    rest &= ~higher
    bound[rest & capacity_only] = CAPACITY_BOUND
    rest &= ~capacity_only
    bound[rest & unsat] = SHARED  # a unit lost to whole-unit rounding, or an equal share within its class
    return bound


def _in_distance_any(inst: Instance) -> np.ndarray:
    """Per request: whether any source within distance holds or makes one of its usable items at all."""
    nb_key, _ = _neighbours(inst)
    n_src = len(inst.src_xy)
    out = np.zeros(inst.n_requests, bool)
    if len(nb_key) == 0:
        return out
    reqs = np.arange(inst.n_requests)
    u_req, u_item, _ = _usable(inst, reqs)
    for items, srcs in ((inst.pool_item, inst.pool_src), (inst.cap_item, inst.cap_src)):
        i, j = _expand(u_item, items)
        if len(i) == 0:
            continue
        key = inst.req_site[u_req[i]] * n_src + srcs[j]
        pos = np.minimum(np.searchsorted(nb_key, key), len(nb_key) - 1)
        out[u_req[i][nb_key[pos] == key]] = True
    return out


def solve_lp_file(path: str) -> float:
    """Bare HiGHS on an LP file: the seconds its solve took (reading excluded)."""
    h = _new_highs()
    h.readModel(path)
    started = time.perf_counter()
    h.run()
    return time.perf_counter() - started
