"""Emergency transport dispatch: ETAs, the nearest suitable idle vehicle, and a surge assigned jointly.

ETA model (documented in the README): road distance ≈ great-circle (haversine) distance × a
detour factor; minutes = activation delay of the vehicle + road km / speed, where the speed
depends on the vehicle's kind and the hour (peak, off-peak, night). Pure numpy in, numpy out.

A surge of n simultaneous requests and m idle vehicles is one rectangular assignment problem
(scipy.optimize.linear_sum_assignment, the Jonker–Volgenant algorithm): cost[i, j] is request
i's severity weight × ETA of vehicle j, forbidden where the vehicle may not carry the patient.
Each request also gets a column of its own, "no vehicle now", at weight × a penalty ETA, so a
solution always exists and leaving a request out is priced the same way in the baseline.
The baseline sends each request, in arrival order, the closest suitable idle vehicle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from medshare.geo import EARTH_RADIUS_KM

# Capability ranks: a vehicle may carry a patient whose need ranks no higher than its own.
CAPABILITY_RANK = {"seated": 0, "bls": 1, "als": 2}
FORBIDDEN = 1e12  # cost of a pair that must never be chosen (finite: the solver needs a feasible matrix)


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points (broadcasting arrays of degrees)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(latitude, longitude) -> np.ndarray:
    """Points on the unit sphere: a KD-tree over them orders neighbours exactly as great-circle distance does."""
    lat, lon = np.radians(np.asarray(latitude, float)), np.radians(np.asarray(longitude, float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def nearest(points_lat, points_lon, lat: float, lon: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and haversine km of the k points nearest to (lat, lon), nearest first (KD-tree beyond 64 points)."""
    n = len(points_lat)
    if n == 0:
        return np.zeros(0, int), np.zeros(0)
    k = min(k, n)
    if n > 64:
        _, index = cKDTree(unit_vectors(points_lat, points_lon)).query(unit_vectors([lat], [lon])[0], k=k)
        index = np.atleast_1d(index)
    else:
        index = np.argsort(haversine_km(points_lat, points_lon, lat, lon), kind="stable")[:k]
    km = haversine_km(np.asarray(points_lat)[index], np.asarray(points_lon)[index], lat, lon)
    order = np.argsort(km, kind="stable")
    return index[order], km[order]


@dataclass(frozen=True)
class Speeds:
    """Speeds (km/h) of one vehicle kind by time of day, and its activation delay (minutes)."""

    peak: float
    off_peak: float
    night: float
    activation_minutes: float

    def at(self, hour: int) -> float:
        """The speed at a local hour: peak 7–9 and 17–19, night 22–6, off-peak otherwise."""
        if hour in (7, 8, 17, 18):
            return self.peak
        if hour >= 22 or hour < 6:
            return self.night
        return self.off_peak


@dataclass(frozen=True)
class EtaModel:
    """Road distance = haversine × detour; ETA = activation + road km / speed(kind, hour)."""

    detour: float = 1.35  # circuity of city roads over the straight line (studies find 1.2–1.4)
    ambulance: Speeds = Speeds(peak=28.0, off_peak=38.0, night=48.0, activation_minutes=2.0)
    partner_car: Speeds = Speeds(peak=20.0, off_peak=30.0, night=42.0, activation_minutes=3.0)

    def speeds(self, kind: str) -> Speeds:
        return self.ambulance if kind == "ambulance" else self.partner_car

    def road_km(self, km):
        return np.asarray(km, float) * self.detour

    def minutes(self, km, kind: str, hour: int):
        """ETA in minutes over km of straight-line distance for a vehicle of kind at a local hour."""
        speeds = self.speeds(kind)
        return speeds.activation_minutes + self.road_km(km) / speeds.at(hour) * 60.0


DEFAULT_ETA = EtaModel()


@dataclass
class Fleet:
    """Idle vehicles: positions (degrees), capability ranks (0 seated, 1 BLS, 2 ALS) and kinds."""

    lat: np.ndarray
    lon: np.ndarray
    rank: np.ndarray
    ambulance: np.ndarray  # bool: an ambulance (else a partner car)

    @property
    def m(self) -> int:
        return len(self.lat)


@dataclass
class Requests:
    """Simultaneous requests in arrival order: pickup positions, the rank each needs, severity weights."""

    lat: np.ndarray
    lon: np.ndarray
    need: np.ndarray  # minimum capability rank (0: a seated patient may go by a partner car)
    weight: np.ndarray  # severity weight of the request's triage level

    @property
    def n(self) -> int:
        return len(self.lat)


