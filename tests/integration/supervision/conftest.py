"""Two hospitals, one with a doctor, regulators of several departments, on both databases."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, User
from medshare.permissions import Principal
from medshare.supervision import cases
from medshare.supervision.models import Department
from tests import factories as f


@dataclass
class Scene:
    hospital: int
    other: int
    doctor_id: int
    admin: Principal  # the hospital's admin
    doctor: Principal
    other_admin: Principal
    health: Principal
    market: Principal
    insurance: Principal


@cache
def _password_hash() -> str:
    return accounts.hash_password(f.PASSWORD)


def fast_user(session, role: Role, institution_id: int | None = None, **extra) -> User:
    """An account with the test password, hashed once per run (argon2 is slow on purpose)."""
    user = User(username=f.unique(role.value), password_hash=_password_hash(), role=role,
                institution_id=institution_id, **extra)
    session.add(user)
    session.flush()
    return user


def make_scene(session) -> Scene:
    operator = accounts.principal_of(fast_user(session, Role.PLATFORM_ADMIN))
    hospital = f.make_institution(session, operator, type="tertiary_hospital", grade_level=3, grade_class="A")
    other = f.make_institution(session, operator)
    doctor = f.make_practitioner(session, operator, hospital.id)

    def account(role: Role, institution_id: int | None = None, **extra) -> Principal:
        return accounts.principal_of(fast_user(session, role, institution_id, **extra))

    regulators = {}
    for department in (Department.HEALTH, Department.MARKET, Department.INSURANCE):
        bureau = f.make_institution(session, operator, type="regulator", grade_level=None, grade_class=None)
        regulators[department] = account(Role.REGULATOR, bureau.id)
        cases.set_department(session, operator, regulators[department].user_id, department)
    return Scene(hospital.id, other.id, doctor.id, account(Role.INSTITUTION_ADMIN, hospital.id),
                 account(Role.PRACTITIONER, hospital.id, practitioner_id=doctor.id),
                 account(Role.INSTITUTION_ADMIN, other.id), regulators[Department.HEALTH],
                 regulators[Department.MARKET], regulators[Department.INSURANCE])


@pytest.fixture
def scene(session) -> Scene:
    return make_scene(session)
