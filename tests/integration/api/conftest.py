"""A small world on the live server: two hospitals, their admins, staff, patients and tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import pytest

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.registry import service as registry
from medshare.registry.schemas import CommunityIn, LicenceIn, RegistrationIn
from tests import factories as f


@dataclass
class World:
    hospital_a: int
    hospital_b: int
    spare_site: int
    community_a: int
    licence_a: int
    practitioner_a: int
    registration_a: int
    patient_a: int
    user_a: int
    tokens: dict[str, str]


def build_world(committed) -> World:
    """Two hospitals with their objects and accounts, committed for the live server to see."""
    with transaction(committed) as session:
        operator = f.make_user(session, Role.PLATFORM_ADMIN)
        admin = f.admin_principal(session)
        a = f.make_institution(session, admin)
        b = f.make_institution(session, admin)
        spare = f.make_institution(session, admin, type="community_health_centre", grade_level=1, grade_class=None)
        community = registry.create_community(session, admin, CommunityIn(name=f.unique("医联体"),
                                                                          lead_institution_id=a.id))
        licence = registry.add_licence(session, admin, a, LicenceIn(
            number=f.unique("PDY"), valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2029, 1, 1)))
        practitioner = f.make_practitioner(session, admin, a.id)
        registration = registry.add_registration(session, admin, practitioner, RegistrationIn(
            institution_id=spare.id, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2027, 1, 1)))
        patient = f.make_patient(session, admin, a.id)
        users = {
            "platform": operator,
            "regulator": f.make_user(session, Role.REGULATOR, institution_id=b.id),
            "admin_a": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=a.id),
            "admin_b": f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=b.id),
            "doctor_a": f.make_user(session, Role.PRACTITIONER, institution_id=a.id, practitioner_id=practitioner.id),
            "doctor_b": f.make_user(session, Role.PRACTITIONER, institution_id=b.id),
            "supplier": f.make_user(session, Role.SUPPLIER, institution_id=b.id),
            "patient_a": f.make_user(session, Role.PATIENT, patient_record_id=patient.id),
        }
        user_a = f.make_user(session, Role.PRACTITIONER, institution_id=a.id)
        tokens = {name: f.token_for(session, user) for name, user in users.items()}
        return World(a.id, b.id, spare.id, community.id, licence.id, practitioner.id, registration.id, patient.id,
                     user_a.id, tokens)


@pytest.fixture(scope="session")
def world(committed) -> World:
    return build_world(committed)


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
