"""Settlement statements and utilisation charts of shared assets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from medshare.assets import ledger, utilisation
from medshare.assets import service as assets
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.web import labels
from medshare.web.admin.common import region_wide
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import page_require, render

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.LEDGER_READ)]
Watcher = Annotated[Principal, page_require(Permission.UTILISATION_READ)]
MAX_CHART_SERIES = 12  # more lines than this is a tangle; the table below keeps every group


def _month(value: str) -> str:
    if len(value) == 7 and value[4] == "-" and value.replace("-", "").isdigit():
        return value
    return dt.datetime.now(assets.region_tz()).strftime("%Y-%m")


def _neighbour(month: str, step: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _statement(session, viewer: Principal, month: str, institution: str) -> tuple[dict, int | None]:
    institution_id = int(institution) if institution.isdigit() else None
    if not region_wide(viewer, Permission.LEDGER_READ):
        institution_id = None  # the service reads the viewer's own; another id would be refused anyway
    return ledger.read_statement(session, viewer, month=month, institution_id=institution_id), institution_id


# Reading a statement leaves an audit event, so even this GET writes.
@router.get("/statements")
def statement_page(request: Request, session: AuditedReadSessionDep, viewer: Reader,
                   month: Annotated[str, Query(max_length=7)] = "",
                   institution: Annotated[str, Query(max_length=12)] = ""):
    """The viewer's institution's monthly statement: what it owes and is owed for shared assets."""
    month = _month(month)
    statement, institution_id = _statement(session, viewer, month, institution)
    party_id = institution_id or viewer.institution_id
    bookings_ = {line["booking_id"] for line in statement["lines"]}
    return render(request, "assets/statement.html", {
        "statement": statement, "month": month, "previous": _neighbour(month, -1), "next": _neighbour(month, 1),
        "party": registry.get_institution(session, party_id) if party_id else None,
        "institution": institution, "bookings_count": len(bookings_),
        "debits": sum(line["amount_fen"] for line in statement["lines"] if line["amount_fen"] > 0),
        "credits": -sum(line["amount_fen"] for line in statement["lines"] if line["amount_fen"] < 0),
        "region_wide": region_wide(viewer, Permission.LEDGER_READ),
    })


@router.get("/statements.csv")
def statement_csv(session: AuditedReadSessionDep, viewer: Reader, month: Annotated[str, Query(max_length=7)] = "",
                  institution: Annotated[str, Query(max_length=12)] = ""):
    """The same statement as a CSV file, amounts in fen and in yuan."""
    month = _month(month)
    statement, _ = _statement(session, viewer, month, institution)
    party = statement["party"].replace(":", "-")
    return PlainTextResponse(ledger.statement_csv(statement), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="statement-{party}-{month}.csv"'})


def _group_label(group_by: str, key: str, label: str) -> str:
    """A group's name in the page's language: grades and modalities are codes the labels know."""
    if group_by == "grade":
        return labels.label(int(key), "grade_level") if key in ("1", "2", "3") else gettext(labels.UNGRADED)
    if group_by == "modality":
        return labels.label(key, "modality") if key in labels.MODALITIES else labels.label(key, "asset_kind")
    return label


def _monday(value: str, weeks: int) -> dt.date:
    today = dt.datetime.now(assets.region_tz()).date()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = today - dt.timedelta(weeks=weeks - 1)  # the last weeks, this one included
    return day - dt.timedelta(days=day.weekday())


@router.get("/utilisation")
def utilisation_page(request: Request, session: SessionDep, viewer: Watcher,
                     start: Annotated[str, Query(max_length=10)] = "",
                     weeks: Annotated[int, Query(ge=1, le=26)] = 6,
                     group_by: Annotated[str, Query(max_length=20)] = ""):
    """Booked and used hours over open hours by week, per asset, institution, grade or modality, as charts."""
    in_viewers_language(request)
    wide = region_wide(viewer, Permission.UTILISATION_READ)
    group_by = group_by if group_by in utilisation.GROUPS else ("modality" if wide else "asset")
    monday = _monday(start, weeks)
    rows = utilisation.utilisation(session, viewer, start=monday, weeks=weeks, group_by=group_by)
    for row in rows:
        row["label"] = _group_label(group_by, row["key"], row["label"])
    week_list = [(monday + dt.timedelta(weeks=w)).isoformat() for w in range(weeks)]
    groups: dict[str, dict] = {}
    for row in rows:
        group = groups.setdefault(row["key"], {"key": row["key"], "label": row["label"], "weeks": {},
                                               "open": 0.0, "booked": 0.0, "used": 0.0})
        group["weeks"][row["week"]] = row
        group["open"] += row["open_hours"]
        group["booked"] += row["booked_hours"]
        group["used"] += row["used_hours"]
    ranked = sorted(groups.values(), key=lambda g: (-g["booked"], g["label"]))
    charted = ranked[:MAX_CHART_SERIES]
    chart = {
        "weeks": week_list,
        "series": [{"name": g["label"],
                    "booked": [round(100 * g["weeks"][w]["booked_ratio"], 1) if w in g["weeks"] else 0
                               for w in week_list],
                    "used": [round(100 * g["weeks"][w]["used_ratio"], 1) if w in g["weeks"] else 0
                             for w in week_list]} for g in charted],
        "totals": {
            "open": [round(sum(g["weeks"][w]["open_hours"] for g in ranked if w in g["weeks"]), 1)
                     for w in week_list],
            "booked": [round(sum(g["weeks"][w]["booked_hours"] for g in ranked if w in g["weeks"]), 1)
                       for w in week_list],
            "used": [round(sum(g["weeks"][w]["used_hours"] for g in ranked if w in g["weeks"]), 1)
                     for w in week_list]},
        "text": {"booked": gettext("Booked hours / open hours (%)"), "used": gettext("Used hours / open hours (%)"),
                 "open_hours": gettext("Open hours"), "booked_hours": gettext("Booked hours"),
                 "used_hours": gettext("Used hours"), "totals": gettext("All groups: hours by week")},
    }
    return render(request, "assets/utilisation.html", {
        "chart": chart, "groups": ranked, "weeks": week_list, "group_by": group_by, "weeks_count": weeks,
        "start": monday.isoformat(), "region_wide": wide, "charted": len(charted),
        "institution": registry.get_institution(session, viewer.institution_id) if viewer.institution_id else None,
    })
