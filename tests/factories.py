"""Test data made through the services, with unique names so tests never collide."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import anyio
from sqlalchemy.orm import Session
from stdnum.cn import ric

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, TokenKind, User
from medshare.accounts.schemas import UserIn
from medshare.identity import service as identity
from medshare.identity.schemas import PatientRecordIn
from medshare.permissions import Principal
from medshare.registry import service as registry
from medshare.registry.models import Institution, InstitutionType, Practitioner, Profession, Title
from medshare.registry.schemas import InstitutionIn, PractitionerIn

PASSWORD = "correct horse battery"
# The platform secret of every test database: the live server opens the CA key made with it.
SECRET_KEY = "test-secret-key-0123456789"
_counter = itertools.count(1)


def unique(prefix: str = "x") -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def national_id(birth: dt.date = dt.date(1980, 5, 17), *, male: bool = True, division: str = "350403") -> str:
    """A valid GB 11643 ID for birth and sex, different on every call."""
    sequence = (next(_counter) * 2 + (1 if male else 0)) % 1000
    body = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_user(session: Session, role: Role, *, institution_id: int | None = None, **extra) -> User:
    """An account of role, created by the operator."""
    return accounts.create_user(session, None, UserIn(username=unique(role.value), password=PASSWORD, role=role,
                                                      institution_id=institution_id, **extra))


def admin_principal(session: Session) -> Principal:
    return accounts.principal_of(make_user(session, Role.PLATFORM_ADMIN))


def make_institution(session: Session, actor: Principal, **overrides) -> Institution:
    values = {"code": unique("inst"), "name": unique("医院"), "type": InstitutionType.SECONDARY_HOSPITAL,
              "grade_level": 2, "grade_class": "A", "division_code": "350403", "latitude": 26.26,
              "longitude": 117.64} | overrides
    return registry.create_institution(session, actor, InstitutionIn(**values))


def make_practitioner(session: Session, actor: Principal, institution_id: int, **overrides) -> Practitioner:
    values = {"licence_number": unique("lic"), "name": "张伟", "profession": Profession.DOCTOR,
              "title": Title.ATTENDING, "specialty": "心内科", "primary_institution_id": institution_id} | overrides
    return registry.create_practitioner(session, actor, PractitionerIn(**values))


def make_patient(session: Session, actor: Principal, institution_id: int, **overrides):
    birth = overrides.pop("birth_date", dt.date(1980, 5, 17))
    values = {"institution_id": institution_id, "local_id": unique("p"), "name": "李娜", "sex": "female",
              "birth_date": birth, "national_id": national_id(birth, male=False)} | overrides
    return identity.create_patient_record(session, actor, PatientRecordIn(**values))


def token_for(session: Session, user: User) -> str:
    raw, _ = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=1))
    return raw


def in_own_loop(test):
    """Run an async test (with its fixtures) in an event loop of its own thread: a browser test
    may hold the loop of the worker's main thread."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, functools.partial(test, *args, **kwargs)).result()

    return run
