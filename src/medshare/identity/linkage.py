"""The master patient index, online: each record created or changed is linked to a person at once.

Runs inside the registration's own transaction and touches only the handful of candidates its
indexed blocking keys find, so a registration never waits for a batch relink (which commits in
small chunks of its own). Manual decisions (links, merges, unmerges, rejections) are never
overridden here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.identity import matching
from medshare.identity.matching import Profile
from medshare.identity.models import (
    LinkageModel,
    LinkagePolicy,
    LinkHistory,
    LinkHow,
    MatchKeys,
    PatientRecord,
    Person,
    PersonLink,
    RejectedPair,
    ReviewItem,
    ReviewStatus,
)
from medshare.identity.scoring import Weights, probability

CANDIDATES_PER_KEY = 50
DEFAULT_LINK_PROBABILITY = 0.9
DEFAULT_REVIEW_PROBABILITY = 0.1


@dataclass(frozen=True)
class Policy:
    """The two thresholds in force: link at or above link_probability, review at or above review_probability."""

    link_probability: float = DEFAULT_LINK_PROBABILITY
    review_probability: float = DEFAULT_REVIEW_PROBABILITY


@dataclass
class Candidate:
    """A scored candidate record and the person it belongs to."""

    record: PatientRecord
    person_id: int
    gamma: tuple[int, ...]
    weight: float
    probability: float


_weights_cache: dict[int, Weights] = {}


def current_weights(session: Session) -> tuple[int | None, Weights]:
    """The newest trained model (its id and weights), or the built-in defaults before any training."""
    model_id = session.scalar(sa.select(sa.func.max(LinkageModel.id)))
    if model_id is None:
        return None, matching.DEFAULT_WEIGHTS
    if model_id not in _weights_cache:
        row = session.get(LinkageModel, model_id)
        _weights_cache[model_id] = Weights.from_dict(matching.FIELDS, row.weights)
    return model_id, _weights_cache[model_id]


def current_policy(session: Session) -> Policy:
    """The newest policy row, or the defaults."""
    row = session.scalars(sa.select(LinkagePolicy).order_by(LinkagePolicy.id.desc()).limit(1)).first()
    if row is None:
        return Policy()
    return Policy(row.link_probability, row.review_probability)


def save_keys(session: Session, record: PatientRecord, p: Profile) -> None:
    """Store (or clear, for an inactive record) the record's blocking keys."""
    row = session.get(MatchKeys, record.id)
    if not record.active:
        if row is not None:
            session.delete(row)
        return
    keys = matching.blocking_keys(p)
    if row is None:
        session.add(MatchKeys(patient_record_id=record.id, **keys))
    else:
        for key, value in keys.items():
            setattr(row, key, value)


def _candidate_ids(session: Session, record_id: int, p: Profile) -> list[int]:
    selects = [
        sa.select(MatchKeys.patient_record_id).where(getattr(MatchKeys, column) == value)
        .where(MatchKeys.patient_record_id != record_id).limit(CANDIDATES_PER_KEY)
        for column, value in matching.blocking_keys(p).items() if value
    ]
    if not selects:
        return []
    # Each branch is a subquery so that each keeps its own LIMIT on both databases.
    union = sa.union(*(sa.select(s.subquery().c.patient_record_id) for s in selects))
    return list(session.scalars(union))


def rejected_partners(session: Session, record_id: int) -> set[int]:
    """Records a person has said are not the same human as record_id."""
    rows = session.execute(sa.select(RejectedPair.low_record_id, RejectedPair.high_record_id).where(
        sa.or_(RejectedPair.low_record_id == record_id, RejectedPair.high_record_id == record_id)))
    return {low if high == record_id else high for low, high in rows}


def score_candidates(session: Session, record: PatientRecord, p: Profile, weights: Weights) -> list[Candidate]:
    """The records sharing a blocking key with record, scored, strongest first."""
    ids = _candidate_ids(session, record.id, p)
    if not ids:
        return []
    rows = session.execute(
        sa.select(PatientRecord, PersonLink.person_id)
        .join(PersonLink, PersonLink.patient_record_id == PatientRecord.id)
        .where(PatientRecord.id.in_(ids), PatientRecord.active.is_(True))
    ).all()
    out = []
    for other, person_id in rows:
        gamma = matching.compare(p, matching.profile_of(other))
        weight = matching.total_weight(gamma, weights)
        out.append(Candidate(other, person_id, gamma, weight, float(probability(weight))))
    out.sort(key=lambda c: (-c.weight, c.record.id))
    return out


def person_national_ids(session: Session, person_id: int, *, excluding: int | None = None) -> set[str]:
    """The valid national IDs held by the active records of a person."""
    query = (sa.select(PatientRecord.national_id).join(PersonLink, PersonLink.patient_record_id == PatientRecord.id)
             .where(PersonLink.person_id == person_id, PatientRecord.national_id.is_not(None),
                    PatientRecord.active.is_(True)))
    if excluding is not None:
        query = query.where(PatientRecord.id != excluding)
    return set(session.scalars(query))


def person_record_ids(session: Session, person_id: int) -> list[int]:
    """The ids of every record linked to a person."""
    return list(session.scalars(sa.select(PersonLink.patient_record_id).where(PersonLink.person_id == person_id)
                                .order_by(PersonLink.patient_record_id)))


