"""The allocation desk of the regulator: start a run, review it against both baselines with every request's
explanation, and commit it into shipment orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.supplies import service as supplies
from medshare.supplies.schemas import RunIn
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build
from medshare.web.paging import Pager
from medshare.web.supplies.common import word

router = APIRouter()
Allocator = Annotated[Principal, page_require(Permission.SUPPLY_ALLOCATE)]
METHODS = ("fcfs", "proportional", "optimal")
ROWS = 50


def _desk_page(request: Request, session: Session, viewer: Principal, values: dict, errors: FormErrors,
               status_code: int = 200):
    in_viewers_language(request)
    _, waiting = supplies.list_requests(session, viewer, status="open", limit=1)
    return render(request, "supplies/desk.html", {
        "runs": supplies.list_runs(session, viewer), "waiting": waiting, "values": values, "errors": errors,
        "items": supplies.list_items(session), "word": word,
    }, status_code)


@router.get("/supplies/allocation")
def desk(request: Request, session: SessionDep, viewer: Allocator):
    """How many requests wait, recent runs, and the form that starts one."""
    return _desk_page(request, session, viewer, {"horizon_days": str(supplies.policy().horizon_days)}, NO_ERRORS)


@router.post("/supplies/runs", dependencies=[CsrfChecked])
def run_start(request: Request, session: SessionDep, viewer: Allocator, form: FormFields):
    """Allocate every open request (or those for one item): proposed, nothing moves until committed."""
    def start():
        values = {"horizon_days": form.get("horizon_days") or None,
                  "item_codes": [form["item_code"]] if form.get("item_code") else []}
        return supplies.propose(session, viewer, build(RunIn, values))

    run, errors = attempt(session, start)
    if errors:
        return _desk_page(request, session, viewer, form, errors, 422)
    return redirect(f"/supplies/runs/{run.id}")


def chart_of(figures: dict) -> dict:
    """Minimum and mean fill rate by priority class for each method, as the charts draw them."""
    methods = [m for m in METHODS if m in figures.get("methods", {})]
    classes = [c for c in supplies.policy().codes
               if any(c in figures["methods"][m]["by_class"] for m in methods)]

    def series(field: str) -> list[dict]:
        return [{"key": m, "name": word(m, "method"),
                 "data": [round(100 * figures["methods"][m]["by_class"].get(c, {}).get(field, 0), 1)
                          for c in classes]} for m in methods]

    return {"classes": [word(c, "priority") for c in classes], "min": series("min_fill"),
            "mean": series("mean_fill"),
            "text": {"min": gettext("Minimum fill rate by priority (%)"),
                     "mean": gettext("Mean fill rate by priority (%)")}}


def _run_page(request: Request, session: Session, viewer: Principal, run_id: int, show: str, page: int,
              errors: FormErrors = NO_ERRORS, status_code: int = 200):
    in_viewers_language(request)
    run = supplies.get_run(session, viewer, run_id)
    outcomes = [o for o in run.outcomes if show != "short" or o.covered < o.needed - 1e-6]
    pager = Pager(len(outcomes), page, ROWS)
    rows = outcomes[(pager.page - 1) * ROWS: pager.page * ROWS]
    requests = {o.request_id: supplies.get_request(session, o.request_id) for o in rows}
    lines: dict[int, list] = {}
    for line in run.lines:
        if line.request_id in requests:
            lines.setdefault(line.request_id, []).append(line)
    source_ids = {x.source_location_id for ls in lines.values() for x in ls}
    sources = {i: supplies.get_location(session, i) for i in source_ids}

    names = {i: registry.get_institution(session, i).name
             for i in {r.institution_id for r in requests.values()} | {s.institution_id for s in sources.values()}}
    figures = run.figures or {}
    return render(request, "supplies/run.html", {
        "run": run, "rows": rows, "requests": requests, "lines": lines, "sources": sources, "names": names,
        "pager": pager, "show": show, "query": {"show": show}, "figures": figures, "chart": chart_of(figures),
        "methods": [m for m in METHODS if m in figures.get("methods", {})], "items": {i.id: i for i in
                                                                                    supplies.list_items(session)},
        "word": word, "errors": errors, "classes": [c for c in supplies.policy().codes],
    }, status_code)


@router.get("/supplies/runs/{run_id}")
def run_view(request: Request, session: SessionDep, viewer: Allocator, run_id: int,
             show: Annotated[str, Query(max_length=8)] = "all",
             page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """A run: figures against both baselines, and each request's fill with what bound it."""
    return _run_page(request, session, viewer, run_id, show, page)


@router.post("/supplies/runs/{run_id}/commit", dependencies=[CsrfChecked])
def run_commit(request: Request, session: SessionDep, viewer: Allocator, run_id: int):
    """Commit the run into shipment orders."""
    run = supplies.get_run(session, viewer, run_id)
    _, errors = attempt(session, lambda: supplies.commit(session, viewer, run))
    if errors:
        return _run_page(request, session, viewer, run_id, "all", 1, errors, 409)
    return redirect(f"/supplies/runs/{run_id}")
