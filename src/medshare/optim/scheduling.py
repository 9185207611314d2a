"""Regional exam scheduling: requests to asset-days as a min-cost flow, the two baselines, and their figures.

The network is the compact one: a request enters each candidate asset once, on its earliest
day, into a chain of days kept per (asset, urgency class, due day); along the chain it waits
a day at a time (paying its class's daily weight, and the lateness weight past its due day)
and leaves it into the asset's day, whose arc to the sink carries that day's free capacity.
Requests of one chain have the same cost for every day, so any way of matching them to the
chain's days costs the same: the one chosen is first-entered, first-served.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

ASSIGNED, NO_MATCHING_ASSET, NOT_ADMITTED, OUT_OF_REACH, NO_CAPACITY, BEYOND_HORIZON = range(6)
REASONS = {
    NO_MATCHING_ASSET: "no-asset-with-modality-and-capabilities",
    NOT_ADMITTED: "no-asset-admits-the-referring-institution",
    OUT_OF_REACH: "no-eligible-asset-within-travel-limit",
    NO_CAPACITY: "no-free-capacity-at-eligible-assets-within-horizon",
    BEYOND_HORIZON: "earliest-date-beyond-horizon",
}
from medshare.geo import EARTH_RADIUS_KM  # noqa: E402


def project_km(latitude: np.ndarray, longitude: np.ndarray, *, origin: tuple[float, float] | None = None) -> np.ndarray:
    """Planar (x, y) kilometres around origin: at a region's scale the error is well under 1%."""
    lat, lon = np.radians(np.asarray(latitude, float)), np.radians(np.asarray(longitude, float))
    lat0 = math.radians(origin[0]) if origin else float(lat.mean()) if lat.size else 0.0
    return np.column_stack([EARTH_RADIUS_KM * lon * math.cos(lat0), EARTH_RADIUS_KM * lat])


@dataclass
class Instance:
    """A batch of requests and the free capacity of the assets, per day of the horizon (day 0 is today).

    Institutions, groups and modalities are small integers; capabilities are bit masks.
    """

    req_xy: np.ndarray  # (n, 2) km
    req_modality: np.ndarray  # (n,)
    req_caps: np.ndarray  # (n,) int64 bit mask of required capabilities
    req_class: np.ndarray  # (n,) urgency class index into Costs' tuples
    req_created: np.ndarray  # (n,) day the request was made (<= 0 for a waiting list)
    req_earliest: np.ndarray  # (n,) first day the exam may take place
    req_due: np.ndarray  # (n,) last day within the due time
    req_max_km: np.ndarray  # (n,) travel limit
    req_group: np.ndarray  # (n,) row of may_book: the referring institution's sharing group
    req_home: np.ndarray  # (n,) home institution
    req_own_first: np.ndarray  # (n,) bool: prefers the home institution
    req_owner: np.ndarray  # (n,) preferred owner institution, or -1
    asset_xy: np.ndarray  # (m, 2) km
    asset_modality: np.ndarray  # (m,)
    asset_caps: np.ndarray  # (m,) int64 bit mask
    asset_owner: np.ndarray  # (m,) owner institution
    capacity: np.ndarray  # (m, days) free exams per day
    may_book: np.ndarray  # (groups, m) bool: the sharing policy admits the group

    @property
    def n(self) -> int:
        return len(self.req_modality)

    @property
    def days(self) -> int:
        return self.capacity.shape[1]


@dataclass(frozen=True)
class Costs:
    """The objective's weights, in integer cost units (one unit: a hundredth of a routine day's wait)."""

    wait_per_day: tuple[int, ...]  # per urgency class
    late_per_day: tuple[int, ...]  # per urgency class, on top of waiting, for each day past due
    late_once: tuple[int, ...]  # per urgency class, once for being late at all: counts late requests
    travel_per_km: float
    unassigned: tuple[int, ...]  # per urgency class: above any assignment's cost, lateness included
    not_own_hospital: int = 0
    not_named_owner: int = 0


@dataclass
class Candidates:
    """(request, asset) pairs a request may use, nearest first per request, with the distance."""

    req: np.ndarray
    asset: np.ndarray
    km: np.ndarray

    def bounds(self, n: int) -> np.ndarray:
        """Start of each request's slice (n + 1 entries)."""
        return np.searchsorted(self.req, np.arange(n + 1))


@dataclass
class Plan:
    """An assignment: asset and day per request (-1 when unassigned), why not, and what it cost to find."""

    asset: np.ndarray
    day: np.ndarray
    km: np.ndarray
    reason: np.ndarray
    objective: int = 0
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    arcs: int = 0
    nodes: int = 0
    parts: int = 0  # independent networks solved

    @property
    def assigned(self) -> np.ndarray:
        return self.asset >= 0


