"""API shapes of local patient records and of the persons they are linked into."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.schemas import Out, Patch, Strict

if TYPE_CHECKING:
    from medshare.identity.models import PatientRecord, PersonLink
    from medshare.identity.persons import PersonView

Sex = Literal["male", "female", "other", "unknown"]


class PatientRecordIn(Strict):
    institution_id: int
    local_id: str = Field(min_length=1, max_length=64, description="the institution's own patient number")
    name: str = Field(min_length=1, max_length=100, description="name in characters")
    name_pinyin: str = Field("", max_length=200, description="derived from name when empty")
    sex: Sex
    birth_date: dt.date | None = None
    national_id: str | None = Field(None, description="GB 11643 resident ID, 18 characters")
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=300)


class PatientRecordPatch(Patch):
    clearable = frozenset({"birth_date", "national_id"})
    name: str | None = Field(None, min_length=1, max_length=100)
    name_pinyin: str | None = Field(None, max_length=200)
    sex: Sex | None = None
    birth_date: dt.date | None = None
    national_id: str | None = None
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)


class PatientRecordOut(Out):
    id: int
    institution_id: int
    local_id: str
    name: str
    name_pinyin: str
    sex: str
    birth_date: dt.date | None
    national_id: str | None
    phone: str
    address: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonRecordOut(Out):
    """A local record of a person: in full where the reader may read it, else its identifiers only."""

    id: int
    institution_id: int
    local_id: str
    link_how: str
    link_score: float | None = None
    name: str | None = None
    name_pinyin: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None
    active: bool | None = None


class PersonOut(Out):
    id: int
    merged_into_id: int | None
    created_at: dt.datetime
    records: list[PersonRecordOut]


class CrossReferenceOut(Out):
    """PIXm-style: the person behind an institution's local ID, and their IDs elsewhere."""

    person_id: int
    source: PersonRecordOut
    identifiers: list[PersonRecordOut]


class FieldComparisonOut(Out):
    field: str
    level: str
    weight: float


class ReviewItemOut(Out):
    id: int
    record_id: int
    candidate_record_id: int
    institution_id: int
    candidate_institution_id: int
    score: float
    probability: float
    reason: str
    comparisons: list[FieldComparisonOut]
    status: str
    decided_by: int | None
    decided_at: dt.datetime | None
    created_at: dt.datetime


class ReviewDetailOut(ReviewItemOut):
    record: PatientRecordOut
    candidate: PatientRecordOut
    record_person_id: int | None
    candidate_person_id: int | None


class PersonLinkOut(Out):
    patient_record_id: int
    person_id: int
    how: str
    score: float | None
    decided_by: int | None


class MergeIn(Strict):
    other_person_id: int = Field(description="the person whose records move into this one")


def record_out(actor: Principal, permission: Permission, record: PatientRecord,
               link: PersonLink | None) -> PersonRecordOut:
    """A person's record in full where the actor reaches it, else only where it is kept and under which ID."""
    base = {"id": record.id, "institution_id": record.institution_id, "local_id": record.local_id,
            "link_how": link.how if link else "", "link_score": link.score if link else None}
    scope = scope_of(actor, permission)
    full = scope is Scope.ANY or (scope is Scope.OWN_INSTITUTION and record.institution_id == actor.institution_id) \
        or record.id == actor.patient_record_id
    if full:
        base |= {f: getattr(record, f) for f in ("name", "name_pinyin", "sex", "birth_date", "national_id", "phone",
                                                  "address", "active")}
    return PersonRecordOut(**base)


def person_out(actor: Principal, view: PersonView) -> PersonOut:
    """A person and each of their records, as record_out lets the actor see it."""
    return PersonOut(id=view.person.id, merged_into_id=view.person.merged_into_id, created_at=view.person.created_at,
                     records=[record_out(actor, Permission.PERSON_READ, r, view.links.get(r.id))
                              for r in view.records])
