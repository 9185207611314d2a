"""Use cases of persons: read, search, cross-reference, and the review queue's decisions.

Every read of a person's records is an audited patient-data read; every decision (link,
reject, merge, unmerge) is audited and marks the records it moves as decided by hand, so
automatic relinking never undoes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, InvalidInput, NotFound
from medshare.identity import linkage, matching, rules
from medshare.identity.models import (
    LinkHow,
    MatchKeys,
    PatientRecord,
    Person,
    PersonLink,
    PersonMerge,
    RejectedPair,
    ReviewItem,
    ReviewStatus,
)
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of


@dataclass
class PersonView:
    """A person and their local records, as one reader may see them."""

    person: Person
    records: list[PatientRecord]
    links: dict[int, PersonLink]


def load_person(session: Session, person_id: int) -> Person:
    """The person, or NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist")
    return person


def _records_of(session: Session, person_id: int) -> list[tuple[PatientRecord, PersonLink]]:
    rows = session.execute(sa.select(PatientRecord, PersonLink).join(
        PersonLink, PersonLink.patient_record_id == PatientRecord.id).where(PersonLink.person_id == person_id)
        .order_by(PatientRecord.id)).all()
    return [(r, link) for r, link in rows]


def _authorize_person(actor: Principal, permission: Permission, records: list[PatientRecord]) -> None:
    institutions = [r.institution_id for r in records]
    own_record = next((r.id for r in records if r.id == actor.patient_record_id), None)
    authorize(actor, permission, institutions=institutions, patient_record_id=own_record)


def read_person(session: Session, actor: Principal, person_id: int) -> PersonView:
    """A person with all their local records; each record shown is an audited read."""
    person = load_person(session, person_id)
    rows = _records_of(session, person.id)
    records = [r for r, _ in rows]
    _authorize_person(actor, Permission.PERSON_READ, records)
    for record in records:
        record_event(session, actor, "patient.read", "patient_record", record.id,
                     institution_id=record.institution_id, patient_record_id=record.id,
                     details={"via": "person", "person_id": person.id})
    return PersonView(person, records, {link.patient_record_id: link for _, link in rows})


def search_persons(session: Session, actor: Principal, *, name: str = "", birth_date: dt.date | None = None,
                   national_id: str = "", phone: str = "", limit: int = 20) -> list[PersonView]:
    """Persons whose records match the demographics given (PDQ-style); every record shown is an audited read."""
    if not (national_id or phone or name):
        raise InvalidInput.on("name", "one-criterion", "give a name, national_id or phone to search by")
    authorize(actor, Permission.PERSON_READ, institutions=[actor.institution_id],
              patient_record_id=actor.patient_record_id)
    query = sa.select(PersonLink.person_id).join(PatientRecord, PatientRecord.id == PersonLink.patient_record_id)
    if national_id:
        query = query.where(PatientRecord.national_id == rules.normalise_national_id(national_id))
    if phone:
        query = query.join(MatchKeys, MatchKeys.patient_record_id == PersonLink.patient_record_id).where(
            MatchKeys.key_phone == rules.check_phone(phone))
    if name:
        if birth_date is not None:
            # The blocking key finds the name by sound, and a swapped day and month too.
            key = matching.blocking_keys(matching.profile(0, name=name, birth_date=birth_date))["key_name"]
            query = query.where(PersonLink.patient_record_id.in_(
                sa.select(MatchKeys.patient_record_id).where(MatchKeys.key_name == key)))
        else:
            query = query.where(PatientRecord.name == name.strip())
    elif birth_date is not None:
        query = query.where(PatientRecord.birth_date == birth_date)
    scope = scope_of(actor, Permission.PERSON_READ)
    if scope is Scope.OWN_INSTITUTION:
        own = sa.select(PersonLink.person_id).join(PatientRecord, PatientRecord.id == PersonLink.patient_record_id)
        query = query.where(PersonLink.person_id.in_(own.where(PatientRecord.institution_id == actor.institution_id)))
    elif scope is Scope.OWN_RECORD:
        query = query.where(PersonLink.person_id.in_(
            sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == actor.patient_record_id)))
    person_ids = list(session.scalars(query.distinct().order_by(PersonLink.person_id).limit(limit)))
    return [read_person(session, actor, person_id) for person_id in person_ids]


@dataclass
class CrossReference:
    """A local record, its person, and the person's records at every institution (identifiers only)."""

    record: PatientRecord
    person_id: int
    identifiers: list[PatientRecord]


def cross_references(session: Session, actor: Principal, *, institution_id: int, local_id: str) -> CrossReference:
    """Given an institution's local ID, the person's IDs at other institutions (PIXm-style); an audited read."""
    record = session.scalars(sa.select(PatientRecord).where(PatientRecord.institution_id == institution_id,
                                                            PatientRecord.local_id == local_id)).first()
    if record is None:
        raise NotFound(f"institution {institution_id} has no patient with local ID {local_id!r}")
    authorize(actor, Permission.PATIENT_READ, institutions=[record.institution_id], patient_record_id=record.id)
    link = session.get(PersonLink, record.id)
    if link is None:
        raise NotFound(f"patient record {record.id} is not linked to a person yet")
    others = [r for r, _ in _records_of(session, link.person_id) if r.id != record.id]
    record_event(session, actor, "patient.read", "patient_record", record.id, institution_id=record.institution_id,
                 patient_record_id=record.id,
                 details={"via": "cross-reference", "person_id": link.person_id, "records": [r.id for r in others]})
    return CrossReference(record, link.person_id, others)


