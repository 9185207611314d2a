"""Patient records made to land where a test needs them: linked, in review, or a person of their own."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.identity import service as identity
from medshare.identity.models import PatientRecord, PersonLink, ReviewItem
from medshare.identity.schemas import PatientRecordIn
from medshare.permissions import Principal
from tests import factories as f

# Rare characters, so that names made here never meet the factories' 李娜 or each other.
FAMILIES = "禤亓郗鄢斛隗宓靳戢逄"
GIVEN = "骞翀淼翾甪甯犇昇珺玥琤璟瑄瑭晅暻曌燊炜熠"
_rng = random.Random()


def unique_name() -> str:
    """A three-character name unlikely to be used by any other test."""
    return _rng.choice(FAMILIES) + _rng.choice(GIVEN) + _rng.choice(GIVEN)


def unique_birth() -> dt.date:
    """A birth date unlikely to be used by any other test (day <= 12, so it can be transposed)."""
    return dt.date(_rng.randrange(1930, 2010), _rng.randrange(1, 13), _rng.randrange(1, 13))


def record(session: Session, actor: Principal, institution_id: int, **values) -> PatientRecord:
    """A record registered through the service (and so linked at once)."""
    born = values.pop("birth_date", None) or unique_birth()
    sex = values.pop("sex", "male")
    data = {"institution_id": institution_id, "local_id": f.unique("m"), "name": unique_name(), "sex": sex,
            "birth_date": born, "national_id": f.national_id(born, male=sex == "male")} | values
    return identity.create_patient_record(session, actor, PatientRecordIn(**data))


def person_of(session: Session, record_id: int) -> int:
    """The person a record is linked to."""
    return session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == record_id))


def review_pair(session: Session, actor: Principal, institution_id: int,
                other_institution_id: int | None = None) -> ReviewItem:
    """Two records of one name, birth date and phone but different valid IDs: an id-conflict review."""
    born, name, phone = unique_birth(), unique_name(), f"139{_rng.randrange(10**8):08d}"
    first = record(session, actor, institution_id, name=name, birth_date=born, phone=phone)
    second = record(session, actor, other_institution_id or institution_id, name=name, birth_date=born, phone=phone)
    item = session.query(ReviewItem).filter_by(record_id=second.id, candidate_record_id=first.id).one()
    return item
