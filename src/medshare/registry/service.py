"""Use cases of the registries, over a session; they flush, never commit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.audit.service import record_event
from medshare.db import like_escaped
from medshare.errors import Conflict, InvalidInput, NotFound
from medshare.identity.rules import pinyin_of
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import rules
from medshare.registry.models import (
    CommunityMembership,
    Institution,
    InstitutionStatus,
    InstitutionType,
    Licence,
    MedicalCommunity,
    Practitioner,
    Registration,
)
from medshare.registry.schemas import (
    CommunityIn,
    InstitutionIn,
    InstitutionPatch,
    LicenceIn,
    MemberIn,
    PractitionerIn,
    PractitionerPatch,
    RegistrationIn,
)
from medshare.settings import get_settings


def _like(text: str) -> str:
    return f"%{like_escaped(text)}%"


# Institutions


def get_institution(session: Session, institution_id: int) -> Institution:
    """The institution, or NotFound."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(f"institution {institution_id} does not exist")
    return institution


def _check_institution(data: dict) -> None:
    rules.check_grade(data["type"], data.get("grade_level"), data.get("grade_class"))
    rules.check_division_code(data["division_code"])
    rules.check_location(data.get("latitude"), data.get("longitude"))


def create_institution(session: Session, actor: Principal, data: InstitutionIn) -> Institution:
    """Register an institution in the region."""
    authorize(actor, Permission.INSTITUTION_CREATE)
    values = data.model_dump()
    _check_institution(values)
    if session.scalar(sa.select(Institution.id).where(Institution.code == data.code)) is not None:
        raise Conflict.on("code", "unique", "is already used by another institution")
    institution = Institution(**values)
    session.add(institution)
    session.flush()
    record_event(session, actor, "institution.create", "institution", institution.id,
                 institution_id=institution.id)
    return institution


def update_institution(session: Session, actor: Principal, institution: Institution,
                       patch: InstitutionPatch) -> Institution:
    """Change an institution's registered details."""
    authorize(actor, Permission.INSTITUTION_UPDATE, institutions=[institution.id])
    changes = patch.model_dump(exclude_unset=True)
    for required in ("name", "type", "division_code", "name_en", "address", "phone"):
        if required in changes and changes[required] is None:
            raise InvalidInput.on(required, "not-null", "cannot be removed, only changed")
    if changes.keys() & {"type", "grade_level", "grade_class"}:
        # Type and grade are accreditation decisions: only those who register institutions set them.
        authorize(actor, Permission.INSTITUTION_CREATE)
    merged = {c: getattr(institution, c) for c in ("type", "grade_level", "grade_class", "division_code",
                                                   "latitude", "longitude")}
    merged.update(changes)
    _check_institution(merged)
    for key, value in changes.items():
        setattr(institution, key, value)
    session.flush()
    record_event(session, actor, "institution.update", "institution", institution.id,
                 institution_id=institution.id, details={"fields": sorted(changes)})
    return institution


def close_institution(session: Session, actor: Principal, institution: Institution) -> Institution:
    """Mark an institution closed; its history is kept."""
    authorize(actor, Permission.INSTITUTION_CREATE)
    institution.status = InstitutionStatus.CLOSED
    session.flush()
    record_event(session, actor, "institution.close", "institution", institution.id,
                 institution_id=institution.id)
    return institution


def search_institutions(
    session: Session,
    *,
    q: str = "",
    type: InstitutionType | None = None,
    grade_level: int | None = None,
    grade_class: str | None = None,
    division_code: str = "",
    community_id: int | None = None,
    status: InstitutionStatus | None = InstitutionStatus.ACTIVE,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Institution], int]:
    """Institutions matching every given filter, by name, with the total count.

    division_code matches by prefix, so "3504" finds a whole prefecture.
    """
    query = sa.select(Institution)
    if q:
        pattern = _like(q)
        query = query.where(sa.or_(Institution.name.like(pattern, escape="\\"),
                                   Institution.name_en.ilike(pattern, escape="\\"),
                                   Institution.code == q))
    if type is not None:
        query = query.where(Institution.type == type)
    if grade_level is not None:
        query = query.where(Institution.grade_level == grade_level)
    if grade_class:
        query = query.where(Institution.grade_class == grade_class)
    if division_code:
        query = query.where(Institution.division_code.startswith(division_code))
    if community_id is not None:
        query = query.where(Institution.memberships.any(CommunityMembership.community_id == community_id))
    if status is not None:
        query = query.where(Institution.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(Institution.licences),
                      selectinload(Institution.memberships).selectinload(CommunityMembership.community))
        .order_by(Institution.grade_level.desc().nulls_last(), Institution.name, Institution.id)
        .limit(limit).offset(offset)
    ).all()
    return list(rows), total


