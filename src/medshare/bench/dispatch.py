"""`medshare bench dispatch`: surges of simultaneous transport requests, assigned jointly vs closest-idle.

The city is the demo generator's (the same institutions and towns, without patients): 500
vehicles — ambulances stationed at hospitals and health centres (two in five advanced life
support), and the taxi association's partner cars spread over the towns — and surges of 50 and
200 requests of mixed severity placed where people live (division population weights). Each
surge is solved both ways on the same ETA matrix at the evening peak; figures are means over
several surges, with the joint/closest-idle ratios.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import numpy as np

from medshare.bench import BenchOptions, benchmark
from medshare.demo.generator import SCALES, _institutions, _regions
from medshare.demo.institutions import InstitutionBuilder
from medshare.optim import dispatch as opt
from medshare.registry.models import InstitutionType as T
from medshare.transport.rules import DEFAULT_POLICY

STATIONS = {T.TERTIARY_HOSPITAL: 6, T.SECONDARY_HOSPITAL: 3, T.PRIMARY_HOSPITAL: 1, T.TOWNSHIP_HEALTH_CENTRE: 1,
            T.COMMUNITY_HEALTH_CENTRE: 1}  # relative number of ambulances stationed at each type
LEVEL_SHARES = (0.05, 0.20, 0.40, 0.35)  # levels I–IV among emergency calls
PEAK_HOUR = 18


def city(seed: int) -> tuple[list, list[tuple[float, float, float]]]:
    """The demo city's institutions (as builder sites) and where people live (lat, lon, weight)."""
    scale = SCALES["city"]
    regions = _regions(scale)
    builder = InstitutionBuilder(random.Random(f"{seed}:institutions"), dt.date(2026, 1, 1))
    _institutions(builder, scale, regions)
    homes = []
    for _, divisions in regions:
        for division in divisions:
            towns = division.towns or []
            for town in towns:
                places = town.villages or [town]
                for place in places:
                    homes.append((place.latitude, place.longitude, division.weight / max(1, len(towns) * len(places))
                                  * (3.0 if division.urban else 1.0)))
            if not towns:
                homes.append((division.latitude, division.longitude, division.weight))
    return builder.sites, homes


def fleet_of(rng: np.random.Generator, sites: list, homes: np.ndarray, vehicles: int,
             ambulance_share: float = 0.4) -> opt.Fleet:
    """Ambulances at stations (some still out after a trip), partner cars around the towns."""
    stations = [s for s in sites if s.type in STATIONS]
    weight = np.array([STATIONS[s.type] for s in stations], float)
    ambulances = round(vehicles * ambulance_share)
    at = rng.choice(len(stations), size=ambulances, p=weight / weight.sum())
    lat = np.array([stations[i].latitude for i in at]) + rng.normal(0, 0.004, ambulances)
    lon = np.array([stations[i].longitude for i in at]) + rng.normal(0, 0.004, ambulances)
    out = rng.random(ambulances) < 0.3  # returning from a trip, somewhere in the city
    pick = rng.choice(len(homes), size=ambulances, p=homes[:, 2] / homes[:, 2].sum())
    lat = np.where(out, homes[pick, 0], lat)
    lon = np.where(out, homes[pick, 1], lon)
    rank = np.where(rng.random(ambulances) < 0.4, 2, 1)
    cars = vehicles - ambulances
    spot = rng.choice(len(homes), size=cars, p=homes[:, 2] / homes[:, 2].sum())
    car_lat = homes[spot, 0] + rng.normal(0, 0.01, cars)
    car_lon = homes[spot, 1] + rng.normal(0, 0.01, cars)
    return opt.Fleet(lat=np.concatenate([lat, car_lat]), lon=np.concatenate([lon, car_lon]),
                     rank=np.concatenate([rank, np.zeros(cars, int)]),
                     ambulance=np.concatenate([np.ones(ambulances, bool), np.zeros(cars, bool)]))


def surge_of(rng: np.random.Generator, homes: np.ndarray, n: int) -> tuple[opt.Requests, np.ndarray]:
    """n simultaneous requests where people live; levels I–IV; levels III–IV sit with probability 0.6."""
    spot = rng.choice(len(homes), size=n, p=homes[:, 2] / homes[:, 2].sum())
    level = rng.choice(4, size=n, p=LEVEL_SHARES) + 1
    sits = (level >= 3) & (rng.random(n) < 0.6)
    need = np.where(level <= 2, 2, np.where(sits, 0, 1))
    weight = np.array([DEFAULT_POLICY.weight(int(x)) for x in level])
    return opt.Requests(lat=homes[spot, 0] + rng.normal(0, 0.01, n), lon=homes[spot, 1] + rng.normal(0, 0.01, n),
                        need=need, weight=weight), level