# -- the review queue ------------------------------------------------------------------------


def list_reviews(session: Session, actor: Principal, *, status: str = "open", limit: int = 20,
                 offset: int = 0) -> tuple[list[ReviewItem], int]:
    """Review items the actor may decide: those touching their institution's records, or all for regulators."""
    authorize(actor, Permission.IDENTITY_REVIEW, institutions=[actor.institution_id])
    query = sa.select(ReviewItem)
    if status:
        query = query.where(ReviewItem.status == status)
    if scope_of(actor, Permission.IDENTITY_REVIEW) is Scope.OWN_INSTITUTION:
        query = query.where(sa.or_(ReviewItem.institution_id == actor.institution_id,
                                   ReviewItem.candidate_institution_id == actor.institution_id))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(ReviewItem.probability.desc(), ReviewItem.id)
                                .limit(limit).offset(offset)))
    return rows, total


def load_review(session: Session, item_id: int) -> ReviewItem:
    """The review item, or NotFound."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist")
    return item


@dataclass
class ReviewView:
    """A review item with both records and their persons, for the side-by-side page."""

    item: ReviewItem
    record: PatientRecord
    candidate: PatientRecord
    record_person_id: int | None
    candidate_person_id: int | None


def read_review(session: Session, actor: Principal, item_id: int) -> ReviewView:
    """A review item with both records side by side; reading the two records is audited."""
    item = load_review(session, item_id)
    authorize(actor, Permission.IDENTITY_REVIEW, institutions=[item.institution_id, item.candidate_institution_id])
    record = session.get(PatientRecord, item.record_id)
    candidate = session.get(PatientRecord, item.candidate_record_id)
    for r in (record, candidate):
        record_event(session, actor, "patient.read", "patient_record", r.id, institution_id=r.institution_id,
                     patient_record_id=r.id, details={"via": "review", "review_item_id": item.id})
    links = {r.id: session.get(PersonLink, r.id) for r in (record, candidate)}
    return ReviewView(item, record, candidate, getattr(links[record.id], "person_id", None),
                      getattr(links[candidate.id], "person_id", None))


def _open(item: ReviewItem) -> None:
    if item.status != ReviewStatus.OPEN.value:
        raise Conflict.on("status", "review-open", f"the review item is already {item.status}")


def _close_item(item: ReviewItem, actor: Principal, status: ReviewStatus) -> None:
    item.status, item.decided_by, item.decided_at = status.value, actor.user_id, utcnow()


def _supersede_within(session: Session, person_id: int) -> None:
    # Items whose two records now share a person are answered.
    records = linkage.person_record_ids(session, person_id)
    session.execute(sa.update(ReviewItem).where(
        ReviewItem.status == ReviewStatus.OPEN.value, ReviewItem.record_id.in_(records),
        ReviewItem.candidate_record_id.in_(records)).values(status=ReviewStatus.SUPERSEDED.value,
                                                             decided_at=utcnow())
        .execution_options(synchronize_session=False))


def decide_link(session: Session, actor: Principal, item: ReviewItem) -> PersonLink:
    """The pair is one human: the record joins the candidate's person, and both links count as decided by hand."""
    authorize(actor, Permission.IDENTITY_REVIEW, institutions=[item.institution_id, item.candidate_institution_id])
    _open(item)
    target = session.get(PersonLink, item.candidate_record_id)
    if target is None:
        raise Conflict.on("candidate_record_id", "linked", "the candidate record has no person yet")
    link = linkage.move(session, item.record_id, target.person_id, how=LinkHow.MANUAL, score=item.score,
                        action="review-link", actor_user_id=actor.user_id)
    # Both records are now fixed by hand, so a relink keeps them together where they are.
    target.how, target.decided_by = LinkHow.MANUAL, actor.user_id
    _close_item(item, actor, ReviewStatus.LINKED)
    session.flush()
    _supersede_within(session, target.person_id)
    record_event(session, actor, "identity.review.link", "review_item", item.id, institution_id=item.institution_id,
                 patient_record_id=item.record_id,
                 details={"person_id": target.person_id, "candidate_record_id": item.candidate_record_id})
    return link


def reject_pair(session: Session, actor: Principal | None, a: int, b: int) -> None:
    """Remember that records a and b are different humans."""
    low, high = sorted((a, b))
    if session.get(RejectedPair, (low, high)) is None:
        session.add(RejectedPair(low_record_id=low, high_record_id=high,
                                 decided_by=actor.user_id if actor else None))


