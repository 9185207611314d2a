"""Pages of risk supervision: the regulators' alert list, one alert with its evidence, and their decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import NotFound
from medshare.permissions import Permission, Principal, has
from medshare.registry import service as registry
from medshare.risk import service as risk
from medshare.risk.models import AlertStatus, RiskAlert
from medshare.web import labels
from medshare.web.assets import common  # noqa: F401 (registers the yuan and when filters)
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt
from medshare.web.paging import Pager

N_ = labels.N_
RULES = {
    "overlap": N_("Two sites at once"),
    "repeat_override": N_("Repeat-exam overrides far above peers"),
    "no_show": N_("No-shows far above peers"),
    "workload": N_("Implausible workload"),
}
STATUSES = {
    AlertStatus.OPEN: N_("Open"),
    AlertStatus.DISMISSED: N_("Dismissed"),
    AlertStatus.REFERRED: N_("Referred to a case"),
}
SUBJECTS = {"practitioner": N_("Practitioner"), "institution": N_("Institution")}
labels.KINDS.setdefault("risk_rule", RULES)
labels.KINDS.setdefault("alert_status", STATUSES)
labels.KINDS.setdefault("risk_subject", SUBJECTS)

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.RISK_READ)]
Manager = Annotated[Principal, page_require(Permission.RISK_MANAGE)]
ROWS = 30


def _subject_name(session: Session, alert: RiskAlert) -> str:
    try:
        if alert.subject_type == "practitioner":
            return registry.get_practitioner(session, alert.subject_id).name
        return registry.get_institution(session, alert.subject_id).name
    except NotFound:
        return f"#{alert.subject_id}"


@router.get("/risk/alerts")
def alert_list(request: Request, session: SessionDep, viewer: Reader,
               rule: Annotated[str, Query(max_length=20)] = "",
               status: Annotated[str, Query(max_length=12)] = "open",
               page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """Alerts of every rule, newest first, with how many each rule holds in each status."""
    rule = rule if rule in RULES else ""
    status = status if status in {s.value for s in AlertStatus} else ""
    rows, total = risk.list_alerts(session, viewer, rule=rule or None, status=status or None, limit=ROWS,
                                   offset=(page - 1) * ROWS)
    return render(request, "risk/alerts.html", {
        "alerts": rows, "names": {a.id: _subject_name(session, a) for a in rows}, "pager": Pager(total, page, ROWS),
        "query": {"rule": rule, "status": status}, "rules": RULES, "statuses": [s.value for s in AlertStatus],
        "counts": risk.counts_by_rule(session, viewer), "runs": risk.list_runs(session, viewer, limit=1),
        "may_manage": has(viewer, Permission.RISK_MANAGE),
    })


@router.post("/risk/scans", dependencies=[CsrfChecked])
def scan_now(request: Request, session: SessionDep, viewer: Manager):
    """Run every rule now over the region."""
    risk.scan(session, viewer)
    return redirect("/risk/alerts")


def _alert_page(request: Request, session: Session, viewer: Principal, alert: RiskAlert,
                errors: FormErrors = NO_ERRORS, values: dict | None = None, status_code: int = 200):
    evidence = dict(alert.evidence or {})
    commitments = evidence.pop("commitments", [])
    institutions = {c["site_institution_id"] for c in commitments}
    return render(request, "risk/alert.html", {
        "alert": alert, "subject": _subject_name(session, alert), "commitments": commitments,
        "sites": {i: registry.get_institution(session, i).name for i in institutions},
        "evidence": evidence, "errors": errors, "values": values or {},
        "may_manage": has(viewer, Permission.RISK_MANAGE),
    }, status_code)


@router.get("/risk/alerts/{alert_id}")
def alert_view(request: Request, session: SessionDep, viewer: Reader, alert_id: int):
    """One alert: its subject, the evidence behind it, and what was decided."""
    return _alert_page(request, session, viewer, risk.get_alert(session, alert_id))


@router.post("/risk/alerts/{alert_id}/{action}", dependencies=[CsrfChecked])
def alert_decide(request: Request, session: SessionDep, viewer: Manager, alert_id: int, action: str,
                 form: FormFields):
    """Dismiss (with a reason), refer to a case, or reopen."""
    alert = risk.get_alert(session, alert_id)
    actions = {
        "dismiss": lambda: risk.dismiss(session, viewer, alert, reason=form.get("reason", "")),
        "refer": lambda: risk.refer(session, viewer, alert, case_ref=form.get("case_ref", ""),
                                    note=form.get("note", "")),
        "reopen": lambda: risk.reopen(session, viewer, alert, reason=form.get("reason", "")),
    }
    if action not in actions:
        raise NotFound(f"no action {action} on an alert")
    _, errors = attempt(session, actions[action])
    if errors:
        return _alert_page(request, session, viewer, risk.get_alert(session, alert_id), errors, form, 422)
    return redirect(f"/risk/alerts/{alert_id}")
