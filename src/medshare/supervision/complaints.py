"""Complaints from the public (social supervision): anyone may file one without an account, at a rate the
policy limits per source; regulators handle them; how they were handled is public in aggregate."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, DomainError, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.supervision import credit, rules
from medshare.supervision.models import Complaint, ComplaintStatus
from medshare.supervision.standing import policy

CATEGORIES = ("service", "billing", "safety", "conduct", "waiting", "other")
CLOSED = (ComplaintStatus.SUBSTANTIATED, ComplaintStatus.UNSUBSTANTIATED)


class TooManyComplaints(DomainError):
    status = 429
    code = "rate-limited"


def source_hash(secret: str, source: str) -> str:
    """A salted hash of where a complaint came from: enough to count, not enough to identify."""
    return hashlib.sha256(f"{secret}\n{source}".encode()).hexdigest()


def file_complaint(session: Session, *, institution_id: int, category: str, text: str, source: str,
                   practitioner_id: int | None = None, now: dt.datetime | None = None) -> Complaint:
    """Record a public complaint unless its source has used up the policy's allowance."""
    now = now or utcnow()
    problems = []
    if category not in CATEGORIES:
        problems.append(("category", "known-category", f"one of {', '.join(CATEGORIES)}"))
    if len(text.strip()) < 10:
        problems.append(("text", "min-length", "say what happened in at least 10 characters"))
    if len(text) > 2000:
        problems.append(("text", "max-length", "at most 2000 characters"))
    if problems:
        from medshare.errors import FieldProblem

        raise InvalidInput("; ".join(f"{f}: {m}" for f, _, m in problems),
                           problems=[FieldProblem(*p) for p in problems])
    institution = registry.get_institution(session, institution_id)
    if practitioner_id is not None:
        registry.get_practitioner(session, practitioner_id)
    hour = session.scalar(sa.select(sa.func.count()).where(Complaint.source_hash == source,
                                                           Complaint.created_at > now - dt.timedelta(hours=1)))
    day = session.scalar(sa.select(sa.func.count()).where(Complaint.source_hash == source,
                                                          Complaint.created_at > now - dt.timedelta(days=1)))
    refusal = rules.complaint_allowed(hour or 0, day or 0, policy(session))
    if refusal:
        raise TooManyComplaints(f"too many complaints: {refusal}; nothing was recorded, try again later")
    row = Complaint(institution_id=institution.id, practitioner_id=practitioner_id, category=category,
                    text=text.strip(), source_hash=source, created_at=now)
    session.add(row)
    session.flush()
    record_event(session, None, "supervision.complaint.filed", "supervision_complaint", row.id,
                 institution_id=institution.id, details={"category": category})
    return row


def get_complaint(session: Session, complaint_id: int) -> Complaint:
    row = session.get(Complaint, complaint_id)
    if row is None:
        raise NotFound(f"no complaint {complaint_id}")
    return row


def handle(session: Session, actor: Principal, row: Complaint, *, status: ComplaintStatus,
           resolution: str = "") -> Complaint:
    """A regulator moves a complaint on; a substantiated one counts against the institution's credit."""
    authorize(actor, Permission.SUPERVISION_ACT)
    if row.status in CLOSED:
        raise Conflict.on("status", "open-complaint", "the complaint was already decided")
    if status in CLOSED and not resolution.strip():
        raise InvalidInput.on("resolution", "required", "say what was found")
    row.status = status
    row.resolution = resolution
    if status in CLOSED:
        row.handled_at = utcnow()
        row.handled_by_user_id = actor.user_id
    if status is ComplaintStatus.SUBSTANTIATED:
        credit.add_event(session, kind="complaint.substantiated", source=f"complaint:{row.id}",
                         occurred_on=row.handled_at.date(), institution_id=row.institution_id)
        if row.practitioner_id is not None:
            credit.add_event(session, kind="complaint.substantiated", source=f"complaint:{row.id}",
                             occurred_on=row.handled_at.date(), practitioner_id=row.practitioner_id)
    session.flush()
    record_event(session, actor, f"supervision.complaint.{status.value}", "supervision_complaint", row.id,
                 institution_id=row.institution_id)
    return row


def list_complaints(session: Session, *, status: ComplaintStatus | None = None, institution_id: int | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[Complaint], int]:
    query = sa.select(Complaint)
    if status is not None:
        query = query.where(Complaint.status == status)
    if institution_id is not None:
        query = query.where(Complaint.institution_id == institution_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Complaint.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def aggregate(session: Session, *, institution_id: int | None = None) -> dict:
    """How complaints were handled, in aggregate (public): counts by status and category, days to decide."""
    where = [] if institution_id is None else [Complaint.institution_id == institution_id]
    by_status = dict(session.execute(sa.select(Complaint.status, sa.func.count()).where(*where)
                                     .group_by(Complaint.status)).all())
    by_category = dict(session.execute(sa.select(Complaint.category, sa.func.count()).where(*where)
                                       .group_by(Complaint.category)).all())
    decided = session.execute(sa.select(Complaint.created_at, Complaint.handled_at)
                              .where(*where, Complaint.handled_at.is_not(None))).all()
    days = sorted((h - c).total_seconds() / 86400 for c, h in decided)
    total = sum(by_status.values())
    return {
        "total": total,
        "by_status": {s.value: by_status.get(s, 0) for s in ComplaintStatus},
        "by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
        "decided": len(days),
        "median_days_to_decide": round(days[len(days) // 2], 1) if days else None,
        "substantiated_share": round(by_status.get(ComplaintStatus.SUBSTANTIATED, 0) / len(days), 3) if days else None,
    }