def _admits(inst: Instance, r: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Capabilities and sharing policy, for aligned arrays of requests and assets."""
    caps = inst.req_caps[r]
    return ((inst.asset_caps[a] & caps) == caps) & inst.may_book[inst.req_group[r], a]


def _km(inst: Instance, r: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.hypot(*(inst.req_xy[r] - inst.asset_xy[a]).T)


def candidates(inst: Instance, k: int = 32, oversample: int = 3) -> Candidates:
    """The k nearest eligible assets within each request's reach, plus its preferred owner's eligible ones."""
    parts = []
    for modality in np.unique(inst.req_modality):  # one spatial index per modality: a handful of loops
        assets = np.flatnonzero(inst.asset_modality == modality)
        reqs = np.flatnonzero(inst.req_modality == modality)
        if not len(assets):
            continue
        q = min(len(assets), k * oversample)
        tree = cKDTree(inst.asset_xy[assets])
        bound = float(inst.req_max_km[reqs].max()) * (1 + 1e-9) + 1e-9
        dist, idx = tree.query(inst.req_xy[reqs], k=q, distance_upper_bound=bound)
        dist, idx = dist.reshape(len(reqs), q), idx.reshape(len(reqs), q)
        found = idx < len(assets)
        a = assets[np.where(found, idx, 0)]
        r = np.broadcast_to(reqs[:, None], a.shape)
        ok = found & (dist <= inst.req_max_km[reqs][:, None]) & _admits(inst, r, a)
        ok &= np.cumsum(ok, axis=1) <= k
        parts.append((r[ok], a[ok], dist[ok]))
        # The preferred owner's assets join even when farther than the k nearest.
        owner = np.where(inst.req_owner[reqs] >= 0, inst.req_owner[reqs],
                         np.where(inst.req_own_first[reqs], inst.req_home[reqs], -1))
        by_owner = np.argsort(inst.asset_owner[assets], kind="stable")
        owners = inst.asset_owner[assets][by_owner]
        lo, hi = np.searchsorted(owners, owner, "left"), np.searchsorted(owners, owner, "right")
        width = int((hi - lo).max(initial=0))
        if width:
            j = lo[:, None] + np.arange(width)[None, :]
            valid = (j < hi[:, None]) & (owner[:, None] >= 0)
            ea = assets[by_owner[np.minimum(j, len(assets) - 1)]]
            er = np.broadcast_to(reqs[:, None], ea.shape)
            ekm = _km(inst, er.ravel(), ea.ravel()).reshape(ea.shape)
            chosen = np.where(ok, a, -1)
            fresh = ~(ea[:, :, None] == chosen[:, None, :]).any(axis=2)
            valid &= fresh & (ekm <= inst.req_max_km[reqs][:, None]) & _admits(inst, er, ea)
            parts.append((er[valid], ea[valid], ekm[valid]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return Candidates(empty, empty, np.zeros(0))
    r, a, d = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((d, r))
    return Candidates(r[order].astype(np.int64), a[order].astype(np.int64), d[order])


def _preference_cost(inst: Instance, costs: Costs, r: np.ndarray, a: np.ndarray) -> np.ndarray:
    owner = inst.asset_owner[a]
    cost = np.where(inst.req_own_first[r] & (owner != inst.req_home[r]), costs.not_own_hospital, 0)
    return cost + np.where((inst.req_owner[r] >= 0) & (owner != inst.req_owner[r]), costs.not_named_owner, 0)


def pair_cost(inst: Instance, costs: Costs, r: np.ndarray, a: np.ndarray, day: np.ndarray,
              km: np.ndarray) -> np.ndarray:
    """The objective's cost of request r on asset a on day: weighted wait, lateness, travel, preference."""
    cls = inst.req_class[r]
    wait = np.asarray(costs.wait_per_day, np.int64)[cls] * (day - inst.req_created[r])
    late = np.asarray(costs.late_per_day, np.int64)[cls] * np.maximum(0, day - inst.req_due[r])
    late += np.asarray(costs.late_once, np.int64)[cls] * (day > inst.req_due[r])
    travel = np.rint(costs.travel_per_km * km).astype(np.int64)
    return wait + late + travel + _preference_cost(inst, costs, r, a)


def objective(inst: Instance, costs: Costs, plan: Plan) -> int:
    """The objective of any plan (the optimum's, or a baseline's, for comparison)."""
    r = np.flatnonzero(plan.assigned)
    total = pair_cost(inst, costs, r, plan.asset[r], plan.day[r], plan.km[r]).sum()
    left = inst.req_class[~plan.assigned]
    return int(total) + int(np.asarray(costs.unassigned, np.int64)[left].sum())


def components(n: int, m: int, req: np.ndarray, asset: np.ndarray) -> np.ndarray:
    """Connected components of the request-asset graph, per request: independent parts of one problem."""
    graph = coo_matrix((np.ones(len(req), np.int8), (req, n + asset)), shape=(n + m, n + m))
    return connected_components(graph, directed=False)[1][:n]


def solve(inst: Instance, costs: Costs, cand: Candidates | None = None, *, k: int = 32,
          hard_due: bool = False) -> Plan:
    """The optimal plan; with hard_due, days past due are not offered (the most that can be in time).

    Requests that share no candidate asset, even through others, are independent: each connected part
    (a modality in a city, typically) is solved on its own, which gives the same optimum in less time.
    """
    started = time.perf_counter()
    cand = cand if cand is not None else candidates(inst, k)
    n, days = inst.n, inst.days
    entry_day = np.maximum(inst.req_earliest, 0).astype(np.int64)
    r, a, km = cand.req, cand.asset, cand.km
    keep = entry_day[r] < days
    if hard_due:
        keep &= entry_day[r] <= inst.req_due[r]
    r, a, km = r[keep], a[keep], km[keep]
    part = components(n, len(inst.asset_modality), r, a)[r]
    order = np.argsort(part, kind="stable")
    r, a, km, part = r[order], a[order], km[order], part[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(part)) + 1, len(part)]
    plan = Plan(np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.full(n, np.nan), np.zeros(n, np.int8))
    split = time.perf_counter()
    plan.build_seconds = split - started
    for lo, hi in itertools.pairwise(bounds):  # one loop per independent part, not per arc
        if hi > lo:
            plan.parts += 1
            _solve_part(inst, costs, r[lo:hi], a[lo:hi], km[lo:hi], entry_day, hard_due, plan)
    left = np.ones(n, bool)
    left[r] = False  # requests without any candidate: only their dummy arc, solved here
    plan.objective += int(np.asarray(costs.unassigned, np.int64)[inst.req_class[left]].sum())
    plan.reason = diagnose(inst, plan)
    return plan


