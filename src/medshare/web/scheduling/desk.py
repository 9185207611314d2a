"""The scheduling desk: start a run over the open requests in scope, review its proposals and its figures
against both baselines as charts, and commit it through the booking service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import InvalidInput
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.scheduling import service as scheduling
from medshare.scheduling.models import Proposal, SchedulingRun
from medshare.scheduling.rules import RequestStatus
from medshare.scheduling.schemas import RunIn
from medshare.web import labels
from medshare.web.admin.common import picker_options, region_wide
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build
from medshare.web.paging import Pager
from medshare.web.scheduling.common import assets_by_id, chosen_name, due_within, institution_names

router = APIRouter()
Scheduler = Annotated[Principal, page_require(Permission.SCHEDULING_RUN)]
POLICIES = ("home_only", "greedy", "optimal")  # before (both baselines), then after
ROWS = 50
# Which proposals a run's table shows; "problems" are those with no slot, or whose booking failed.
SHOWS = {
    "all": lambda p: True,
    "assigned": lambda p: p.asset_id is not None and p.status != "failed",
    "problems": lambda p: p.asset_id is None or p.status == "failed",
    "replanned": lambda p: p.status == "replanned",
}


def _communities(session: Session, viewer: Principal, wide: bool):
    """The communities whose desk the viewer may run: every one for the region, else those its institution leads."""
    return [c for c in registry.list_communities(session) if wide or c.lead_institution_id == viewer.institution_id]


def _desk_page(request: Request, session: Session, viewer: Principal, values: dict, errors: FormErrors,
               status_code: int = 200):
    in_viewers_language(request)
    wide = region_wide(viewer, Permission.SCHEDULING_RUN)
    communities = _communities(session, viewer, wide)
    scopes = ["region", "community", "institution"] if wide else ["institution", "community"]
    if not communities:
        scopes.remove("community")
    _, waiting = scheduling.list_requests(session, viewer, status=RequestStatus.OPEN.value, limit=1)
    return render(request, "scheduling/desk.html", {
        "values": values, "errors": errors, "region_wide": wide, "scopes": scopes, "waiting": waiting,
        "communities": [(str(c.id), c.name) for c in communities],
        "options": picker_options(session) if wide else [],
        "chosen_name": chosen_name(session, values.get("institution_id", "")),
        "institution": institution_names(session, [viewer.institution_id]).get(viewer.institution_id, ""),
        "dues": [(c.name.value, due_within(c.due)) for c in scheduling.policy().classes],
    }, status_code)


@router.get("/scheduling")
def desk(request: Request, session: SessionDep, viewer: Scheduler):
    """The desk: how many requests wait, and the form that starts a run over those in scope."""
    wide = region_wide(viewer, Permission.SCHEDULING_RUN)
    values = {"scope": "region" if wide else "institution",
              "horizon_days": str(scheduling.policy().horizon_days)}
    return _desk_page(request, session, viewer, values, NO_ERRORS)


def _run_in(viewer: Principal, form: dict[str, str]) -> RunIn:
    """The chosen scope as RunIn; a scope whose choice is blank is refused beside that choice."""
    scope = form.get("scope", "")
    values: dict = {"horizon_days": form.get("horizon_days") or scheduling.policy().horizon_days}
    if scope == "community":
        if not form.get("community_id"):
            raise InvalidInput.on("community_id", "required", "choose a medical community")
        values["community_id"] = form["community_id"]
    elif scope == "institution" and region_wide(viewer, Permission.SCHEDULING_RUN):
        if not form.get("institution_id"):
            raise InvalidInput.on("institution_id", "required", "choose an institution")
        values["institution_id"] = form["institution_id"]
    elif scope != "region" or not region_wide(viewer, Permission.SCHEDULING_RUN):
        values["institution_id"] = viewer.institution_id
    return build(RunIn, values)


@router.post("/scheduling/runs", dependencies=[CsrfChecked])
def run_start(request: Request, session: SessionDep, viewer: Scheduler, form: FormFields):
    """Propose slots for every open request in scope: nothing is booked until the proposal is committed."""
    def start() -> SchedulingRun:
        data = _run_in(viewer, form)
        return scheduling.propose(session, viewer, community_id=data.community_id,
                                  institution_id=data.institution_id, horizon_days=data.horizon_days)

    run, errors = attempt(session, start)
    if errors:
        return _desk_page(request, session, viewer, form, errors, 422)
    return redirect(f"/scheduling/runs/{run.id}")


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def _grade_label(key: str) -> str:
    return labels.label(int(key), "grade_level") if key in ("1", "2", "3") else gettext(labels.UNGRADED)


def chart_of(figures: dict) -> dict:
    """The run's figures as the charts draw them: waits and share in time by urgency, utilisation by grade."""
    policies = [p for p in POLICIES if p in figures]
    optimal = figures.get("optimal", {}).get("by_urgency", {})
    classes = [c for c in scheduling.policy().names if optimal.get(c, {}).get("requests")]
    grades = sorted({g for p in policies for g in figures[p].get("utilisation_by_grade", {})}, key=int, reverse=True)

    def by_class(policy: str, field: str) -> list:
        return [figures[policy]["by_urgency"][c][field] for c in classes]

    return {
        "classes": [labels.label(c, "urgency") for c in classes],
        "grades": [_grade_label(g) for g in grades],
        "series": [{"key": p, "name": labels.label(p, "scheduling_policy"),
                    "mean": by_class(p, "mean_wait_days"), "p90": by_class(p, "p90_wait_days"),
                    "within_due": [_percent(v) for v in by_class(p, "share_within_due")],
                    "utilisation": [_percent(figures[p].get("utilisation_by_grade", {}).get(g)) for g in grades]}
                   for p in policies],
        "text": {"mean": gettext("Mean wait by urgency (days)"),
                 "p90": gettext("90th-percentile wait by urgency (days)"),
                 "within_due": gettext("Share done within due time (%)"),
                 "utilisation": gettext("Utilisation of the horizon's slots by grade (%)"),
                 "days": gettext("days")},
    }


