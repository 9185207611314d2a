"""A small county for tiered care: a tertiary and a county hospital, a community health centre with its
family-doctor team, a village clinic, their doctors and accounts, and a patient of the community centre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, User
from medshare.care import family
from medshare.care.schemas import ContractIn, TeamIn
from medshare.permissions import Principal
from medshare.registry import service as registry
from medshare.registry.schemas import CommunityIn, MemberIn
from tests import factories as f
from tests.conftest import own_engine, rolled_back_session

T0 = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in the region


@dataclass
class County:
    admin: Principal
    tertiary: int
    county: int
    centre: int
    village: int
    far_tertiary: int  # another city's tertiary hospital, outside the community
    cardiologist: int
    gp: int
    patient: int  # a record at the centre
    centre_doctor: Principal
    tertiary_doctor: Principal
    tertiary_admin: Principal
    centre_admin: Principal
    county_admin: Principal
    team: int


def principal(session, role: Role, institution_id: int | None = None, practitioner_id: int | None = None,
              patient_record_id: int | None = None) -> Principal:
    """An account of role, inserted directly: these tests never sign in, and hashing a password is slow."""
    user = User(username=f.unique(role.value), password_hash="unusable", role=role, institution_id=institution_id,
                practitioner_id=practitioner_id, patient_record_id=patient_record_id)
    session.add(user)
    session.flush()
    return accounts.principal_of(user)


@pytest.fixture(scope="package")
def care_engine(database_url, tmp_path_factory):
    yield from own_engine(database_url, tmp_path_factory.mktemp("care"))


@pytest.fixture
def session(care_engine):
    """Rolled back like everywhere, but in a database of its own: specialist pools and suggestions are
    region-wide, so other packages' committed doctors must not join them."""
    yield from rolled_back_session(care_engine)


@pytest.fixture
def county(session) -> County:
    admin = principal(session, Role.PLATFORM_ADMIN)
    tertiary = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3, grade_class="A",
                                  latitude=26.27, longitude=117.63)
    county_h = f.make_institution(session, admin, latitude=26.20, longitude=117.60)
    centre = f.make_institution(session, admin, type="community_health_centre", grade_level=1, grade_class=None,
                                latitude=26.25, longitude=117.62)
    village = f.make_institution(session, admin, type="village_clinic", grade_level=None, grade_class=None,
                                 latitude=26.24, longitude=117.61)
    far = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3, grade_class="A",
                             division_code="350100", latitude=26.08, longitude=119.30)
    community = registry.create_community(session, admin, CommunityIn(name=f.unique("医共体"),
                                                                      lead_institution_id=tertiary.id))
    registry.add_member(session, admin, community, MemberIn(institution_id=centre.id))
    cardiologist = f.make_practitioner(session, admin, tertiary.id, specialty="心内科")
    f.make_practitioner(session, admin, far.id, specialty="心内科")
    f.make_practitioner(session, admin, far.id, specialty="心内科")
    gp = f.make_practitioner(session, admin, centre.id, specialty="全科")
    patient = f.make_patient(session, admin, centre.id)
    centre_doctor = principal(session, Role.PRACTITIONER, centre.id, gp.id)
    team = family.create_team(session, admin, TeamIn(institution_id=centre.id, name="王医生团队", leader_id=gp.id))
    family.create_contract(session, admin, ContractIn(team_id=team.id, patient_record_id=patient.id,
                                                      package="chronic", conditions=["hypertension"],
                                                      starts_on=dt.date(2026, 1, 1)))
    return County(admin, tertiary.id, county_h.id, centre.id, village.id, far.id, cardiologist.id, gp.id, patient.id,
                  centre_doctor, principal(session, Role.PRACTITIONER, tertiary.id, cardiologist.id),
                  principal(session, Role.INSTITUTION_ADMIN, tertiary.id),
                  principal(session, Role.INSTITUTION_ADMIN, centre.id),
                  principal(session, Role.INSTITUTION_ADMIN, county_h.id), team.id)
