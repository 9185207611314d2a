"""`medshare bench scheduling`: the optimal regional schedule against home-only and greedy, on congested regions.

Instances are generated here from a seed with NumPy alone, calibrated on the seeds' cities:
tertiary machines booked out for the whole horizon, secondary and primary ones partly free,
demand concentrated on tertiary hospitals, overall load (existing bookings plus the waiting
list) near 90% of every slot, and a few exams per machine per day.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import time
from dataclasses import dataclass

import numpy as np

from medshare.bench import BenchOptions, benchmark
from medshare.optim import scheduling as opt
from medshare.scheduling.rules import DEFAULT_POLICY, costs_of

MODALITIES = ("MRI", "CT", "ultrasound", "DR")
CAPABILITIES = ("contrast", "3T", "cardiac")
GRADES = (3, 2, 1)


@dataclass
class Region:
    """A generated instance with what the figures need beside it."""

    instance: opt.Instance
    asset_grade: np.ndarray
    total_slots: np.ndarray
    load: float


def generate(seed: int, *, cities: int = 1, requests_per_city: int = 20_000, assets_per_city: int = 300,
             days: int = 14, load: float = 0.9) -> Region:
    """A congested region of cities ~120 km apart, each with its tertiary centre, hospitals and clinics."""
    rng = np.random.default_rng(seed)
    per_city = assets_per_city // 2  # institutions per city: about two assets each on average
    counts = {3: max(1, per_city // 25), 2: max(2, per_city // 6)}
    counts[1] = per_city - counts[3] - counts[2]
    inst_city = np.repeat(np.arange(cities), per_city)
    inst_grade = np.tile(np.concatenate([np.full(counts[g], g) for g in GRADES]), cities)
    centre = rng.uniform(0, 120 * max(1, int(np.ceil(np.sqrt(cities)))), size=(cities, 2))
    spread = np.select([inst_grade == 3, inst_grade == 2], [4.0, 10.0], 15.0)
    inst_xy = centre[inst_city] + rng.normal(0, 1, (len(inst_city), 2)) * spread[:, None]
    n_inst = len(inst_grade)
    # Each institution's medical community: the nearest tertiary hospital's in its city.
    tertiary = np.flatnonzero(inst_grade == 3)
    dist = np.hypot(*(inst_xy[:, None, :] - inst_xy[tertiary][None, :, :]).transpose(2, 0, 1))
    dist[inst_city[:, None] != inst_city[tertiary][None, :]] = np.inf
    community = tertiary[dist.argmin(axis=1)]

    # Assets: tertiary hospitals hold many machines of every kind, clinics one ultrasound or DR.
    weights = np.select([inst_grade == 3, inst_grade == 2], [9.0, 3.0], 0.5)
    m = assets_per_city * cities
    owner = np.sort(rng.choice(n_inst, size=m, p=weights / weights.sum()))
    owner_grade = inst_grade[owner]
    modality = np.where(owner_grade == 1, rng.choice([2, 3], size=m),
                        rng.choice(4, size=m, p=[0.3, 0.3, 0.25, 0.15]))
    caps = np.zeros(m, np.int64)
    caps |= np.where(rng.random(m) < np.where(owner_grade == 1, 0.2, 0.8), 1, 0)  # contrast
    caps |= np.where((modality == 0) & (rng.random(m) < np.where(owner_grade == 3, 0.7, 0.15)), 2, 0)  # 3T
    caps |= np.where((modality == 1) & (rng.random(m) < np.where(owner_grade == 3, 0.6, 0.1)), 4, 0)  # cardiac
    asset_xy = inst_xy[owner] + rng.normal(0, 0.2, (m, 2))
    total = rng.integers(6, 11, size=(m, days))
    # Tertiary machines are booked out for weeks; elsewhere a share is booked already.
    booked_share = np.select([owner_grade == 3, owner_grade == 2], [1.0, 0.2], 0.1)[:, None]
    booked = np.minimum(total, rng.binomial(total, np.clip(booked_share + rng.normal(0, 0.05, (m, 1)), 0, 1)))
    booked[owner_grade == 3] = total[owner_grade == 3] - rng.binomial(1, 0.1, size=(int((owner_grade == 3).sum()),
                                                                                        days))
    # Free capacity on the hospitals and clinics until existing bookings plus the waiting list are the load.
    n = requests_per_city * cities
    extra = max(0, int((booked.sum() + n) / load - total.sum()))
    open_cells = np.flatnonzero(np.repeat(owner_grade != 3, days))
    add = np.bincount(rng.choice(open_cells, size=extra), minlength=m * days).reshape(m, days)
    total = total + add
    capacity = total - booked

    # Requests: enough to bring the region to the load, demand per modality as its slots, homes mostly tertiary.
    free_by_modality = np.bincount(modality, weights=capacity.sum(axis=1), minlength=4)
    total_by_modality = np.bincount(modality, weights=total.sum(axis=1), minlength=4)
    wanted = np.maximum(0, load * total_by_modality - (total_by_modality - free_by_modality))
    req_modality = rng.choice(4, size=n, p=wanted / wanted.sum())
    home = np.empty(n, np.int64)
    pull = np.select([inst_grade == 3, inst_grade == 2], [12.0, 2.0], 0.3)
    for mod in range(4):  # four modalities: vectorised inside
        owners = np.unique(owner[modality == mod])
        mine = np.flatnonzero(req_modality == mod)
        p = pull[owners] / pull[owners].sum()
        home[mine] = rng.choice(owners, size=len(mine), p=p)
    req_xy = np.where((inst_grade[home] == 3)[:, None],
                      centre[inst_city[home]] + rng.normal(0, 12, (n, 2)), inst_xy[home] + rng.normal(0, 4, (n, 2)))
    req_caps = np.where(rng.random(n) < 0.15, 1, 0) | np.where((req_modality == 0) & (rng.random(n) < 0.1), 2, 0)
    req_caps |= np.where((req_modality == 1) & (rng.random(n) < 0.05), 4, 0)
    # Home assets must be able to do the exam, or home-only would be unfair: drop what home cannot do.
    home_caps = np.zeros((n_inst, 4), np.int64)
    np.bitwise_or.at(home_caps, (owner, modality), caps)
    req_caps &= home_caps[home, req_modality]
    urgency = rng.choice(3, size=n, p=[0.05, 0.25, 0.70])
    created = -rng.integers(0, 3 - urgency)  # emergencies are today's, urgent ones at most a day old
    earliest = np.where(rng.random(n) < 0.1, rng.integers(1, 6, size=n), 0)
    due_days = np.array([c.due.days for c in DEFAULT_POLICY.classes])
    due = created + due_days[urgency]
    max_km = np.where(rng.random(n) < 0.1, 15.0, DEFAULT_POLICY.max_travel_km)
    own_first = rng.random(n) < 0.3
    named = np.where(rng.random(n) < 0.03, owner[rng.integers(0, m, size=n)], -1)

    # Sharing policy: 70% open to all, 20% to the owner's community, 10% to grades 2 and 3.
    open_to = rng.choice(3, size=m, p=[0.7, 0.2, 0.1])
    may_book = ((open_to == 0)[None, :] | (owner[None, :] == np.arange(n_inst)[:, None])
                | ((open_to == 1)[None, :] & (community[:, None] == community[owner][None, :]))
                | ((open_to == 2)[None, :] & (inst_grade[:, None] >= 2)))
    instance = opt.Instance(
        req_xy=req_xy, req_modality=req_modality, req_caps=req_caps.astype(np.int64), req_class=urgency,
        req_created=created, req_earliest=earliest, req_due=due, req_max_km=max_km, req_group=home, req_home=home,
        req_own_first=own_first, req_owner=named, asset_xy=asset_xy, asset_modality=modality, asset_caps=caps,
        asset_owner=owner, capacity=capacity, may_book=may_book)
    return Region(instance, owner_grade, total, float((total.sum() - capacity.sum() + n) / total.sum()))


def _write_proposals(plan: opt.Plan, rank: np.ndarray) -> None:
    """Proposal rows into a scratch SQLite table, as a run writes them."""
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE proposals (request INTEGER PRIMARY KEY, asset INTEGER, day INTEGER, slot INTEGER, "
                   "km REAL, reason TEXT)")
        km = np.where(plan.assigned, plan.km, -1.0)
        rows = zip(range(len(plan.asset)), plan.asset.tolist(), plan.day.tolist(), rank.tolist(), km.tolist(),
                   [opt.REASONS.get(c, "") for c in plan.reason.tolist()], strict=True)
        db.executemany("INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?)", rows)


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_case(region: Region, label: str) -> dict:
    """Optimal, home-only and greedy on one region, with timings and the comparison."""
    inst, costs, names = region.instance, costs_of(DEFAULT_POLICY), DEFAULT_POLICY.names
    k = DEFAULT_POLICY.candidates_per_request
    started = time.perf_counter()
    cand = opt.candidates(inst, k)
    candidate_seconds = time.perf_counter() - started
    plan = opt.solve(inst, costs, cand)
    written = time.perf_counter()
    # Writing: slots within each day, then one proposal row per request, inserted in bulk.
    rank = opt.ranks_within_day(plan, -np.asarray(costs.wait_per_day)[inst.req_class])
    _write_proposals(plan, rank)
    write_seconds = time.perf_counter() - written
    optimal = opt.summarise(inst, costs, plan, class_names=names, asset_grade=region.asset_grade,
                            total_slots=region.total_slots)
    in_time = opt.solve(inst, costs, cand, hard_due=True)
    urgent = inst.req_class <= 1
    home = opt.home_only(inst)
    greedy = opt.greedy(inst, cand)
    figures = {
        "case": label,
        "requests": inst.n, "assets": len(inst.asset_modality), "days": inst.days,
        "load_with_requests": round(region.load, 3),
        "free_slots": int(inst.capacity.sum()),
        "arcs": plan.arcs, "nodes": plan.nodes, "independent_parts": plan.parts, "candidate_pairs": len(cand.req),
        "seconds": {"build": round(candidate_seconds + plan.build_seconds, 3),
                    "candidates": round(candidate_seconds, 3),
                    "solve": round(plan.solve_seconds, 3), "write": round(write_seconds, 3),
                    "build_plus_solve": round(candidate_seconds + plan.build_seconds + plan.solve_seconds, 3),
                    "home_only": round(home.solve_seconds, 3), "greedy": round(greedy.solve_seconds, 3)},
        "objective": {"optimal": plan.objective, "optimal_recomputed": opt.objective(inst, costs, plan),
                      "home_only": opt.objective(inst, costs, home), "greedy": opt.objective(inst, costs, greedy)},
        "optimal": optimal,
        "home_only": opt.summarise(inst, costs, home, class_names=names, asset_grade=region.asset_grade,
                                   total_slots=region.total_slots),
        "greedy": opt.summarise(inst, costs, greedy, class_names=names, asset_grade=region.asset_grade,
                                total_slots=region.total_slots),
        "urgent_in_time": {"optimal": int((urgent & plan.assigned & (plan.day <= inst.req_due)).sum()),
                           "most_possible": int((urgent & in_time.assigned).sum()),
                           "requests": int(urgent.sum())},
        "unassigned_reasons": {opt.REASONS[int(c)]: int((plan.reason == c).sum())
                               for c in np.unique(plan.reason) if c},
        "peak_rss_mib": _peak_rss_mib(),
    }
    w = {name: figures[name]["weighted_mean_wait_days"] for name in ("optimal", "home_only", "greedy")}
    figures["weighted_wait_reduction"] = {
        "vs_home_only": round(1 - w["optimal"] / w["home_only"], 4) if w["home_only"] else None,
        "vs_greedy": round(1 - w["optimal"] / w["greedy"], 4) if w["greedy"] else None}
    figures["build_over_solve"] = round(figures["seconds"]["build"] / max(plan.solve_seconds, 1e-9), 3)
    return figures


@benchmark("scheduling", "optimal regional exam schedule vs home-only and greedy on congested city and province")
def run(options: BenchOptions) -> dict:
    """City (20,000 requests, 300 assets, 14 days) and province (200,000, 3,000); --quick: 2,000 over 30."""
    if options.quick or options.scale == "small":
        cases = {"small": generate(options.seed, requests_per_city=2000, assets_per_city=30)}
    else:
        cases = {"city": generate(options.seed), "province": generate(options.seed, cities=10)}
    out = {"machine_cpus": _cpus(), "policy": {"classes": list(DEFAULT_POLICY.names),
                                               "wait_per_day": [c.wait_per_day for c in DEFAULT_POLICY.classes],
                                               "candidates_per_request": DEFAULT_POLICY.candidates_per_request,
                                               "travel_per_km": DEFAULT_POLICY.travel_per_km},
           "note": "waits in days from the request; an unassigned request counts as waiting to the horizon's end"}
    for label, region in cases.items():
        out[label] = run_case(region, label)
    return out


def _cpus() -> int:
    return os.cpu_count() or 1