def _lower_by(figures: dict, baseline: str) -> float | None:
    """How much lower the optimum's urgency-weighted mean wait is than a baseline's, as a percentage."""
    before = figures.get(baseline, {}).get("weighted_mean_wait_days")
    after = figures.get("optimal", {}).get("weighted_mean_wait_days")
    if not before or after is None:
        return None
    return round(100 * (before - after) / before)


def _run_page(request: Request, session: Session, viewer: Principal, run_id: int, show: str, page: int, *,
              errors: FormErrors = NO_ERRORS, status_code: int = 200):
    in_viewers_language(request)
    run = scheduling.get_run(session, viewer, run_id)
    show = show if show in SHOWS else "all"
    counts = {name: sum(1 for p in run.proposals if keep(p)) for name, keep in SHOWS.items()}
    chosen: list[Proposal] = [p for p in run.proposals if SHOWS[show](p)]
    pager = Pager(len(chosen), page, ROWS)
    rows = chosen[(pager.page - 1) * ROWS: pager.page * ROWS]
    requests = {p.request_id: scheduling.get_request(session, p.request_id) for p in rows}
    found = assets_by_id(session, [p.asset_id for p in rows])
    figures = run.figures or {}
    context = {
        "run": run, "rows": rows, "requests": requests, "assets": found, "pager": pager, "show": show,
        "counts": counts, "query": {"show": show}, "errors": errors,
        "institutions": institution_names(session, [r.referring_institution_id for r in requests.values()]
                                          + [a.owner_institution_id for a in found.values()]
                                          + [run.institution_id]),
        "community": registry.get_community(session, run.community_id).name if run.community_id else "",
        "figures": figures, "policies": [p for p in POLICIES if p in figures], "chart": chart_of(figures),
        "lower_than": {b: _lower_by(figures, b) for b in ("home_only", "greedy")},
        "committed": figures.get("commit", {}),
    }
    template = "scheduling/_proposal_rows.html" if is_htmx(request) else "scheduling/run.html"
    return render(request, template, context, status_code)


@router.get("/scheduling/runs/{run_id}")
def run_view(request: Request, session: SessionDep, viewer: Scheduler, run_id: int,
             show: Annotated[str, Query(max_length=12)] = "all",
             page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """A run's proposals (slot, owner, travel and wait; the unassigned with their reasons) and its charts."""
    return _run_page(request, session, viewer, run_id, show, page)


@router.post("/scheduling/runs/{run_id}/commit", dependencies=[CsrfChecked])
def run_commit(request: Request, session: SessionDep, viewer: Scheduler, run_id: int):
    """Book every proposal through the booking service; a slot taken since the proposal is re-planned."""
    run = scheduling.get_run(session, viewer, run_id)
    _, errors = attempt(session, lambda: scheduling.commit(session, viewer, run))
    if errors:
        return _run_page(request, session, viewer, run_id, "all", 1, errors=errors, status_code=409)
    return redirect(f"/scheduling/runs/{run_id}", flash="run-committed")
