"""The figures page: per institution and item for a month, charts of recognitions, repeats by reason and trend."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.deps import SessionDep
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.recognition import figures as recognition_figures
from medshare.recognition import service as recognition
from medshare.recognition.models import RepeatReason
from medshare.registry import service as registry
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import page_require, render
from medshare.web.recognition import common

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.RECOGNITION_FIGURES)]
TREND_MONTHS = 6


@router.get("/recognition/dashboard")
def dashboard(request: Request, session: SessionDep, viewer: Reader,
              month: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
              institution: Annotated[str, Query(max_length=12)] = ""):
    """Look-ups, recognitions, repeats by reason, exams avoided, money saved and overlooked orders."""
    in_viewers_language(request)
    today = dt.datetime.now(recognition.region_tz()).date()
    month = month or today.strftime("%Y-%m")
    region_wide = scope_of(viewer, Permission.RECOGNITION_FIGURES) is Scope.ANY
    institution_id = int(institution) if region_wide and institution.isdigit() else None
    fig = recognition_figures.figures(session, viewer, month=month, institution_id=institution_id)
    trend = recognition_figures.trend(session, viewer, months=recognition_figures.months_back(today, TREND_MONTHS),
                                      institution_id=institution_id)
    names = {i: registry.get_institution(session, i).name for i in {r["institution_id"] for r in fig["rows"]}}
    by_item: dict[str, dict] = {}
    for r in fig["rows"]:
        key = r["item_name_zh"] if request.state.locale == "zh_Hans" and r["item_name_zh"] else r["item_name"]
        agg = by_item.setdefault(key, {"recognitions": 0, "repeats": 0, "overlooked": 0})
        for k in agg:
            agg[k] += r[k]
    chart = {
        "items": list(by_item), "series": {k: [v[k] for v in by_item.values()]
                                           for k in ("recognitions", "repeats", "overlooked")},
        "reasons": [{"name": common.word(common.REASONS, r), "value": fig["totals"]["repeats_by_reason"][r.value]}
                    for r in RepeatReason],
        "months": [t["month"] for t in trend],
        "trend": {k: [t[k] for t in trend] for k in ("lookups", "recognitions", "repeats")},
        "saved": [round(t["money_saved_fen"] / 100, 2) for t in trend],
        "text": {"items": gettext("Recognitions, repeats and overlooked orders by item"),
                 "reasons": gettext("Repeats by reason"), "trend": gettext("Month by month"),
                 "recognitions": gettext("Recognitions"), "repeats": gettext("Repeats"),
                 "overlooked": gettext("Overlooked orders"), "lookups": gettext("Look-ups"),
                 "saved": gettext("Money saved (yuan)")},
    }
    rows = [r | {"institution": names.get(r["institution_id"], ""), "saved": common.yuan(r["money_saved_fen"]),
                 "item": r["item_name_zh"] if request.state.locale == "zh_Hans" and r["item_name_zh"]
                 else r["item_name"],
                 "reasons_text": ", ".join(f"{common.word(common.REASONS, k)} {v}"
                                           for k, v in r["repeats_by_reason"].items() if v)} for r in fig["rows"]]
    return render(request, "recognition/dashboard.html", {
        "fig": fig, "rows": rows, "chart": chart, "month": month,
        "saved": common.yuan(fig["totals"]["money_saved_fen"]),
        "region_wide": region_wide, "institution": institution, "tab": "dashboard",
        "institution_name": registry.get_institution(session, viewer.institution_id).name
        if viewer.institution_id and not region_wide else "",
    })


@router.get("/recognition/catalogue")
def catalogue(request: Request, session: SessionDep, viewer: Reader):
    """The region's item catalogue and scope rules, as policy data."""
    in_viewers_language(request)
    items = recognition.list_items(session, include_inactive=True)
    return render(request, "recognition/catalogue.html", {
        "items": [{"item": i, "name": common.item_name(i), "category": common.word(common.CATEGORIES, i.category),
                   "fee": common.yuan(i.fee_fen)} for i in items],
        "scope": recognition.scope(session), "tab": "catalogue"})