def _solve_part(inst: Instance, costs: Costs, r_all: np.ndarray, a_all: np.ndarray, km: np.ndarray,
                entry_day: np.ndarray, hard_due: bool, plan: Plan) -> None:
    """Build and solve the network of one independent part, and write its answer into plan."""
    started = time.perf_counter()
    days = inst.days
    reqs, r = np.unique(r_all, return_inverse=True)
    used_assets, a = np.unique(a_all, return_inverse=True)
    n, m = len(reqs), len(used_assets)
    n_classes = len(costs.wait_per_day)
    wait_w = np.asarray(costs.wait_per_day, np.int64)
    late_w = np.asarray(costs.late_per_day, np.int64)
    once_w = np.asarray(costs.late_once, np.int64)
    e = entry_day[r_all]
    due = inst.req_due.astype(np.int64)[r_all]

    # Chains per (asset, class, due day clipped to the horizon): lateness only differs inside it.
    per_asset = n_classes * (days + 1)
    chain_key = a * per_asset + inst.req_class[r_all].astype(np.int64) * (days + 1) + np.clip(due, -1, days - 1) + 1
    chains, chain_of = np.unique(chain_key, return_inverse=True)
    n_chains = len(chains)
    ch_asset = chains // per_asset
    ch_class = (chains % per_asset) // (days + 1)
    ch_due = chains % (days + 1) - 1
    first = np.full(n_chains, days, np.int64)
    np.minimum.at(first, chain_of, e)

    chain0 = n
    day0 = chain0 + n_chains * days
    sink = day0 + m * days
    n_nodes = sink + 1

    entry = (r, chain0 + chain_of * days + e, np.ones(len(r), np.int64),
             pair_cost(inst, costs, r_all, a_all, e, km))

    dd = np.arange(days, dtype=np.int64)
    ch = np.arange(n_chains, dtype=np.int64)[:, None]
    late = dd[None, :-1] + 1 > ch_due[:, None]
    wait_mask = dd[None, :-1] >= first[:, None]
    if hard_due:
        wait_mask &= ~late
    # The one wait arc that crosses the due day also carries the chain's once-only lateness.
    crossing = dd[None, :-1] == ch_due[:, None]
    wait_cost = (wait_w[ch_class][:, None] + late_w[ch_class][:, None] * late
                 + once_w[ch_class][:, None] * crossing)
    tails = chain0 + ch * days + dd[None, :-1]
    wait = (tails[wait_mask], tails[wait_mask] + 1, np.full(int(wait_mask.sum()), n, np.int64),
            np.broadcast_to(wait_cost, wait_mask.shape)[wait_mask])

    cap = inst.capacity[used_assets].astype(np.int64)
    drop_mask = (dd[None, :] >= first[:, None]) & (cap[ch_asset] > 0)
    drop_ch, drop_day = np.nonzero(drop_mask)
    drop = (chain0 + drop_ch * days + drop_day, day0 + ch_asset[drop_ch] * days + drop_day,
            cap[ch_asset[drop_ch], drop_day], np.zeros(len(drop_ch), np.int64))

    open_a, open_d = np.nonzero(cap > 0)
    sink_arcs = (day0 + open_a * days + open_d, np.full(len(open_a), sink, np.int64), cap[open_a, open_d],
                 np.zeros(len(open_a), np.int64))
    dummy = (np.arange(n, dtype=np.int64), np.full(n, sink, np.int64), np.ones(n, np.int64),
             np.asarray(costs.unassigned, np.int64)[inst.req_class[reqs]])

    groups = (entry, wait, drop, sink_arcs, dummy)
    tail, head, capacity, cost = (np.concatenate([g[i] for g in groups]).astype(np.int64) for i in range(4))
    flow_net = min_cost_flow.SimpleMinCostFlow()
    arcs = flow_net.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
    supply = np.zeros(n_nodes, np.int64)
    supply[:n] = 1
    supply[sink] = -n
    flow_net.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supply)
    built = time.perf_counter()
    status = flow_net.solve()
    solved = time.perf_counter()
    if status != flow_net.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = flow_net.flows(arcs)

    n_entry, n_wait = len(entry[0]), len(wait[0])
    taken = flows[:n_entry] > 0
    tr, tch, te = r_all[taken], chain_of[taken], e[taken]
    drop_flow = flows[n_entry + n_wait:n_entry + n_wait + len(drop_ch)]
    order = np.lexsort((tr, te, tch))  # first entered, first served, within each chain
    slot_ch = np.repeat(drop_ch, drop_flow)
    slot_day = np.repeat(drop_day, drop_flow)
    slot_order = np.lexsort((slot_day, slot_ch))
    plan.asset[tr[order]] = used_assets[ch_asset[tch[order]]]
    plan.day[tr[order]] = slot_day[slot_order]
    plan.km[tr] = km[taken]
    plan.objective += int(flow_net.optimal_cost())
    plan.build_seconds += built - started
    plan.solve_seconds += solved - built
    plan.arcs += len(tail)
    plan.nodes += n_nodes