def eta_matrix(requests: Requests, fleet: Fleet, hour: int, model: EtaModel = DEFAULT_ETA) -> np.ndarray:
    """(n, m) ETA minutes of every vehicle to every request; +inf where the vehicle may not carry the patient."""
    km = haversine_km(requests.lat[:, None], requests.lon[:, None], fleet.lat[None, :], fleet.lon[None, :])
    eta = np.where(fleet.ambulance[None, :], model.minutes(km, "ambulance", hour),
                   model.minutes(km, "partner_car", hour))
    allowed = fleet.rank[None, :] >= requests.need[:, None]
    return np.where(allowed, eta, np.inf)


@dataclass
class Plan:
    """Which vehicle each request gets (-1: none now), its ETA, and the objective."""

    vehicle: np.ndarray  # (n,) index into the fleet, or -1
    eta: np.ndarray  # (n,) minutes; nan when unassigned
    weighted_total: float  # Σ weight × ETA, unassigned requests at the penalty ETA
    seconds: float  # solve time


def _total(eta: np.ndarray, vehicle: np.ndarray, weight: np.ndarray, penalty: float) -> float:
    charged = np.where(vehicle >= 0, np.nan_to_num(eta, nan=penalty), penalty)
    return float((weight * charged).sum())


def closest_idle(requests: Requests, fleet: Fleet, hour: int, *, model: EtaModel = DEFAULT_ETA,
                 penalty_minutes: float = 120.0, eta: np.ndarray | None = None) -> Plan:
    """The baseline: in arrival order, each request takes the suitable idle vehicle with the smallest ETA."""
    started = time.perf_counter()
    eta = eta_matrix(requests, fleet, hour, model) if eta is None else eta
    free = np.ones(fleet.m, bool)
    vehicle = np.full(requests.n, -1)
    chosen = np.full(requests.n, np.nan)
    for i in range(requests.n):
        row = np.where(free, eta[i], np.inf)
        j = int(np.argmin(row)) if fleet.m else -1
        if j >= 0 and np.isfinite(row[j]):
            vehicle[i], chosen[i], free[j] = j, row[j], False
    return Plan(vehicle, chosen, _total(chosen, vehicle, requests.weight, penalty_minutes),
                time.perf_counter() - started)


def joint(requests: Requests, fleet: Fleet, hour: int, *, model: EtaModel = DEFAULT_ETA,
          penalty_minutes: float = 120.0, eta: np.ndarray | None = None, candidates: int | None = None) -> Plan:
    """The surge assigned jointly: minimum Σ severity weight × ETA over suitable vehicles (exact).

    candidates, when given, keeps only each request's that many fastest suitable vehicles as columns
    (the union over requests), which keeps the matrix small for a large fleet; the baseline's
    choices are always kept, so the result is never worse than closest-idle.
    """
    started = time.perf_counter()
    eta = eta_matrix(requests, fleet, hour, model) if eta is None else eta
    n, m = eta.shape
    columns = np.arange(m)
    if candidates is not None and m > candidates:
        keep = np.zeros(m, bool)
        best = np.argpartition(eta, candidates - 1, axis=1)[:, :candidates]
        keep[best.ravel()] = True
        keep[closest_idle(requests, fleet, hour, model=model, eta=eta).vehicle.clip(0)] = True
        columns = np.flatnonzero(keep)
    sub = eta[:, columns]
    # Unassigned requests wait the penalty; a vehicle slower than the penalty is never worth sending.
    cost = np.where(np.isfinite(sub) & (sub <= penalty_minutes), requests.weight[:, None] * sub, FORBIDDEN)
    none_now = np.full((n, n), FORBIDDEN)
    np.fill_diagonal(none_now, requests.weight * penalty_minutes)
    rows, cols = linear_sum_assignment(np.hstack([cost, none_now]))
    vehicle = np.full(n, -1)
    chosen = np.full(n, np.nan)
    real = cols < len(columns)
    vehicle[rows[real]] = columns[cols[real]]
    chosen[rows[real]] = sub[rows[real], cols[real]]
    return Plan(vehicle, chosen, _total(chosen, vehicle, requests.weight, penalty_minutes),
                time.perf_counter() - started)


def summary(plan: Plan, requests: Requests, critical: np.ndarray) -> dict:
    """Mean and worst ETA overall and over the critical requests (levels I–II), and how many got a vehicle."""
    def stats(mask: np.ndarray) -> dict:
        served = mask & (plan.vehicle >= 0)
        values = plan.eta[served]
        return {"requests": int(mask.sum()), "assigned": int(served.sum()),
                "mean_eta_min": round(float(values.mean()), 2) if values.size else None,
                "worst_eta_min": round(float(values.max()), 2) if values.size else None}

    return {"overall": stats(np.ones(requests.n, bool)), "levels_1_2": stats(critical),
            "weighted_total": round(plan.weighted_total, 1), "solve_seconds": round(plan.seconds, 4)}


def minutes_between(km: float, kind: str, hour: int, model: EtaModel = DEFAULT_ETA) -> float:
    """One vehicle's ETA in minutes over km of straight-line distance."""
    return float(model.minutes(km, kind, hour))