def add_licence(session: Session, actor: Principal, institution: Institution, data: LicenceIn) -> Licence:
    """Record a licence of the institution."""
    authorize(actor, Permission.INSTITUTION_CREATE)
    rules.check_validity(data.valid_from, data.valid_to)
    if any(lic.number == data.number for lic in institution.licences):
        raise Conflict.on("number", "unique", "is already recorded for this institution")
    licence = Licence(institution=institution, **data.model_dump())
    session.add(licence)
    session.flush()
    record_event(session, actor, "licence.create", "licence", licence.id, institution_id=institution.id)
    return licence


def remove_licence(session: Session, actor: Principal, licence_id: int) -> None:
    """Delete a licence recorded in error."""
    authorize(actor, Permission.INSTITUTION_CREATE)
    licence = session.get(Licence, licence_id)
    if licence is None:
        raise NotFound(f"licence {licence_id} does not exist")
    session.delete(licence)
    session.flush()
    record_event(session, actor, "licence.delete", "licence", licence_id, institution_id=licence.institution_id)


# Medical communities


def get_community(session: Session, community_id: int) -> MedicalCommunity:
    community = session.get(MedicalCommunity, community_id)
    if community is None:
        raise NotFound(f"medical community {community_id} does not exist")
    return community


def list_communities(session: Session) -> list[MedicalCommunity]:
    """Every medical community, with members loaded."""
    return list(session.scalars(
        sa.select(MedicalCommunity)
        .options(selectinload(MedicalCommunity.members).selectinload(CommunityMembership.institution))
        .order_by(MedicalCommunity.name)
    ))


def create_community(session: Session, actor: Principal, data: CommunityIn) -> MedicalCommunity:
    """Found a medical community; its lead hospital is its first member."""
    authorize(actor, Permission.COMMUNITY_WRITE)
    lead = get_institution(session, data.lead_institution_id)
    if session.scalar(sa.select(MedicalCommunity.id).where(MedicalCommunity.name == data.name)):
        raise Conflict.on("name", "unique", "is already used")
    community = MedicalCommunity(name=data.name, kind=data.kind, lead_institution=lead)
    community.members.append(CommunityMembership(institution=lead, joined_on=dt.date.today()))
    session.add(community)
    session.flush()
    record_event(session, actor, "community.create", "medical_community", community.id,
                 institution_id=lead.id)
    return community


def add_member(session: Session, actor: Principal, community: MedicalCommunity, data: MemberIn) -> None:
    """Admit an institution to a medical community."""
    authorize(actor, Permission.COMMUNITY_WRITE)
    institution = get_institution(session, data.institution_id)
    if any(m.institution_id == institution.id for m in community.members):
        raise Conflict.on("institution_id", "unique", "is already a member")
    community.members.append(CommunityMembership(institution=institution,
                                                 joined_on=data.joined_on or dt.date.today()))
    session.flush()
    record_event(session, actor, "community.member.add", "medical_community", community.id,
                 institution_id=institution.id)


def remove_member(session: Session, actor: Principal, community: MedicalCommunity, institution_id: int) -> None:
    """Take an institution out of a medical community (not its lead)."""
    authorize(actor, Permission.COMMUNITY_WRITE)
    if institution_id == community.lead_institution_id:
        raise InvalidInput.on("institution_id", "lead-stays", "the lead hospital cannot leave its community")
    member = next((m for m in community.members if m.institution_id == institution_id), None)
    if member is None:
        raise NotFound(f"institution {institution_id} is not a member")
    community.members.remove(member)
    session.flush()
    record_event(session, actor, "community.member.remove", "medical_community", community.id,
                 institution_id=institution_id)


# Practitioners


def get_practitioner(session: Session, practitioner_id: int) -> Practitioner:
    practitioner = session.get(Practitioner, practitioner_id)
    if practitioner is None:
        raise NotFound(f"practitioner {practitioner_id} does not exist")
    return practitioner


def create_practitioner(session: Session, actor: Principal, data: PractitionerIn) -> Practitioner:
    """Register a practitioner at their primary institution."""
    authorize(actor, Permission.PRACTITIONER_WRITE, institutions=[data.primary_institution_id])
    get_institution(session, data.primary_institution_id)
    if session.scalar(sa.select(Practitioner.id).where(Practitioner.licence_number == data.licence_number)):
        raise Conflict.on("licence_number", "unique", "is already registered")
    values = data.model_dump()
    values["name_pinyin"] = values["name_pinyin"] or pinyin_of(data.name)
    practitioner = Practitioner(**values)
    session.add(practitioner)
    session.flush()
    record_event(session, actor, "practitioner.create", "practitioner", practitioner.id,
                 institution_id=practitioner.primary_institution_id)
    return practitioner


