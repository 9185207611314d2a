"""Relinking the whole region: after a policy change, a retraining of the weights, or a bulk load.

Planned from one read of the region, then applied in small chunks, each in its own
transaction, so online registrations are never held up (on SQLite a writer waits only for
the chunk in flight). A record whose link changed after the plan was read, or was decided by
hand, is left as it is.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import session_factory, transaction, utcnow
from medshare.identity import clustering, linkage, matching
from medshare.identity.models import (
    LinkageModel,
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
from medshare.identity.scoring import Weights

CHUNK = 2_000
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Change:
    """One record's new link."""

    record_id: int
    before: tuple[int, str] | None  # (person id, how) when the plan was read
    cluster: int
    how: str
    score: float | None


@dataclass
class RelinkPlan:
    """What a relink will change, computed from one snapshot of the region."""

    records: int
    changes: list[Change]
    cluster_person: dict[int, int | None]  # cluster root -> existing person kept for it (None: a new one)
    reviews: list[tuple[int, int, float, float, tuple[int, ...]]]  # record, candidate, weight, probability, gamma
    weights: Weights
    trained: bool
    pairs: int
    seconds: float
    institution_of: dict[int, int] = field(default_factory=dict)
    profiles: dict[int, matching.Profile] = field(default_factory=dict)


def plan_relink(session: Session, *, retrain: bool = True, progress: Progress | None = None) -> RelinkPlan:
    """Score every active record against its candidates and cluster the region into persons."""
    started = time.perf_counter()
    rows = session.execute(sa.select(PatientRecord).where(PatientRecord.active.is_(True))
                           .order_by(PatientRecord.id)).scalars().all()
    if progress:
        progress("reading records", len(rows), len(rows))
    profiles = [matching.profile_of(r) for r in rows]
    links = {link.patient_record_id: link for link in session.scalars(sa.select(PersonLink))}
    constraints = clustering.Constraints(
        fixed_person={rid: link.person_id for rid, link in links.items() if link.how == LinkHow.MANUAL},
        rejected={(a, b) for a, b in session.execute(sa.select(RejectedPair.low_record_id,
                                                                RejectedPair.high_record_id))})
    policy = linkage.current_policy(session)
    weights = None if retrain else linkage.current_weights(session)[1]
    plan = clustering.cluster(profiles, weights=weights, link_probability=policy.link_probability,
                              review_probability=policy.review_probability, constraints=constraints)
    if progress:
        progress("scoring pairs", plan.pairs, plan.pairs)
    members: dict[int, list[int]] = defaultdict(list)
    for position, root in enumerate(plan.cluster_of):
        members[root].append(position)
    # Each cluster keeps the person most of its records already have, bigger clusters first.
    cluster_person: dict[int, int | None] = {}
    taken: set[int] = set()
    for root, positions in sorted(members.items(), key=lambda kv: -len(kv[1])):
        fixed = {constraints.fixed_person[profiles[i].record_id] for i in positions
                 if profiles[i].record_id in constraints.fixed_person}
        if fixed:
            cluster_person[root] = min(fixed)
            taken.add(min(fixed))
            continue
        votes = Counter(links[profiles[i].record_id].person_id for i in positions if profiles[i].record_id in links)
        chosen = next((person for person, _ in votes.most_common() if person not in taken), None)
        cluster_person[root] = chosen
        if chosen is not None:
            taken.add(chosen)
    changes = []
    for i, p in enumerate(profiles):
        link = links.get(p.record_id)
        if link is not None and link.how == LinkHow.MANUAL:
            continue
        root = plan.cluster_of[i]
        target = cluster_person[root]
        how = plan.how[i] if plan.how[i] != "manual" else LinkHow.PROBABILISTIC
        if link is None or link.person_id != target or link.how != how:
            changes.append(Change(p.record_id, (link.person_id, link.how) if link else None, root, how,
                                  plan.score[i]))
    reviews = [(profiles[e.a].record_id, profiles[e.b].record_id, e.weight, e.probability, e.gamma)
               for e in plan.reviews]
    return RelinkPlan(len(rows), changes, cluster_person, reviews, plan.weights, retrain, plan.pairs,
                      time.perf_counter() - started, {r.id: r.institution_id for r in rows},
                      {p.record_id: p for p in profiles})


def store_model(session: Session, plan: RelinkPlan) -> LinkageModel:
    """Keep the weights a relink trained, so online linking uses them from now on."""
    row = LinkageModel(records=plan.records, pairs=plan.pairs, weights=plan.weights.as_dict())
    session.add(row)
    session.flush()
    return row


def save_all_keys(session: Session, record_ids: list[int], plan: RelinkPlan) -> None:
    """(Re)write the blocking keys of records, in one statement per table."""
    session.execute(sa.delete(MatchKeys).where(MatchKeys.patient_record_id.in_(record_ids)))
    rows = [{"patient_record_id": rid, **matching.blocking_keys(plan.profiles[rid])} for rid in record_ids]
    if rows:
        session.execute(sa.insert(MatchKeys), rows)


