"""An MRI at a tertiary hospital, a medical mall's consulting room, and the people who book them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import service as assets
from medshare.assets.schemas import AssetIn
from medshare.permissions import Principal
from medshare.registry import service as registry
from medshare.registry.schemas import CommunityIn, MemberIn, RegistrationIn
from tests import factories as f

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2027, 3, 1)
NOW = dt.datetime.combine(MONDAY, dt.time(7), TZ).astimezone(dt.UTC)


def at(day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local wall-clock time, days after MONDAY, in UTC."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day_offset), dt.time(hour, minute), TZ).astimezone(dt.UTC)


def every_day(opens: int = 8, closes: int = 18) -> list[dict]:
    return [{"weekday": d, "opens": f"{opens:02d}:00", "closes": f"{closes:02d}:00"} for d in range(7)]


def mri_in(owner_id: int, **overrides) -> AssetIn:
    values = {
        "owner_institution_id": owner_id, "name": f.unique("MRI 3T"), "kind": "equipment", "modality": "MRI",
        "capabilities": ["3T", "contrast"], "latitude": 26.26, "longitude": 117.64, "open_to": "all",
        "hours": every_day(), "exam_types": [{"code": "MRI-HEAD", "name": "MRI head", "minutes": 30},
                                             {"code": "MRI-SPINE", "name": "MRI spine", "minutes": 45}],
        "prices": [{"category": "own", "amount_fen": 30000}, {"category": "community", "amount_fen": 40000},
                   {"category": "other", "amount_fen": 60000},
                   {"exam_code": "MRI-SPINE", "category": "other", "amount_fen": 70000}],
    } | overrides
    return AssetIn(**values)


@dataclass
class Region:
    owner: Principal
    member: Principal  # an institution admin in the owner's medical community
    outsider: Principal  # an institution admin outside it
    owner_id: int
    member_id: int
    outsider_id: int
    doctor: Principal  # a practitioner of the outsider, registered at the owner (multi-site)
    unregistered_doctor: Principal


@pytest.fixture
def region(session) -> Region:
    admin = f.admin_principal(session)
    owner = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3, grade_class="A")
    member = f.make_institution(session, admin, type="community_health_centre", grade_level=1, grade_class=None)
    outsider = f.make_institution(session, admin)
    community = registry.create_community(session, admin, CommunityIn(name=f.unique("医联体"),
                                                                      lead_institution_id=owner.id))
    registry.add_member(session, admin, community, MemberIn(institution_id=member.id))
    practitioner = f.make_practitioner(session, admin, outsider.id)
    registry.add_registration(session, admin, practitioner, RegistrationIn(
        institution_id=owner.id, valid_from=MONDAY - dt.timedelta(days=30), valid_to=MONDAY + dt.timedelta(days=365)))
    other_practitioner = f.make_practitioner(session, admin, outsider.id)

    def account(role: Role, institution_id: int, **extra) -> Principal:
        return accounts.principal_of(f.make_user(session, role, institution_id=institution_id, **extra))

    return Region(
        owner=account(Role.INSTITUTION_ADMIN, owner.id), member=account(Role.INSTITUTION_ADMIN, member.id),
        outsider=account(Role.INSTITUTION_ADMIN, outsider.id), owner_id=owner.id, member_id=member.id,
        outsider_id=outsider.id,
        doctor=account(Role.PRACTITIONER, outsider.id, practitioner_id=practitioner.id),
        unregistered_doctor=account(Role.PRACTITIONER, outsider.id, practitioner_id=other_practitioner.id))


@pytest.fixture
def mri(session, region):
    return assets.create_asset(session, region.owner, mri_in(region.owner_id))
