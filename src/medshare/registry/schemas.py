"""API shapes of the registries."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from medshare.registry.models import InstitutionStatus, InstitutionType, Profession, Title
from medshare.schemas import Out, Patch, Strict

GradeClass = Literal["A", "B", "C"]
Sex = Literal["male", "female", "other", "unknown"]


class InstitutionIn(Strict):
    code: str = Field(min_length=1, max_length=32, description="unified social credit code or registry code")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    type: InstitutionType
    grade_level: Literal[1, 2, 3] | None = None
    grade_class: GradeClass | None = None
    division_code: str = Field(description="GB/T 2260 administrative division code, six digits")
    address: str = Field("", max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    phone: str = Field("", max_length=40)


class InstitutionPatch(Patch):
    clearable = frozenset({"grade_level", "grade_class", "latitude", "longitude"})
    name: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    type: InstitutionType | None = None
    grade_level: Literal[1, 2, 3] | None = None
    grade_class: GradeClass | None = None
    division_code: str | None = None
    address: str | None = Field(None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = Field(None, max_length=40)


class LicenceIn(Strict):
    number: str = Field(min_length=1, max_length=64)
    scope: str = Field("", max_length=500)
    valid_from: dt.date
    valid_to: dt.date


class LicenceOut(Out):
    id: int
    institution_id: int
    number: str
    scope: str
    valid_from: dt.date
    valid_to: dt.date
    status: str = Field(description="valid, expiring (within 90 days), expired or not_yet_valid")


class CommunityRef(Out):
    id: int
    name: str
    kind: str


class InstitutionOut(Out):
    id: int
    code: str
    name: str
    name_en: str
    type: InstitutionType
    grade_level: int | None
    grade_class: str | None
    division_code: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    status: InstitutionStatus
    licences: list[LicenceOut] = []
    communities: list[CommunityRef] = []
    created_at: dt.datetime
    updated_at: dt.datetime


class CommunityIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["city_group", "county_community", "specialty_alliance"] = "city_group"
    lead_institution_id: int


class MemberIn(Strict):
    institution_id: int
    joined_on: dt.date | None = None


class MemberOut(Out):
    institution_id: int
    institution_name: str
    joined_on: dt.date


class CommunityOut(Out):
    id: int
    name: str
    kind: str
    lead_institution_id: int
    members: list[MemberOut]


class PractitionerIn(Strict):
    licence_number: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    name_pinyin: str = Field("", max_length=200, description="derived from name when empty")
    sex: Sex = "unknown"
    profession: Profession
    specialty: str = Field("", max_length=100)
    title: Title
    primary_institution_id: int
    licence_valid_to: dt.date | None = None


class PractitionerPatch(Patch):
    clearable = frozenset({"licence_valid_to"})
    name: str | None = Field(None, min_length=1, max_length=100)
    name_pinyin: str | None = Field(None, max_length=200)
    sex: Sex | None = None
    profession: Profession | None = None
    specialty: str | None = Field(None, max_length=100)
    title: Title | None = None
    primary_institution_id: int | None = None
    licence_valid_to: dt.date | None = None


class RegistrationIn(Strict):
    institution_id: int
    valid_from: dt.date
    valid_to: dt.date


class RegistrationOut(Out):
    id: int
    practitioner_id: int
    institution_id: int
    institution_name: str
    valid_from: dt.date
    valid_to: dt.date
    ended: bool


class PractitionerOut(Out):
    id: int
    licence_number: str
    name: str
    name_pinyin: str
    sex: str
    profession: Profession
    specialty: str
    title: Title
    primary_institution_id: int
    primary_institution_name: str
    licence_valid_to: dt.date | None
    active: bool
    registrations: list[RegistrationOut] = []


def licence_out(licence, today: dt.date) -> LicenceOut:
    """A licence with its status on today."""
    from medshare.registry.rules import licence_status

    return LicenceOut(
        id=licence.id,
        institution_id=licence.institution_id,
        number=licence.number,
        scope=licence.scope,
        valid_from=licence.valid_from,
        valid_to=licence.valid_to,
        status=licence_status(licence.valid_from, licence.valid_to, today),
    )


def institution_out(institution, today: dt.date) -> InstitutionOut:
    """An institution with its licences and medical communities."""
    return InstitutionOut.model_validate(
        {
            **{c: getattr(institution, c) for c in InstitutionOut.model_fields if c not in ("licences", "communities")},
            "licences": [licence_out(lic, today) for lic in institution.licences],
            "communities": [CommunityRef.model_validate(m.community) for m in institution.memberships],
        }
    )


def registration_out(registration) -> RegistrationOut:
    return RegistrationOut(
        id=registration.id,
        practitioner_id=registration.practitioner_id,
        institution_id=registration.institution_id,
        institution_name=registration.institution.name,
        valid_from=registration.valid_from,
        valid_to=registration.valid_to,
        ended=registration.ended,
    )


def practitioner_out(practitioner) -> PractitionerOut:
    fields = {c: getattr(practitioner, c) for c in PractitionerOut.model_fields
              if c not in ("registrations", "primary_institution_name")}
    return PractitionerOut(
        **fields,
        primary_institution_name=practitioner.primary_institution.name,
        registrations=[registration_out(r) for r in practitioner.registrations],
    )


def community_out(community) -> CommunityOut:
    return CommunityOut(
        id=community.id,
        name=community.name,
        kind=community.kind,
        lead_institution_id=community.lead_institution_id,
        members=[
            MemberOut(institution_id=m.institution_id, institution_name=m.institution.name, joined_on=m.joined_on)
            for m in community.members
        ],
    )
