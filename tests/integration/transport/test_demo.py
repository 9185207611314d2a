"""The demo fleet: calibrated on population, partner cars seated only, history, live trips on busy vehicles."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.demo import transport as demo
from medshare.transport.models import TransportRequest, Vehicle
from medshare.transport.rules import LIVE, VehicleStatus
from tests import factories as f
from tests.integration.transport.conftest import quick_principal, spot


def test_the_demo_adds_a_calibrated_fleet_and_two_weeks_of_trips(session):
    admin = quick_principal(session, Role.PLATFORM_ADMIN, None)
    lat, lon = spot()
    rows = []
    for i, (type_, grade) in enumerate((("tertiary_hospital", 3), ("secondary_hospital", 2),
                                        ("township_health_centre", 1), ("village_clinic", None))):
        made = f.make_institution(session, admin, type=type_, grade_level=grade, grade_class=None,
                                  latitude=lat + 0.01 * i, longitude=lon)
        rows.append({"id": made.id, "type": type_, "latitude": made.latitude, "longitude": made.longitude,
                     "status": "active", "division_code": "350403", "address": ""})
    region = SimpleNamespace(scale="small", seed=4242, today=dt.date(2026, 6, 1), institutions=rows)
    counts = demo.extend(session, SimpleNamespace(region=region))
    people = demo._population("small")
    assert counts["ambulances"] == round(people / demo.PEOPLE_PER_AMBULANCE)
    assert counts["partner_cars"] == round(people / demo.PEOPLE_PER_PARTNER_CAR)
    vehicles = session.scalars(sa.select(Vehicle).where(Vehicle.call_sign.like("%-4242-%"))).all()
    assert all(v.capability.value == "seated" for v in vehicles if v.kind.value == "partner_car")
    requests = session.scalars(sa.select(TransportRequest).where(
        TransportRequest.vehicle_id.in_([v.id for v in vehicles]) | (TransportRequest.source == "demo"))).all()
    assert len(requests) >= counts["transport_requests"]
    by_id = {v.id: v for v in vehicles}
    live = [r for r in requests if r.status in LIVE and r.vehicle_id is not None and r.vehicle_id in by_id]
    assert len({r.vehicle_id for r in live}) == len(live)
    assert all(by_id[r.vehicle_id].status is not VehicleStatus.IDLE for r in live)
    for r in requests:
        if r.vehicle_id in by_id and by_id[r.vehicle_id].kind.value == "partner_car":
            assert r.can_sit and r.level >= 3
