"""JSON API of the registries: institutions, licences, medical communities, practitioners, registrations.

Reading the registries is public (it is the public directory's data); every write needs a permission.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from medshare.deps import PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.registry import service
from medshare.registry.models import InstitutionStatus, InstitutionType, Profession, Title
from medshare.registry.schemas import (
    CommunityIn,
    CommunityOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    LicenceIn,
    LicenceOut,
    MemberIn,
    PractitionerIn,
    PractitionerOut,
    PractitionerPatch,
    RegistrationIn,
    RegistrationOut,
    community_out,
    institution_out,
    licence_out,
    practitioner_out,
    registration_out,
)
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["registries"])


def _today() -> dt.date:
    return dt.date.today()


@router.get("/institutions", response_model=Page[InstitutionOut], summary="Search institutions")
def search_institutions(
    session: SessionDep,
    page: PageParams,
    q: Annotated[str, Query(max_length=100, description="part of the name, or the exact code")] = "",
    type: InstitutionType | None = None,
    grade_level: Annotated[int | None, Query(ge=1, le=3)] = None,
    grade_class: Annotated[str | None, Query(pattern="^[ABC]$")] = None,
    division_code: Annotated[str, Query(pattern=r"^\d{0,6}$", description="GB/T 2260 code or prefix")] = "",
    community_id: int | None = None,
    status: InstitutionStatus | None = InstitutionStatus.ACTIVE,
):
    rows, total = service.search_institutions(
        session, q=q, type=type, grade_level=grade_level, grade_class=grade_class,
        division_code=division_code, community_id=community_id, status=status, **page)
    today = _today()
    return Page(items=[institution_out(i, today) for i in rows], total=total, **page)


@router.post("/institutions", response_model=InstitutionOut, status_code=status.HTTP_201_CREATED,
             summary="Register an institution")
def create_institution(session: SessionDep, data: InstitutionIn,
                       actor: Annotated[Principal, require(Permission.INSTITUTION_CREATE)]):
    return institution_out(service.create_institution(session, actor, data), _today())


@router.get("/institutions/{institution_id}", response_model=InstitutionOut, summary="Read an institution")
def read_institution(session: SessionDep, institution_id: int):
    return institution_out(service.get_institution(session, institution_id), _today())


@router.patch("/institutions/{institution_id}", response_model=InstitutionOut, summary="Change an institution")
def update_institution(session: SessionDep, institution_id: int, patch: InstitutionPatch,
                       actor: Annotated[Principal, require(Permission.INSTITUTION_UPDATE)]):
    institution = service.get_institution(session, institution_id)
    return institution_out(service.update_institution(session, actor, institution, patch), _today())


@router.delete("/institutions/{institution_id}", response_model=InstitutionOut,
               summary="Close an institution (kept in the register as closed)")
def close_institution(session: SessionDep, institution_id: int,
                      actor: Annotated[Principal, require(Permission.INSTITUTION_CREATE)]):
    institution = service.get_institution(session, institution_id)
    return institution_out(service.close_institution(session, actor, institution), _today())


@router.post("/institutions/{institution_id}/licences", response_model=LicenceOut,
             status_code=status.HTTP_201_CREATED, summary="Record a licence")
def add_licence(session: SessionDep, institution_id: int, data: LicenceIn,
                actor: Annotated[Principal, require(Permission.INSTITUTION_CREATE)]):
    institution = service.get_institution(session, institution_id)
    return licence_out(service.add_licence(session, actor, institution, data), _today())


@router.delete("/licences/{licence_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a licence")
def remove_licence(session: SessionDep, licence_id: int,
                   actor: Annotated[Principal, require(Permission.INSTITUTION_CREATE)]):
    service.remove_licence(session, actor, licence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/medical-communities", response_model=list[CommunityOut], summary="List medical communities")
def list_communities(session: SessionDep):
    return [community_out(c) for c in service.list_communities(session)]


@router.post("/medical-communities", response_model=CommunityOut, status_code=status.HTTP_201_CREATED,
             summary="Found a medical community")
def create_community(session: SessionDep, data: CommunityIn,
                     actor: Annotated[Principal, require(Permission.COMMUNITY_WRITE)]):
    return community_out(service.create_community(session, actor, data))


@router.get("/medical-communities/{community_id}", response_model=CommunityOut,
            summary="Read a medical community")
def read_community(session: SessionDep, community_id: int):
    return community_out(service.get_community(session, community_id))


@router.post("/medical-communities/{community_id}/members", response_model=CommunityOut,
             status_code=status.HTTP_201_CREATED, summary="Admit a member")
def add_member(session: SessionDep, community_id: int, data: MemberIn,
               actor: Annotated[Principal, require(Permission.COMMUNITY_WRITE)]):
    community = service.get_community(session, community_id)
    service.add_member(session, actor, community, data)
    return community_out(community)


@router.delete("/medical-communities/{community_id}/members/{institution_id}", response_model=CommunityOut,
               summary="Remove a member")
def remove_member(session: SessionDep, community_id: int, institution_id: int,
                  actor: Annotated[Principal, require(Permission.COMMUNITY_WRITE)]):
    community = service.get_community(session, community_id)
    service.remove_member(session, actor, community, institution_id)
    return community_out(community)


@router.get("/practitioners", response_model=Page[PractitionerOut], summary="Search practitioners")
def search_practitioners(
    session: SessionDep,
    page: PageParams,
    q: Annotated[str, Query(max_length=100, description="part of the name or pinyin, or the licence number")] = "",
    profession: Profession | None = None,
    specialty: Annotated[str, Query(max_length=100)] = "",
    title: Title | None = None,
    institution_id: Annotated[int | None, Query(description="primary or registered site")] = None,
):
    rows, total = service.search_practitioners(
        session, q=q, profession=profession, specialty=specialty, title=title,
        institution_id=institution_id, **page)
    return Page(items=[practitioner_out(p) for p in rows], total=total, **page)


@router.post("/practitioners", response_model=PractitionerOut, status_code=status.HTTP_201_CREATED,
             summary="Register a practitioner")
def create_practitioner(session: SessionDep, data: PractitionerIn,
                        actor: Annotated[Principal, require(Permission.PRACTITIONER_WRITE)]):
    return practitioner_out(service.create_practitioner(session, actor, data))


@router.get("/practitioners/{practitioner_id}", response_model=PractitionerOut, summary="Read a practitioner")
def read_practitioner(session: SessionDep, practitioner_id: int):
    return practitioner_out(service.get_practitioner(session, practitioner_id))


@router.patch("/practitioners/{practitioner_id}", response_model=PractitionerOut,
              summary="Change a practitioner")
def update_practitioner(session: SessionDep, practitioner_id: int, patch: PractitionerPatch,
                        actor: Annotated[Principal, require(Permission.PRACTITIONER_WRITE)]):
    practitioner = service.get_practitioner(session, practitioner_id)
    return practitioner_out(service.update_practitioner(session, actor, practitioner, patch))


@router.delete("/practitioners/{practitioner_id}", response_model=PractitionerOut,
               summary="Withdraw a practitioner (kept as inactive)")
def deactivate_practitioner(session: SessionDep, practitioner_id: int,
                            actor: Annotated[Principal, require(Permission.PRACTITIONER_WRITE)]):
    practitioner = service.get_practitioner(session, practitioner_id)
    return practitioner_out(service.deactivate_practitioner(session, actor, practitioner))


@router.get("/practitioners/{practitioner_id}/registrations", response_model=list[RegistrationOut],
            summary="A practitioner's multi-site registrations")
def list_registrations(session: SessionDep, practitioner_id: int):
    return [registration_out(r) for r in service.get_practitioner(session, practitioner_id).registrations]


@router.post("/practitioners/{practitioner_id}/registrations", response_model=RegistrationOut,
             status_code=status.HTTP_201_CREATED, summary="Register a practitioner at another site")
def add_registration(session: SessionDep, practitioner_id: int, data: RegistrationIn,
                     actor: Annotated[Principal, require(Permission.REGISTRATION_WRITE)]):
    practitioner = service.get_practitioner(session, practitioner_id)
    return registration_out(service.add_registration(session, actor, practitioner, data))


@router.delete("/registrations/{registration_id}", response_model=RegistrationOut,
               summary="End a multi-site registration")
def end_registration(session: SessionDep, registration_id: int,
                     actor: Annotated[Principal, require(Permission.REGISTRATION_WRITE)]):
    registration = service.get_registration(session, registration_id)
    return registration_out(service.end_registration(session, actor, registration))