def diagnose(inst: Instance, plan: Plan) -> np.ndarray:
    """Why each unassigned request is unassigned (ASSIGNED for the others)."""
    reason = np.zeros(inst.n, np.int8)
    for r in np.flatnonzero(~plan.assigned):  # only the unassigned: few, by construction
        if inst.req_earliest[r] >= inst.days:
            reason[r] = BEYOND_HORIZON
            continue
        a = np.flatnonzero(inst.asset_modality == inst.req_modality[r])
        a = a[(inst.asset_caps[a] & inst.req_caps[r]) == inst.req_caps[r]]
        if not len(a):
            reason[r] = NO_MATCHING_ASSET
            continue
        a = a[inst.may_book[inst.req_group[r], a]]
        if not len(a):
            reason[r] = NOT_ADMITTED
            continue
        near = _km(inst, np.full(len(a), r), a) <= inst.req_max_km[r]
        reason[r] = NO_CAPACITY if near.any() else OUT_OF_REACH
    return reason


def _first_come(inst: Instance, cand: Candidates) -> Plan:
    """Each request in arrival order takes the earliest day with room among its candidates (nearest on a tie)."""
    started = time.perf_counter()
    n, days = inst.n, inst.days
    cap = inst.capacity.astype(np.int64).copy()
    bounds = cand.bounds(n)
    asset, day = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    km = np.full(n, np.nan)
    entry = np.maximum(inst.req_earliest, 0)
    for r in np.lexsort((np.arange(n), inst.req_created)):  # a sequential rule: one step per request
        lo, hi, e = bounds[r], bounds[r + 1], entry[r]
        if lo == hi or e >= days:
            continue
        room = cap[cand.asset[lo:hi], e:] > 0
        has = room.any(axis=1)
        if not has.any():
            continue
        when = np.where(has, room.argmax(axis=1), days)
        j = int(when.argmin())
        asset[r], day[r], km[r] = cand.asset[lo + j], e + when[j], cand.km[lo + j]
        cap[asset[r], day[r]] -= 1
    plan = Plan(asset, day, km, np.zeros(n, np.int8), solve_seconds=time.perf_counter() - started)
    plan.reason = diagnose(inst, plan)
    return plan


