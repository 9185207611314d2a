"""JSON API of the master patient index: persons, search, cross-references and the review queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from medshare.deps import AuditedReadSessionDep, PageParams, SessionDep, require
from medshare.identity import persons
from medshare.identity.models import PersonLink
from medshare.identity.schemas import (
    CrossReferenceOut,
    MergeIn,
    PatientRecordOut,
    PersonLinkOut,
    PersonOut,
    PersonRecordOut,
    ReviewDetailOut,
    ReviewItemOut,
    person_out,
    record_out,
)
from medshare.permissions import Permission, Principal
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["persons"])


@router.get("/persons", response_model=list[PersonOut], summary="Search persons by demographics (PDQ-style)")
def search_persons(
    session: AuditedReadSessionDep,
    actor: Annotated[Principal, require(Permission.PERSON_READ)],
    name: Annotated[str, Query(max_length=100, description="in characters; by sound when birth_date is given")] = "",
    birth_date: dt.date | None = None,
    national_id: Annotated[str, Query(max_length=20)] = "",
    phone: Annotated[str, Query(max_length=32)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    views = persons.search_persons(session, actor, name=name.strip(), birth_date=birth_date,
                                   national_id=national_id.strip(), phone=phone.strip(), limit=limit)
    return [person_out(actor, v) for v in views]


@router.get("/persons/{person_id}", response_model=PersonOut, summary="A person with all their local records")
def read_person(session: AuditedReadSessionDep, person_id: int,
                actor: Annotated[Principal, require(Permission.PERSON_READ)]):
    return person_out(actor, persons.read_person(session, actor, person_id))


@router.get("/identifiers", response_model=CrossReferenceOut,
            summary="Cross-reference (PIXm-style): the person's IDs at other institutions")
def cross_reference(session: AuditedReadSessionDep, actor: Annotated[Principal, require(Permission.PATIENT_READ)],
                    institution_id: int, local_id: Annotated[str, Query(min_length=1, max_length=64)]):
    ref = persons.cross_references(session, actor, institution_id=institution_id, local_id=local_id)
    source_link = session.get(PersonLink, ref.record.id)
    return CrossReferenceOut(
        person_id=ref.person_id,
        source=record_out(actor, Permission.PATIENT_READ, ref.record, source_link),
        # Identifiers only: which institution keeps the person and under which local ID.
        identifiers=[PersonRecordOut(id=r.id, institution_id=r.institution_id, local_id=r.local_id,
                                     link_how=getattr(session.get(PersonLink, r.id), "how", ""))
                     for r in ref.identifiers])


@router.get("/patients/{record_id}/cross-references", response_model=CrossReferenceOut,
            summary="The person's IDs at other institutions, by the local record's id")
def record_cross_reference(session: AuditedReadSessionDep, record_id: int,
                           actor: Annotated[Principal, require(Permission.PATIENT_READ)]):
    from medshare.identity.service import load_patient_record

    record = load_patient_record(session, record_id)
    return cross_reference(session, actor, record.institution_id, record.local_id)


@router.get("/linkage/reviews", response_model=Page[ReviewItemOut], summary="The review queue")
def list_reviews(session: SessionDep, page: PageParams,
                 actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)],
                 status: Literal["open", "linked", "rejected", "superseded", ""] = "open"):
    rows, total = persons.list_reviews(session, actor, status=status, **page)
    return Page(items=[ReviewItemOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/linkage/reviews/{item_id}", response_model=ReviewDetailOut,
            summary="A review item with both records side by side (an audited read)")
def read_review(session: AuditedReadSessionDep, item_id: int,
                actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)]):
    view = persons.read_review(session, actor, item_id)
    return ReviewDetailOut(**ReviewItemOut.model_validate(view.item).model_dump(),
                           record=PatientRecordOut.model_validate(view.record),
                           candidate=PatientRecordOut.model_validate(view.candidate),
                           record_person_id=view.record_person_id, candidate_person_id=view.candidate_person_id)


@router.post("/linkage/reviews/{item_id}/link", response_model=PersonLinkOut,
             summary="Decide that the pair is one person: the record joins the candidate's person")
def link_review(session: SessionDep, item_id: int, actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)]):
    return PersonLinkOut.model_validate(persons.decide_link(session, actor, persons.load_review(session, item_id)))


@router.post("/linkage/reviews/{item_id}/reject", response_model=ReviewItemOut,
             summary="Decide that the pair is two people; never proposed again")
def reject_review(session: SessionDep, item_id: int,
                  actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)]):
    return ReviewItemOut.model_validate(persons.decide_reject(session, actor, persons.load_review(session, item_id)))


@router.post("/persons/{person_id}/merge", response_model=PersonOut,
             summary="Merge another person into this one (kept in history for unmerge)")
def merge_persons(session: SessionDep, person_id: int, data: MergeIn,
                  actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)]):
    persons.merge_persons(session, actor, person_id, data.other_person_id)
    return person_out(actor, persons.read_person(session, actor, person_id))


@router.post("/patients/{record_id}/unmerge", response_model=PersonOut,
             summary="Take a record out of its person (undoing the merge that brought it, if any)")
def unmerge_record(session: SessionDep, record_id: int,
                   actor: Annotated[Principal, require(Permission.IDENTITY_REVIEW)]):
    target = persons.unmerge_record(session, actor, record_id)
    return person_out(actor, persons.read_person(session, actor, target.id))