def _ratio(a, b) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def run_size(rng: np.random.Generator, sites: list, homes: np.ndarray, vehicles: int, n: int, repeats: int) -> dict:
    """Figures over repeats surges of n requests on fresh fleets: means of each figure, worst of the worst."""
    rows = {"joint": [], "closest_idle": []}
    seconds = []
    for _ in range(repeats):
        fleet = fleet_of(rng, sites, homes, vehicles)
        requests, level = surge_of(rng, homes, n)
        critical = level <= 2
        started = time.perf_counter()
        eta = opt.eta_matrix(requests, fleet, PEAK_HOUR, DEFAULT_POLICY.eta)
        joint = opt.joint(requests, fleet, PEAK_HOUR, eta=eta, penalty_minutes=DEFAULT_POLICY.penalty_minutes,
                          candidates=DEFAULT_POLICY.candidates)
        seconds.append(time.perf_counter() - started)
        baseline = opt.closest_idle(requests, fleet, PEAK_HOUR, eta=eta,
                                    penalty_minutes=DEFAULT_POLICY.penalty_minutes)
        rows["joint"].append(opt.summary(joint, requests, critical))
        rows["closest_idle"].append(opt.summary(baseline, requests, critical))

    def mean(policy: str, group: str, key: str) -> float | None:
        values = [r[group][key] for r in rows[policy] if r[group][key] is not None]
        return round(float(np.mean(values)), 2) if values else None

    def worst(policy: str, group: str) -> float | None:
        values = [r[group]["worst_eta_min"] for r in rows[policy] if r[group]["worst_eta_min"] is not None]
        return round(float(max(values)), 2) if values else None

    figures = {}
    for policy in rows:
        figures[policy] = {
            "mean_eta_min": mean(policy, "overall", "mean_eta_min"),
            "worst_eta_min": worst(policy, "overall"),
            "mean_eta_levels_1_2_min": mean(policy, "levels_1_2", "mean_eta_min"),
            "worst_eta_levels_1_2_min": worst(policy, "levels_1_2"),
            "assigned": round(float(np.mean([r["overall"]["assigned"] for r in rows[policy]])), 1),
            "weighted_total": round(float(np.mean([r["weighted_total"] for r in rows[policy]])), 1),
        }
    j, c = figures["joint"], figures["closest_idle"]
    figures["ratios_joint_over_closest_idle"] = {
        key: _ratio(j[key], c[key]) for key in ("mean_eta_min", "worst_eta_min", "mean_eta_levels_1_2_min",
                                                "worst_eta_levels_1_2_min", "weighted_total")}
    figures["joint_solve_seconds_mean"] = round(float(np.mean(seconds)), 4)
    figures["joint_solve_seconds_max"] = round(float(max(seconds)), 4)
    figures["surges"] = repeats
    figures["surges_where_joint_worst_1_2_is_not_worse"] = sum(
        (a["levels_1_2"]["worst_eta_min"] or 0) <= (b["levels_1_2"]["worst_eta_min"] or 0)
        for a, b in zip(rows["joint"], rows["closest_idle"], strict=True))
    figures["targets_met"] = bool(
        j["worst_eta_levels_1_2_min"] is not None and c["worst_eta_levels_1_2_min"] is not None
        and j["worst_eta_levels_1_2_min"] <= c["worst_eta_levels_1_2_min"] and j["mean_eta_min"] <= c["mean_eta_min"]
        and max(seconds) < 1.0)
    return figures


@benchmark("dispatch", "surges of 50 and 200 transport requests on 500 vehicles: joint assignment vs closest-idle")
def run(options: BenchOptions) -> dict:
    """Joint vs closest-idle ETAs on the demo city's geography, and the joint solve time."""
    started = time.perf_counter()
    sites, homes = city(options.seed)
    homes = np.array(homes, float)
    rng = np.random.default_rng(options.seed)
    vehicles, sizes, repeats = (120, (10, 40), 2) if options.quick else (500, (50, 200), 10)
    figures = {"vehicles": vehicles, "hour": PEAK_HOUR, "eta_model": {
        "detour": DEFAULT_POLICY.eta.detour, "ambulance_kmh_peak": DEFAULT_POLICY.eta.ambulance.peak,
        "partner_car_kmh_peak": DEFAULT_POLICY.eta.partner_car.peak}}
    for n in sizes:
        figures[f"surge_{n}"] = run_size(rng, sites, homes, vehicles, n, repeats)
    figures["seconds"] = round(time.perf_counter() - started, 2)
    return figures