def move(session: Session, record_id: int, to_person_id: int, *, how: str, score: float | None, action: str,
         actor_user_id: int | None) -> PersonLink:
    """Link a record to a person (creating or changing its link), with a line of history."""
    link = session.get(PersonLink, record_id)
    before = link.person_id if link is not None else None
    if link is None:
        link = PersonLink(patient_record_id=record_id, person_id=to_person_id, how=how, score=score,
                          decided_by=actor_user_id, linked_at=utcnow())
        session.add(link)
    else:
        link.person_id, link.how, link.score = to_person_id, how, score
        link.decided_by, link.linked_at = actor_user_id, utcnow()
    if before != to_person_id:
        session.add(LinkHistory(patient_record_id=record_id, from_person_id=before, to_person_id=to_person_id,
                                action=action, how=how, score=score, actor_user_id=actor_user_id))
    return link


def new_person(session: Session) -> Person:
    """A fresh person, with its id."""
    person = Person()
    session.add(person)
    session.flush()
    return person


def _own_or_new_person(session: Session, link: PersonLink | None, record_id: int) -> int:
    # A record alone in its person keeps that person rather than getting another one.
    if link is not None and person_record_ids(session, link.person_id) == [record_id]:
        return link.person_id
    return new_person(session).id


def open_review(session: Session, record: PatientRecord, candidate: Candidate, weights: Weights,
                reason: str) -> ReviewItem | None:
    """Queue the pair for a person to decide, unless it is already queued."""
    a, b = sorted((record.id, candidate.record.id))
    exists = sa.select(ReviewItem.id).where(
        ReviewItem.status == ReviewStatus.OPEN.value,
        sa.or_(sa.and_(ReviewItem.record_id == a, ReviewItem.candidate_record_id == b),
               sa.and_(ReviewItem.record_id == b, ReviewItem.candidate_record_id == a)))
    if session.scalar(exists) is not None:
        return None
    item = ReviewItem(record_id=record.id, candidate_record_id=candidate.record.id,
                      institution_id=record.institution_id, candidate_institution_id=candidate.record.institution_id,
                      score=round(candidate.weight, 3), probability=candidate.probability, reason=reason,
                      comparisons=matching.explain(candidate.gamma, weights), status=ReviewStatus.OPEN.value)
    session.add(item)
    session.flush()
    return item


def supersede_reviews(session: Session, record_id: int) -> None:
    """Close the open review items a record's new link has answered or made stale."""
    session.execute(sa.update(ReviewItem).where(
        ReviewItem.status == ReviewStatus.OPEN.value,
        sa.or_(ReviewItem.record_id == record_id, ReviewItem.candidate_record_id == record_id),
    ).values(status=ReviewStatus.SUPERSEDED.value, decided_at=utcnow()).execution_options(synchronize_session=False))


def link_record(session: Session, actor, record: PatientRecord) -> PersonLink:
    """Link a just created or changed record to a person, or start a new one, and audit the decision.

    Order of rules: a manual link stands; the same valid national ID links deterministically;
    otherwise the best-scoring person links above the policy's upper threshold, is queued for
    review between the thresholds (or whenever the IDs conflict), and below it the record
    becomes a person of its own.
    """
    p = matching.profile_of(record)
    save_keys(session, record, p)
    link = session.get(PersonLink, record.id)
    if link is not None and link.how == LinkHow.MANUAL:
        return link
    if not record.active:
        return link if link is not None else move(session, record.id, new_person(session).id, how=LinkHow.NEW,
                                                  score=None, action="link", actor_user_id=None)
    _, weights = current_weights(session)
    policy = current_policy(session)
    candidates = score_candidates(session, record, p, weights)
    rejected = rejected_partners(session, record.id)
    excluded = {c.person_id for c in candidates if c.record.id in rejected}
    candidates = [c for c in candidates if c.person_id not in excluded]
    supersede_reviews(session, record.id)

    target, how, score, review = None, LinkHow.NEW, None, None
    same_id = [c for c in candidates if record.national_id and c.record.national_id == record.national_id]
    if same_id:
        best = same_id[0]
        target, how, score = best.person_id, LinkHow.DETERMINISTIC_ID, best.weight
    elif candidates:
        best = candidates[0]
        conflict = bool(record.national_id) and bool(
            person_national_ids(session, best.person_id, excluding=record.id) - {record.national_id})
        if best.probability >= policy.link_probability and not conflict:
            target, how, score = best.person_id, LinkHow.PROBABILISTIC, best.weight
        elif best.probability >= policy.review_probability:
            review = (best, "id-conflict" if conflict else "score")
    if target is None:
        target = _own_or_new_person(session, link, record.id)
    actor_id = actor.user_id if actor is not None else None
    result = move(session, record.id, target, how=how, score=score, action="link", actor_user_id=None)
    item = None
    if review is not None and review[0].person_id != target:
        item = open_review(session, record, review[0], weights, review[1])
    session.flush()
    record_event(session, actor, "identity.link", "patient_record", record.id, institution_id=record.institution_id,
                 patient_record_id=record.id,
                 details={"person_id": target, "how": str(how), "score": None if score is None else round(score, 2),
                          "review_item_id": item.id if item else None, "by": actor_id})
    return result


def forget_keys(session: Session, record: PatientRecord) -> None:
    """A deactivated record is no longer a candidate for anyone (its link is kept for its history)."""
    row = session.get(MatchKeys, record.id)
    if row is not None:
        session.delete(row)