def update_practitioner(session: Session, actor: Principal, practitioner: Practitioner,
                        patch: PractitionerPatch) -> Practitioner:
    """Change a practitioner's registered details."""
    changes = patch.model_dump(exclude_unset=True)
    authorize(actor, Permission.PRACTITIONER_WRITE, institutions=[practitioner.primary_institution_id])
    if "primary_institution_id" in changes:
        # Moving a practitioner needs the right over the receiving institution too.
        authorize(actor, Permission.PRACTITIONER_WRITE, institutions=[changes["primary_institution_id"]])
        get_institution(session, changes["primary_institution_id"])
    for key, value in changes.items():
        setattr(practitioner, key, value)
    session.flush()
    record_event(session, actor, "practitioner.update", "practitioner", practitioner.id,
                 institution_id=practitioner.primary_institution_id, details={"fields": sorted(changes)})
    return practitioner


def deactivate_practitioner(session: Session, actor: Principal, practitioner: Practitioner) -> Practitioner:
    """Withdraw a practitioner from the register; the history stays."""
    authorize(actor, Permission.PRACTITIONER_WRITE, institutions=[practitioner.primary_institution_id])
    practitioner.active = False
    session.flush()
    record_event(session, actor, "practitioner.deactivate", "practitioner", practitioner.id,
                 institution_id=practitioner.primary_institution_id)
    return practitioner


def search_practitioners(
    session: Session,
    *,
    q: str = "",
    profession: str | None = None,
    specialty: str = "",
    title: str | None = None,
    institution_id: int | None = None,
    active: bool | None = True,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Practitioner], int]:
    """Practitioners matching every filter; institution_id matches primary and registered sites."""
    query = sa.select(Practitioner)
    if q:
        pattern = _like(q)
        query = query.where(sa.or_(Practitioner.name.like(pattern, escape="\\"),
                                   Practitioner.name_pinyin.ilike(pattern, escape="\\"),
                                   Practitioner.licence_number == q))
    if profession:
        query = query.where(Practitioner.profession == profession)
    if specialty:
        query = query.where(Practitioner.specialty == specialty)
    if title:
        query = query.where(Practitioner.title == title)
    if institution_id is not None:
        query = query.where(sa.or_(
            Practitioner.primary_institution_id == institution_id,
            Practitioner.registrations.any(sa.and_(Registration.institution_id == institution_id,
                                                   Registration.ended.is_(False)))))
    if active is not None:
        query = query.where(Practitioner.active.is_(active))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(Practitioner.primary_institution),
                      selectinload(Practitioner.registrations).selectinload(Registration.institution))
        .order_by(Practitioner.name, Practitioner.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def add_registration(session: Session, actor: Principal, practitioner: Practitioner,
                     data: RegistrationIn) -> Registration:
    """Register a practitioner at another site, within the region's limit of sites.

    Filed by the practitioner's primary institution (or a regulator): a host cannot add
    sites to someone else's practitioner.
    """
    authorize(actor, Permission.REGISTRATION_WRITE, institutions=[practitioner.primary_institution_id])
    get_institution(session, data.institution_id)
    rules.check_validity(data.valid_from, data.valid_to)
    if data.institution_id == practitioner.primary_institution_id:
        raise InvalidInput.on("institution_id", "not-primary", "the primary institution is already a site")
    current = [r for r in practitioner.registrations if not r.ended]
    if any(r.institution_id == data.institution_id and r.valid_to >= data.valid_from
           and r.valid_from <= data.valid_to for r in current):
        raise Conflict.on("institution_id", "no-overlap", "overlaps a registration at the same site")
    rules.check_site_limit([rules.Window(r.valid_from, r.valid_to) for r in current],
                           rules.Window(data.valid_from, data.valid_to),
                           get_settings().max_sites_per_practitioner)
    registration = Registration(practitioner=practitioner, **data.model_dump())
    session.add(registration)
    session.flush()
    record_event(session, actor, "registration.create", "registration", registration.id,
                 institution_id=data.institution_id, details={"practitioner_id": practitioner.id})
    return registration


def get_registration(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(f"registration {registration_id} does not exist")
    return registration


def end_registration(session: Session, actor: Principal, registration: Registration) -> Registration:
    """End a multi-site registration early (by the host or the primary institution); it no longer counts."""
    authorize(actor, Permission.REGISTRATION_WRITE,
              institutions=[registration.institution_id, registration.practitioner.primary_institution_id])
    registration.ended = True
    session.flush()
    record_event(session, actor, "registration.end", "registration", registration.id,
                 institution_id=registration.institution_id)
    return registration