def apply_chunk(session: Session, plan: RelinkPlan, changes: list[Change], persons: dict[int, int]) -> int:
    """Apply some of the plan's changes; persons maps cluster roots to the person ids created so far. Returns moves."""
    ids = [c.record_id for c in changes]
    current = {link.patient_record_id: link for link in
               session.scalars(sa.select(PersonLink).where(PersonLink.patient_record_id.in_(ids)))}
    now = utcnow()
    current_changes = [c for c in changes if _state(current.get(c.record_id)) == c.before]
    # Changed online since the plan was read: the newer decision stands.
    needed = sorted({c.cluster for c in current_changes if plan.cluster_person.get(c.cluster) is None
                     and c.cluster not in persons})
    if needed:
        ids = session.scalars(sa.insert(Person).returning(Person.id, sort_by_parameter_order=True),
                              [{"created_at": now, "updated_at": now}] * len(needed)).all()
        persons.update(zip(needed, ids, strict=True))
    new_links, updates, history = [], [], []
    for change in current_changes:
        link = current.get(change.record_id)
        state = _state(link)
        target = plan.cluster_person.get(change.cluster) or persons[change.cluster]
        values = {"patient_record_id": change.record_id, "person_id": target, "how": str(change.how),
                  "score": change.score, "decided_by": None, "linked_at": now}
        (updates if link else new_links).append(values)
        if state is None or state[0] != target:
            history.append({"patient_record_id": change.record_id, "from_person_id": state[0] if state else None,
                            "to_person_id": target, "action": "relink", "how": str(change.how),
                            "score": change.score, "actor_user_id": None, "occurred_at": now})
    if new_links:
        session.execute(sa.insert(PersonLink), new_links)
    if updates:
        session.execute(sa.update(PersonLink), updates)
    if history:
        session.execute(sa.insert(LinkHistory), history)
    return len(history)


def _state(link: PersonLink | None) -> tuple[int, str] | None:
    return (link.person_id, link.how) if link else None


def open_reviews(session: Session, plan: RelinkPlan) -> int:
    """Queue the plan's review pairs that are not already queued or rejected; how many were added."""
    open_pairs = {(min(a, b), max(a, b)) for a, b in session.execute(
        sa.select(ReviewItem.record_id, ReviewItem.candidate_record_id).where(
            ReviewItem.status == ReviewStatus.OPEN.value))}
    rejected = {(a, b) for a, b in session.execute(sa.select(RejectedPair.low_record_id, RejectedPair.high_record_id))}
    rows = []
    for a, b, weight, prob, gamma in plan.reviews:
        key = (min(a, b), max(a, b))
        if key in open_pairs or key in rejected:
            continue
        open_pairs.add(key)
        record, candidate = (b, a) if a < b else (a, b)  # the newer record is the one to place
        rows.append({"record_id": record, "candidate_record_id": candidate,
                     "institution_id": plan.institution_of[record],
                     "candidate_institution_id": plan.institution_of[candidate],
                     "score": round(weight, 3), "probability": prob, "reason": _reason(plan, record, candidate),
                     "comparisons": matching.explain(gamma, plan.weights), "status": ReviewStatus.OPEN.value,
                     "created_at": utcnow(), "updated_at": utcnow()})
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(ReviewItem), rows[start:start + CHUNK])
    return len(rows)


def _reason(plan: RelinkPlan, a: int, b: int) -> str:
    return "id-conflict" if matching.ids_conflict(plan.profiles[a].national_id, plan.profiles[b].national_id) \
        else "score"


def relink(engine: Engine, *, retrain: bool = True, chunk: int = CHUNK, progress: Progress | None = None) -> dict:
    """Re-score the region and apply the result in chunks, each committed on its own; a summary of what changed.

    The plan is read in a reading transaction, which never holds up a writer (WAL on SQLite,
    MVCC on PostgreSQL); each chunk then writes briefly, and between chunks registrations go on.
    """
    started = time.perf_counter()
    factory = session_factory(engine)
    with session_factory(engine, writing=False)() as session:
        plan = plan_relink(session, retrain=retrain, progress=progress)
        before = dict(Counter(session.scalars(sa.select(PersonLink.how))))
    model_id = None
    if retrain:
        with transaction(factory) as session:
            model_id = store_model(session, plan).id
    persons: dict[int, int] = {}
    moved = 0
    all_ids = sorted(plan.profiles)
    total = len(all_ids)
    by_record = {c.record_id: c for c in plan.changes}
    for start in range(0, total, chunk):
        ids = all_ids[start:start + chunk]
        with transaction(factory) as session:
            save_all_keys(session, ids, plan)
            changes = [by_record[i] for i in ids if i in by_record]
            count = apply_chunk(session, plan, changes, persons)
            moved += count
            if changes:
                record_event(session, None, "identity.relink", "patient_records", f"{ids[0]}-{ids[-1]}",
                             details={"records": [c.record_id for c in changes], "moved": count})
        if progress:
            progress("linking records", min(start + chunk, total), total)
    with transaction(factory) as session:
        reviews = open_reviews(session, plan)
        after = dict(Counter(session.scalars(sa.select(PersonLink.how))))
        persons_total = session.scalar(sa.select(sa.func.count(sa.distinct(PersonLink.person_id))))
        record_event(session, None, "identity.relink.done", "linkage_model", model_id or "current",
                     details={"records": plan.records, "moved": moved, "new_persons": len(persons),
                              "reviews_opened": reviews, "retrained": retrain})
    seconds = time.perf_counter() - started
    return {"records": plan.records, "candidate_pairs": plan.pairs, "links_changed": len(plan.changes),
            "records_moved": moved, "persons_created": len(persons), "persons": persons_total,
            "reviews_opened": reviews, "links_before": before, "links_after": after, "model_id": model_id,
            "prior": round(plan.weights.prior, 4), "plan_seconds": round(plan.seconds, 2),
            "seconds": round(seconds, 2), "records_per_second": round(plan.records / seconds) if seconds else None}
