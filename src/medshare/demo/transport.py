"""The demo region's emergency transport: the city's ambulances, the taxi association's partner cars, trips.

Calibration: Chinese cities run about one ambulance per 30–50 thousand people (the national
target for 120 networks is at least one per 30 thousand in cities); here one per 40 thousand,
two in five equipped for advanced life support, stationed at the tertiary and secondary hospitals
and the township health centres (the 120 network's stations). The taxi association lends about
one car per 15 thousand people for seated patients (Guangzhou's night-care evacuation). Two
weeks of finished trips (about one request a day per 12 thousand people, mostly levels III–IV)
and a few live ones make the board lively; everything is deterministic from the region's seed.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.demo.generator import SCALES, _regions
from medshare.optim import dispatch as opt
from medshare.registry.models import Institution, InstitutionType
from medshare.transport import rules
from medshare.transport.models import TransportRequest, Vehicle
from medshare.triage import rules as triage_rules

PEOPLE_PER_AMBULANCE = 40_000
PEOPLE_PER_PARTNER_CAR = 15_000
PEOPLE_PER_DAILY_REQUEST = 12_000
HISTORY_DAYS = 14
STATION_WEIGHT = {"tertiary_hospital": 6, "secondary_hospital": 3, "township_health_centre": 1}
LEVELS = (1, 2, 3, 4)
LEVEL_SHARES = (0.04, 0.16, 0.45, 0.35)
ETA = rules.DEFAULT_POLICY.eta


def _population(scale: str) -> int:
    return int(sum(d.weight for _, divisions in _regions(SCALES[scale]) for d in divisions) * 10_000)


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    return (round(lat + rng.gauss(0, km) / 111.2, 6),
            round(lon + rng.gauss(0, km) / (111.2 * np.cos(np.radians(lat))), 6))


def extend(session: Session, context) -> dict[str, int]:
    """Add the fleet, the taxi association and two weeks of trips to the seeded region."""
    region = context.region
    rng = random.Random(f"{region.seed}:transport")
    people = _population(region.scale)
    sites = [row for row in region.institutions if row["latitude"] is not None and row["status"] == "active"]
    stations = [row for row in sites if row["type"] in STATION_WEIGHT]
    homes = [row for row in sites if row["type"] in ("village_clinic", "community_health_centre",
                                                     "township_health_centre", "individual_clinic")] or sites
    receiving = [row for row in sites if row["type"] in ("tertiary_hospital", "secondary_hospital")]
    if not stations or not receiving:
        return {}
    centre = next(row for row in sites if row["type"] == "tertiary_hospital") if any(
        row["type"] == "tertiary_hospital" for row in sites) else stations[0]
    association = Institution(
        code=f"TAXI{region.seed:04d}", name="出租汽车协会应急转运车队",
        name_en="Taxi Association Emergency Car Pool",
        type=InstitutionType.LOGISTICS_FIRM, division_code=centre["division_code"], address=centre["address"],
        latitude=centre["latitude"], longitude=centre["longitude"])
    session.add(association)
    session.flush()
    now = dt.datetime.combine(region.today, dt.time(12), dt.UTC)  # deterministic: the region's today at noon UTC

    ambulances = max(2, round(people / PEOPLE_PER_AMBULANCE))
    cars = max(2, round(people / PEOPLE_PER_PARTNER_CAR))
    weights = [STATION_WEIGHT[row["type"]] for row in stations]
    vehicles = []
    for i in range(ambulances):
        station = rng.choices(stations, weights)[0]
        lat, lon = _jitter(rng, station["latitude"], station["longitude"], 0.1)
        vehicles.append({"institution_id": station["id"], "station_institution_id": station["id"],
                         "call_sign": f"120-{region.seed}-{i + 1:03d}", "kind": "ambulance",
                         "capability": "als" if rng.random() < 0.4 else "bls", "status": "idle",
                         "latitude": lat, "longitude": lon, "position_at": now, "active": True,
                         "created_at": now, "updated_at": now})
    for i in range(cars):
        home = rng.choice(homes)
        lat, lon = _jitter(rng, home["latitude"], home["longitude"], 1.5)
        vehicles.append({"institution_id": association.id, "station_institution_id": None,
                         "call_sign": f"TAXI-{region.seed}-{i + 1:03d}", "kind": "partner_car", "capability": "seated",
                         "status": "idle", "latitude": lat, "longitude": lon, "position_at": now, "active": True,
                         "created_at": now, "updated_at": now})
    session.execute(sa.insert(Vehicle.__table__), vehicles)
    fleet = list(session.execute(sa.select(Vehicle.id, Vehicle.capability, Vehicle.kind, Vehicle.latitude,
                                           Vehicle.longitude).where(Vehicle.call_sign.like(f"%-{region.seed}-%"))
                                 .order_by(Vehicle.id)))
    receiving_lat = np.array([row["latitude"] for row in receiving])
    receiving_lon = np.array([row["longitude"] for row in receiving])
    table = triage_rules.policy_of("cn4")

    def trip(requested_at: dt.datetime, status: str) -> tuple[dict, int | None]:
        home = rng.choice(homes)
        lat, lon = _jitter(rng, home["latitude"], home["longitude"], 1.0)
        level = rng.choices(LEVELS, LEVEL_SHARES)[0]
        can_sit = level >= 3 and rng.random() < 0.6
        needed = rules.needed_capability(level, can_sit, table.seated_levels, table.capability)
        index, _ = opt.nearest(receiving_lat, receiving_lon, lat, lon, 1)
        row = {"status": status, "policy": "cn4", "level": level, "can_sit": can_sit, "capability": needed.value,
               "latitude": lat, "longitude": lon, "origin_institution_id": home["id"],
               "destination_institution_id": receiving[int(index[0])]["id"], "source": "demo", "source_ref": "",
               "note": "", "vehicle_id": None, "assignment": "", "eta_minutes": None, "distance_km": None,
               "requested_at": requested_at, "cancel_reason": "", "created_at": requested_at,
               "updated_at": requested_at}
        for name in ("assigned_at", "en_route_at", "on_scene_at", "transporting_at", "at_hospital_at", "done_at",
                     "cancelled_at"):
            row[name] = None
        if status == "requested":
            return row, None
        suitable = [v for v in fleet if rules.may_carry(v.capability, needed)]
        near, _ = opt.nearest(np.array([v.latitude for v in suitable]), np.array([v.longitude for v in suitable]),
                              lat, lon, 3)
        vehicle = suitable[int(near[0 if rng.random() < 0.7 else rng.randrange(len(near))])]  # nearest, if free
        km = float(opt.haversine_km(vehicle.latitude, vehicle.longitude, lat, lon))
        eta = ETA.minutes(km, vehicle.kind.value, requested_at.hour)
        row |= {"vehicle_id": vehicle.id, "assignment": "nearest", "eta_minutes": round(float(eta), 1),
                "distance_km": round(km, 2), "assigned_at": requested_at + dt.timedelta(minutes=1)}
        steps = ("en_route", "on_scene", "transporting", "at_hospital", "done")
        moment = row["assigned_at"]
        for step in steps[:steps.index(status) + 1] if status in steps else ():
            moment += dt.timedelta(minutes=eta if step == "on_scene" else rng.uniform(2, 15))
            row[f"{step}_at"] = moment
        return row, vehicle.id

    rows = []
    per_day = max(2, round(people / PEOPLE_PER_DAILY_REQUEST))
    for day in range(HISTORY_DAYS, 0, -1):
        for _ in range(per_day):
            moment = now - dt.timedelta(days=day, minutes=rng.uniform(0, 1440))
            status = "cancelled" if rng.random() < 0.05 else "done"
            row, _ = trip(moment, "assigned" if status == "cancelled" else "done")
            if status == "cancelled":
                row |= {"status": "cancelled", "cancelled_at": moment + dt.timedelta(minutes=5),
                        "cancel_reason": "patient went by own means"}
            rows.append(row)
    busy: set[int] = set()
    for status in ("requested", "requested", "assigned", "en_route", "on_scene", "transporting"):
        row, vehicle_id = trip(now - dt.timedelta(minutes=rng.uniform(1, 20)), status)
        if vehicle_id in busy:
            row, vehicle_id = trip(row["requested_at"], "requested")
        if vehicle_id is not None:
            busy.add(vehicle_id)
            session.execute(sa.update(Vehicle).where(Vehicle.id == vehicle_id).values(
                status=rules.VEHICLE_STATUS[rules.RequestStatus(status)].value))
        rows.append(row)
    session.execute(sa.insert(TransportRequest.__table__), rows)
    session.flush()
    return {"institutions": 1, "ambulances": ambulances, "partner_cars": cars, "transport_requests": len(rows)}
