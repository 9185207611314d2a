"""A small place of the tests' own: a tertiary and a community hospital far from any other test's data, a fleet."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, User
from medshare.permissions import Principal
from medshare.transport import service as transport
from medshare.transport.rules import VehicleKind
from medshare.triage.rules import Capability
from tests import factories as f
from tests.integration.api.conftest import client  # noqa: F401  (the live server's client fixture)


@dataclass
class Place:
    lat: float
    lon: float
    tertiary: int
    clinic: int
    admin: Principal  # the tertiary hospital's admin
    crew: Principal  # a practitioner account of the tertiary hospital
    dispatcher: Principal  # the health commission (regulator)


def spot() -> tuple[float, float]:
    """A point no other test uses (the region is searched by distance, so tests keep apart)."""
    return round(random.uniform(30.0, 45.0), 4), round(random.uniform(85.0, 110.0), 4)


def quick_principal(session, role: Role, institution_id: int | None) -> Principal:
    """An account without a usable password (hashing one is slow and these tests never sign in)."""
    user = User(username=f.unique(role.value), password_hash="!", role=role, institution_id=institution_id)
    session.add(user)
    session.flush()
    return accounts.principal_of(user)


def make_place(session) -> Place:
    admin = quick_principal(session, Role.PLATFORM_ADMIN, None)
    lat, lon = spot()
    tertiary = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3, latitude=lat + 0.02,
                                  longitude=lon)
    clinic = f.make_institution(session, admin, type="community_health_centre", grade_level=1, grade_class=None,
                                latitude=lat - 0.01, longitude=lon)
    hospital_admin = quick_principal(session, Role.INSTITUTION_ADMIN, tertiary.id)
    crew = quick_principal(session, Role.PRACTITIONER, tertiary.id)
    commission = f.make_institution(session, admin, type="regulator", grade_level=None, grade_class=None,
                                    latitude=lat, longitude=lon + 0.02)
    dispatcher = quick_principal(session, Role.REGULATOR, commission.id)
    return Place(lat, lon, tertiary.id, clinic.id, hospital_admin, crew, dispatcher)


def add_vehicle(session, place: Place, capability: Capability, dlat: float, dlon: float = 0.0):
    kind = VehicleKind.PARTNER_CAR if capability is Capability.SEATED else VehicleKind.AMBULANCE
    return transport.create_vehicle(session, place.admin, institution_id=place.tertiary, call_sign=f.unique("V"),
                                    kind=kind, capability=capability, latitude=place.lat + dlat,
                                    longitude=place.lon + dlon)


@pytest.fixture
def place(session) -> Place:
    return make_place(session)
