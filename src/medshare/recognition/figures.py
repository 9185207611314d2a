"""Figures of mutual recognition per institution, item and month: look-ups, recognitions, repeats by reason,
exams avoided, money saved, and orders placed without a look-up although a recognisable result existed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.errors import Forbidden, InvalidInput
from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.recognition import service as recognition
from medshare.recognition.models import Decision, RecognitionCheck, RecognitionItem, RepeatReason
from medshare.records.models import ServiceRequest

OVERLOOKED_LIMIT = 5000  # orders examined per call; beyond this the figure says it is a lower bound


def _month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=recognition.region_tz())
    except ValueError as error:
        raise InvalidInput.on("month", "yyyy-mm", "write the month as YYYY-MM") from error
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _reach(actor: Principal, institution_id: int | None) -> int | None:
    reach = scope_of(actor, Permission.RECOGNITION_FIGURES)
    if reach is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.RECOGNITION_FIGURES.value}")
    if reach is not Scope.ANY:
        if institution_id is not None and institution_id != actor.institution_id:
            raise Forbidden("figures of other institutions are the regulator's")
        return actor.institution_id
    return institution_id


def overlooked(session: Session, *, month: str, institution_id: int | None = None) -> tuple[dict, bool]:
    """(institution, item code) -> orders of the month placed without a look-up while a recognisable result
    existed; and whether the count was cut at OVERLOOKED_LIMIT."""
    start, end = _month_bounds(month)
    items = {i.code: i for i in recognition.list_items(session)}
    looked = sa.select(RecognitionCheck.service_request_id).where(RecognitionCheck.service_request_id.is_not(None))
    query = sa.select(ServiceRequest).where(
        ServiceRequest.code.in_(list(items)), ServiceRequest.authored_on >= start, ServiceRequest.authored_on < end,
        ServiceRequest.requester_institution_id.is_not(None), ServiceRequest.id.not_in(looked),
        ServiceRequest.status != "entered-in-error")
    if institution_id is not None:
        query = query.where(ServiceRequest.requester_institution_id == institution_id)
    orders = session.scalars(query.order_by(ServiceRequest.id).limit(OVERLOOKED_LIMIT + 1)).all()
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for order in orders[:OVERLOOKED_LIMIT]:
        item = items[order.code]
        # Results made before the order (a minute's grace: the order's own result is not "prior").
        found = recognition.candidates(session, item, order.patient_record_id, order.requester_institution_id,
                                       now=order.authored_on - dt.timedelta(minutes=1))
        if any(c.recognisable for c in found):
            counts[(order.requester_institution_id, item.code)] += 1
    return counts, len(orders) > OVERLOOKED_LIMIT


def figures(session: Session, actor: Principal, *, month: str, institution_id: int | None = None,
            item_code: str | None = None, with_overlooked: bool = True) -> dict:
    """Rows per institution and item for the month, and the month's totals (money in fen)."""
    institution_id = _reach(actor, institution_id)
    items = {i.id: i for i in session.scalars(sa.select(RecognitionItem))}
    query = (sa.select(RecognitionCheck.institution_id, RecognitionCheck.item_id, RecognitionCheck.decision,
                       RecognitionCheck.repeat_reason, sa.func.count().label("n"),
                       sa.func.coalesce(sa.func.sum(RecognitionCheck.fee_fen), 0).label("fees"))
             .where(RecognitionCheck.month == month)
             .group_by(RecognitionCheck.institution_id, RecognitionCheck.item_id, RecognitionCheck.decision,
                       RecognitionCheck.repeat_reason))
    _month_bounds(month)
    if institution_id is not None:
        query = query.where(RecognitionCheck.institution_id == institution_id)
    if item_code:
        query = query.where(RecognitionCheck.item_id == recognition.item_by_code(session, item_code).id)
    rows: dict[tuple[int, int], dict] = {}

    def row(inst: int, item_id: int) -> dict:
        if (inst, item_id) not in rows:
            item = items[item_id]
            rows[(inst, item_id)] = {"institution_id": inst, "item_code": item.code, "item_name": item.name,
                                     "item_name_zh": item.name_zh, "category": item.category.value, "month": month,
                                     "lookups": 0, "recognitions": 0, "repeats": 0, "new_exams": 0, "pending": 0,
                                     "repeats_by_reason": {r.value: 0 for r in RepeatReason},
                                     "exams_avoided": 0, "money_saved_fen": 0, "overlooked": 0}
        return rows[(inst, item_id)]

    for inst, item_id, decision, reason, n, fees in session.execute(query):
        r = row(inst, item_id)
        r["lookups"] += n
        if decision == Decision.ACCEPTED:
            r["recognitions"] += n
            r["exams_avoided"] += n
            r["money_saved_fen"] += int(fees)
        elif decision == Decision.REPEATED:
            r["repeats"] += n
            r["repeats_by_reason"][RepeatReason(reason).value if reason else "unstated"] = n
        elif decision == Decision.NEW:
            r["new_exams"] += n
        else:
            r["pending"] += n
    truncated = False
    if with_overlooked:
        by_code = {i.code: i.id for i in items.values()}
        missed, truncated = overlooked(session, month=month, institution_id=institution_id)
        for (inst, code), n in missed.items():
            if item_code and code != item_code:
                continue
            row(inst, by_code[code])["overlooked"] += n
    out = sorted(rows.values(), key=lambda r: (r["institution_id"], r["category"], r["item_code"]))
    keys = ("lookups", "recognitions", "repeats", "new_exams", "pending", "exams_avoided", "money_saved_fen",
            "overlooked")
    totals = {k: sum(r[k] for r in out) for k in keys}
    totals["repeats_by_reason"] = {reason.value: sum(r["repeats_by_reason"][reason.value] for r in out)
                                   for reason in RepeatReason}
    decided = totals["recognitions"] + totals["repeats"]
    totals["recognition_rate"] = round(totals["recognitions"] / decided, 4) if decided else None
    return {"month": month, "rows": out, "totals": totals, "overlooked_lower_bound": truncated}


def months_back(today: dt.date, n: int) -> list[str]:
    """The n months up to today's, oldest first, as YYYY-MM."""
    out, year, month = [], today.year, today.month
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def trend(session: Session, actor: Principal, *, months: list[str], institution_id: int | None = None) -> list[dict]:
    """Per month: look-ups, recognitions, repeats, money saved (no overlooked count: that one is per month)."""
    return [{"month": m, **{k: v for k, v in figures(session, actor, month=m, institution_id=institution_id,
                                                    with_overlooked=False)["totals"].items()
                            if k != "repeats_by_reason"}} for m in months]