def greedy(inst: Instance, cand: Candidates) -> Plan:
    """Baseline (b): in arrival order, each request takes the earliest eligible slot within reach."""
    return _first_come(inst, cand)


def home_candidates(inst: Instance) -> Candidates:
    """Each request's home institution's assets of its modality and capabilities (the owner's own: no policy)."""
    by_owner = np.argsort(inst.asset_owner, kind="stable")
    owners = inst.asset_owner[by_owner]
    lo = np.searchsorted(owners, inst.req_home, "left")
    count = np.searchsorted(owners, inst.req_home, "right") - lo
    r = np.repeat(np.arange(inst.n), count)
    offset = np.arange(len(r)) - np.repeat(np.cumsum(count) - count, count)
    a = by_owner[np.repeat(lo, count) + offset]
    caps = inst.req_caps[r]
    ok = (inst.asset_modality[a] == inst.req_modality[r]) & ((inst.asset_caps[a] & caps) == caps)
    r, a = r[ok], a[ok]
    km = _km(inst, r, a)
    order = np.lexsort((km, r))
    return Candidates(r[order], a[order], km[order])


def home_only(inst: Instance) -> Plan:
    """Baseline (a): every patient waits for their own hospital, first come, first served."""
    return _first_come(inst, home_candidates(inst))


def ranks_within_day(plan: Plan, priority: np.ndarray) -> np.ndarray:
    """Each assigned request's place among those on its asset and day (lower priority value first); -1 if none."""
    rank = np.full(len(plan.asset), -1, np.int64)
    r = np.flatnonzero(plan.assigned)
    order = r[np.lexsort((r, priority[r], plan.day[r], plan.asset[r]))]
    key = plan.asset[order] * (plan.day.max(initial=0) + 1) + plan.day[order]
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank[order] = np.arange(len(order)) - group_start
    return rank


def _stats(values: np.ndarray) -> dict:
    if not len(values):
        return {"mean": None, "p90": None}
    return {"mean": round(float(values.mean()), 3), "p90": round(float(np.percentile(values, 90)), 3)}


def summarise(inst: Instance, costs: Costs, plan: Plan, *, class_names: tuple[str, ...],
              asset_grade: np.ndarray | None = None, total_slots: np.ndarray | None = None) -> dict:
    """Waits by class, share within due, travel, share unassigned, utilisation by grade (given grades and slots)."""
    # An unassigned request counts as waiting to the horizon's end: a lower bound, never flattering a baseline.
    n, days = inst.n, inst.days
    done = plan.assigned
    day = np.where(done, plan.day, days)
    wait = (day - inst.req_created).astype(float)
    in_time = done & (plan.day <= inst.req_due)
    weights = np.asarray(costs.wait_per_day, float)[inst.req_class]
    out: dict = {
        "requests": n,
        "weighted_mean_wait_days": round(float((weights * wait).sum() / max(weights.sum(), 1e-9)), 3),
        "mean_wait_days": round(float(wait.mean()), 3) if n else None,
        "share_within_due": round(float(in_time.mean()), 4) if n else None,
        "mean_travel_km": round(float(plan.km[done].mean()), 2) if done.any() else None,
        "share_unassigned": round(float((~done).mean()), 4) if n else None,
        "by_urgency": {},
    }
    for c, name in enumerate(class_names):
        mine = inst.req_class == c
        out["by_urgency"][name] = {"requests": int(mine.sum()), **{f"{k}_wait_days": v for k, v in
                                                                 _stats(wait[mine]).items()},
                                   "share_within_due": round(float(in_time[mine].mean()), 4) if mine.any() else None,
                                   "unassigned": int((mine & ~done).sum())}
    if asset_grade is not None and total_slots is not None:
        used = np.zeros_like(inst.capacity, dtype=np.int64)
        np.add.at(used, (plan.asset[done], plan.day[done]), 1)
        booked = total_slots - inst.capacity + used
        grades = {}
        for grade in np.unique(asset_grade):
            mine = asset_grade == grade
            grades[str(int(grade))] = round(float(booked[mine].sum() / max(total_slots[mine].sum(), 1)), 4)
        out["utilisation_by_grade"] = grades
        out["utilisation_spread"] = round(max(grades.values()) - min(grades.values()), 4) if grades else 0.0
    return out
