"""The review queue: candidate pairs side by side, field by field, and the reviewer's link or reject."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.identity import persons
from medshare.identity.models import PatientRecord, ReviewItem, ReviewStatus
from medshare.permissions import Permission, Principal
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, attempt
from medshare.web.identity.common import institution_names
from medshare.web.paging import PAGE_SIZE, Pager, choice

router = APIRouter()
Reviewer = Annotated[Principal, page_require(Permission.IDENTITY_REVIEW)]
ALL = "all"  # the filter's word for every status: a blank one would fall back to the open queue


def _queue_records(session: Session, viewer: Principal, items: list[ReviewItem]) -> dict[int, PatientRecord]:
    """The two records of each item, whose names the queue shows: each one an audited read."""
    ids = {i.record_id for i in items} | {i.candidate_record_id for i in items}
    records = {r.id: r for r in session.scalars(sa.select(PatientRecord).where(PatientRecord.id.in_(ids)))}
    for item in items:
        for record_id in (item.record_id, item.candidate_record_id):
            record = records[record_id]
            record_event(session, viewer, "patient.read", "patient_record", record.id,
                         institution_id=record.institution_id, patient_record_id=record.id,
                         details={"via": "review-queue", "review_item_id": item.id})
    return records


# Names in the queue are patient data: listing them leaves audit events, so even this GET writes.
@router.get("/reviews")
def review_queue(request: Request, session: AuditedReadSessionDep, viewer: Reviewer,
                 status: Annotated[str, Query(max_length=12)] = ReviewStatus.OPEN.value,
                 page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """Pairs that may be one person, for the viewer's institution (or the region's, for a regulator)."""
    chosen = choice(status, ReviewStatus)
    status = chosen.value if chosen else ALL
    items, total = persons.list_reviews(session, viewer, status=chosen.value if chosen else "", limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
    records = _queue_records(session, viewer, items)
    context = {
        "items": items, "records": records, "pager": Pager(total, page), "query": {"status": status},
        "institutions": institution_names(session, [r.institution_id for r in records.values()]),
        "statuses": [*ReviewStatus], "tab": "reviews",
    }
    template = "identity/_review_rows.html" if is_htmx(request) else "identity/reviews.html"
    return render(request, template, context)


def _item_page(request: Request, session: Session, viewer: Principal, item_id: int, errors: FormErrors,
               status_code: int = 200):
    view = persons.read_review(session, viewer, item_id)
    weights = [c["weight"] for c in view.item.comparisons]
    return render(request, "identity/review.html", {
        "view": view, "item": view.item, "comparisons": {c["field"]: c for c in view.item.comparisons},
        # What the fields do not explain is the prior: shown, so the column adds up to the total.
        "prior": view.item.score - sum(weights), "widest": max([abs(w) for w in weights] + [0.01]),
        "errors": errors,
        "institutions": institution_names(session, [view.record.institution_id, view.candidate.institution_id]),
    }, status_code)


@router.get("/reviews/{item_id}")
def review_item(request: Request, session: AuditedReadSessionDep, viewer: Reviewer, item_id: int):
    """One candidate pair side by side: each field's comparison and weight, the total; an audited read."""
    return _item_page(request, session, viewer, item_id, NO_ERRORS)


@router.post("/reviews/{item_id}/link", dependencies=[CsrfChecked])
def link_pair(request: Request, session: SessionDep, viewer: Reviewer, item_id: int):
    """The reviewer's answer "one person": the record joins the candidate's person."""
    item = persons.load_review(session, item_id)
    _, errors = attempt(session, lambda: persons.decide_link(session, viewer, item))
    if errors:
        return _item_page(request, session, viewer, item_id, errors, 409)
    return redirect("/identity/reviews", flash="review-linked")


@router.post("/reviews/{item_id}/reject", dependencies=[CsrfChecked])
def reject_pair(request: Request, session: SessionDep, viewer: Reviewer, item_id: int):
    """The reviewer's answer "two people": remembered, and the pair is never proposed again."""
    item = persons.load_review(session, item_id)
    _, errors = attempt(session, lambda: persons.decide_reject(session, viewer, item))
    if errors:
        return _item_page(request, session, viewer, item_id, errors, 409)
    return redirect("/identity/reviews", flash="review-rejected")
