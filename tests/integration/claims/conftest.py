"""An insurer, a covered patient of the requesting hospital, and an MRI exam on another hospital's scanner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.models import Booking
from medshare.assets.schemas import BookingIn
from medshare.claims import service as claims
from medshare.claims.schemas import CoverageIn
from medshare.permissions import Principal
from tests import factories as f
from tests.integration.assets.conftest import MONDAY, NOW, Region, at, mri_in, region  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Accounts made here never sign in with a password: a light argon2 keeps each test's setup quick."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@dataclass
class World:
    region: Region
    insurer_id: int
    insurer: Principal
    other_insurer: Principal
    patient_id: int
    patient: Principal  # the patient's own account
    stranger: Principal  # another patient's account
    asset_id: int


def insurer_institution(session, admin):
    return f.make_institution(session, admin, type="insurer", grade_level=None, grade_class=None,
                              name=f.unique("医保中心"))


@pytest.fixture
def world(session, region) -> World:  # noqa: F811 (the imported fixture)
    admin = f.admin_principal(session)
    insurer, other = insurer_institution(session, admin), insurer_institution(session, admin)
    patient = f.make_patient(session, admin, region.outsider_id)
    stranger = f.make_patient(session, admin, region.outsider_id)
    claims.add_coverage(session, region.outsider, CoverageIn(
        patient_record_id=patient.id, insurer_institution_id=insurer.id, policy_number=f.unique("POL"),
        valid_from=MONDAY - dt.timedelta(days=365)))

    def account(role: Role, **extra) -> Principal:
        return accounts.principal_of(f.make_user(session, role, **extra))

    mri = assets.create_asset(session, region.owner, mri_in(region.owner_id))
    return World(region, insurer.id, account(Role.INSURER, institution_id=insurer.id),
                 account(Role.INSURER, institution_id=other.id), patient.id,
                 account(Role.PATIENT, patient_record_id=patient.id),
                 account(Role.PATIENT, patient_record_id=stranger.id), mri.id)


def completed_exam(session, w: World, *, patient_record_id: int | None = None, day: int = 1,
                   hour: int = 9) -> Booking:
    """An MRI the outsider hospital booked for its patient, done and recorded by the owner."""
    data = BookingIn(asset_id=w.asset_id, exam_code="MRI-HEAD", starts_at=at(day, hour),
                     patient_record_id=patient_record_id or w.patient_id)
    booking, _ = bookings.book(session, w.region.outsider, data, now=NOW)
    return bookings.record_outcome(session, w.region.owner, booking, completed=True, now=at(day, hour + 1))