def decide_reject(session: Session, actor: Principal, item: ReviewItem) -> ReviewItem:
    """The pair is two humans: remembered, and never proposed again."""
    authorize(actor, Permission.IDENTITY_REVIEW, institutions=[item.institution_id, item.candidate_institution_id])
    _open(item)
    reject_pair(session, actor, item.record_id, item.candidate_record_id)
    _close_item(item, actor, ReviewStatus.REJECTED)
    session.flush()
    record_event(session, actor, "identity.review.reject", "review_item", item.id,
                 institution_id=item.institution_id, patient_record_id=item.record_id,
                 details={"candidate_record_id": item.candidate_record_id})
    return item


def merge_persons(session: Session, actor: Principal, survivor_id: int, other_id: int) -> Person:
    """Move every record of other into survivor, by hand; the merge is kept so unmerge can restore it."""
    if survivor_id == other_id:
        raise InvalidInput.on("other_person_id", "different-person", "a person cannot be merged with itself")
    survivor, other = load_person(session, survivor_id), load_person(session, other_id)
    mine, theirs = _records_of(session, survivor.id), _records_of(session, other.id)
    if not theirs:
        raise Conflict.on("other_person_id", "has-records", f"person {other.id} has no records to merge")
    authorize(actor, Permission.IDENTITY_REVIEW,
              institutions=[r.institution_id for r, _ in mine] + [r.institution_id for r, _ in theirs])
    rejected = {(min(a.id, b.id), max(a.id, b.id)) for a, _ in mine for b, _ in theirs}
    if rejected and session.scalar(sa.select(sa.func.count()).select_from(RejectedPair).where(
            sa.tuple_(RejectedPair.low_record_id, RejectedPair.high_record_id).in_(list(rejected)))):
        raise Conflict.on("other_person_id", "rejected-pair",
                          "a reviewer recorded that some of these records are different people")
    previous = {str(r.id): [link.how, link.score] for r, link in theirs}
    session.add(PersonMerge(survivor_id=survivor.id, merged_id=other.id, record_ids=[r.id for r, _ in theirs],
                            previous=previous, decided_by=actor.user_id))
    for record, _ in mine:
        linkage.move(session, record.id, survivor.id, how=LinkHow.MANUAL, score=None, action="merge",
                     actor_user_id=actor.user_id)
    for record, link in theirs:
        linkage.move(session, record.id, survivor.id, how=LinkHow.MANUAL, score=link.score, action="merge",
                     actor_user_id=actor.user_id)
    other.merged_into_id = survivor.id
    session.flush()
    _supersede_within(session, survivor.id)
    record_event(session, actor, "identity.person.merge", "person", survivor.id,
                 institution_id=actor.institution_id,
                 details={"merged_person_id": other.id, "records": [r.id for r, _ in theirs]})
    return survivor


def unmerge_record(session: Session, actor: Principal, record_id: int) -> Person:
    """Take a record out of its person: undo the merge that brought it, or give it a person of its own.

    Undoing a merge moves back every record that came with it, to the person it came from,
    as it was. A record that came by an automatic link gets a new person, and the pairs it
    formed with the records it leaves are remembered as rejected. Either way the records
    moved are marked as decided by hand.
    """
    record = session.get(PatientRecord, record_id)
    if record is None:
        raise NotFound(f"patient record {record_id} does not exist")
    link = session.get(PersonLink, record_id)
    if link is None:
        raise Conflict.on("record_id", "linked", "the record is not linked to a person")
    rows = _records_of(session, link.person_id)
    authorize(actor, Permission.IDENTITY_REVIEW, institutions=[r.institution_id for r, _ in rows])
    if len(rows) == 1:
        raise Conflict.on("record_id", "has-company", "the record is already alone in its person")
    merges = session.scalars(sa.select(PersonMerge).where(PersonMerge.survivor_id == link.person_id,
                                                          PersonMerge.undone_at.is_(None))
                             .order_by(PersonMerge.id.desc())).all()
    merge = next((m for m in merges if record_id in m.record_ids), None)
    if merge is not None:
        target = load_person(session, merge.merged_id)
        target.merged_into_id = None
        present = {r.id for r, _ in rows}
        moved = [rid for rid in merge.record_ids if rid in present]
        for rid in moved:
            _, score = merge.previous.get(str(rid), [LinkHow.MANUAL, None])
            linkage.move(session, rid, target.id, how=LinkHow.MANUAL, score=score, action="unmerge",
                         actor_user_id=actor.user_id)
        merge.undone_at, merge.undone_by = utcnow(), actor.user_id
    else:
        target = linkage.new_person(session)
        moved = [record_id]
        linkage.move(session, record_id, target.id, how=LinkHow.MANUAL, score=None, action="unmerge",
                     actor_user_id=actor.user_id)
        for other, _ in rows:
            if other.id != record_id:
                reject_pair(session, actor, record_id, other.id)
    session.flush()
    record_event(session, actor, "identity.record.unmerge", "patient_record", record_id,
                 institution_id=record.institution_id, patient_record_id=record_id,
                 details={"from_person_id": link.person_id, "to_person_id": target.id, "records": moved,
                          "merge_id": merge.id if merge else None})
    return target
