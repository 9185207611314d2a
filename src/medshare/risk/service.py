"""Use cases of risk supervision: scan the region with every rule, keep the alerts, and act on them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.assets import service as assets
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, authorize
from medshare.registry.models import Practitioner
from medshare.risk import rules, sources
from medshare.risk.models import AlertStatus, RiskAlert, RiskRun

RULES = ("overlap", "repeat_override", "no_show", "workload")


@dataclass(frozen=True)
class RiskPolicy:
    """The region's risk policy: windows, the travel gap between sites, and each rule's thresholds."""

    lookback_days: int = 90
    lookahead_days: int = 30  # overlaps are worth catching before they happen
    travel_minutes: int = 0
    rates: rules.RatePolicy = field(default_factory=rules.RatePolicy)
    workload: rules.WorkloadPolicy = field(default_factory=rules.WorkloadPolicy)


@dataclass
class Finding:
    """One rule's finding as stored: who it is about, how anomalous, what shows it."""

    rule: str
    fingerprint: str
    subject_type: str
    subject_id: int
    score: float
    summary: str
    evidence: dict
    institution_id: int | None = None
    practitioner_id: int | None = None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _commitment(c: rules.Commitment) -> dict:
    return {"source": c.source, "ref": c.ref, "site_institution_id": c.site_id, "starts_at": _iso(c.starts_at),
            "ends_at": _iso(c.ends_at)}


def overlap_findings(commitments: list[rules.Commitment], policy: RiskPolicy) -> list[Finding]:
    """Overlaps as findings: the two commitments, their sites and times, and how long they clash."""
    return [Finding(
        rule="overlap", fingerprint=o.fingerprint, subject_type="practitioner", subject_id=o.practitioner_id,
        practitioner_id=o.practitioner_id, score=round(o.minutes, 1),
        summary=(f"committed at institutions {o.first.site_id} and {o.second.site_id} at once "
                 f"({o.first.ref}, {o.second.ref}; {o.minutes:.0f} min)"),
        evidence={"commitments": [_commitment(o.first), _commitment(o.second)], "overlap_minutes": round(o.minutes, 1),
                  "travel_minutes": policy.travel_minutes})
        for o in rules.overlaps(commitments, travel_minutes=policy.travel_minutes)]


def rate_findings(rule: str, units: list[rules.RateUnit], policy: RiskPolicy, window: dict) -> list[Finding]:
    """Flagged units of a rate rule as findings, with the test's figures as evidence."""
    what = {"repeat_override": "repeat-exam override rate", "no_show": "no-show rate"}[rule]
    found = []
    for finding in rules.outlying_rates(units, policy.rates):
        if not finding.flagged:
            continue
        kind, _, ident = finding.key.partition(":")
        found.append(Finding(
            # A unit judged in several peer groups (lab and imaging, say) may be an alert in each.
            rule=rule, fingerprint=f"{rule}:{finding.key}@{finding.group}", subject_type=kind, subject_id=int(ident),
            institution_id=int(ident) if kind == "institution" else None,
            practitioner_id=int(ident) if kind == "practitioner" else None,
            score=round(-math.log10(max(finding.q_value, 1e-300)), 2),
            summary=(f"{what} {finding.rate:.1%} ({finding.events}/{finding.trials}) against peers' "
                     f"{finding.peer_rate:.1%}; q={finding.q_value:.2g}"),
            evidence=finding.evidence() | {"reasons": finding.reasons, "window": window}))
    return found


def workload_findings(items: list[rules.WorkItem], policy: RiskPolicy) -> list[Finding]:
    """Implausible practitioner-days as findings: minutes, peak hour and the items behind them."""
    return [Finding(
        rule="workload", fingerprint=w.fingerprint, subject_type="practitioner", subject_id=w.practitioner_id,
        practitioner_id=w.practitioner_id, score=round(max(w.minutes / policy.workload.max_minutes_per_day,
                                                           w.peak_per_hour / policy.workload.max_items_per_hour), 2),
        summary=f"{w.day.isoformat()}: " + "; ".join(w.reasons),
        evidence={"day": w.day.isoformat(), "minutes": w.minutes, "items": w.items, "peak_per_hour": w.peak_per_hour,
                  "peak_starts_at": _iso(w.peak_starts_at) if w.peak_starts_at else None, "reasons": w.reasons,
                  "refs": w.refs[:50], "max_minutes_per_day": policy.workload.max_minutes_per_day,
                  "max_items_per_hour": policy.workload.max_items_per_hour})
        for w in rules.implausible_workloads(items, policy.workload, tz=assets.region_tz())]


def _primary_institutions(session: Session, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(Practitioner.id, Practitioner.primary_institution_id)
                                .where(Practitioner.id.in_(ids))).all())


def _keep(session: Session, run: RiskRun, findings: list[Finding], now: dt.datetime) -> int:
    """Insert new findings and refresh open ones; a dismissed or referred alert keeps its decision. Returns new."""
    primary = _primary_institutions(session, {f.practitioner_id for f in findings if f.practitioner_id})
    existing = {a.fingerprint: a for a in session.scalars(
        sa.select(RiskAlert).where(RiskAlert.fingerprint.in_([f.fingerprint for f in findings])))} if findings else {}
    new = 0
    for finding in findings:
        alert = existing.get(finding.fingerprint)
        if alert is None:
            session.add(RiskAlert(
                rule=finding.rule, fingerprint=finding.fingerprint, subject_type=finding.subject_type,
                subject_id=finding.subject_id, practitioner_id=finding.practitioner_id,
                institution_id=finding.institution_id or primary.get(finding.practitioner_id or 0),
                score=finding.score, summary=finding.summary[:300], evidence=finding.evidence,
                first_run_id=run.id, last_run_id=run.id, detected_at=now, last_seen_at=now))
            new += 1
            continue
        alert.last_seen_at, alert.last_run_id = now, run.id
        if alert.status is AlertStatus.OPEN:
            alert.score, alert.summary, alert.evidence = finding.score, finding.summary[:300], finding.evidence
    session.flush()
    return new


def scan(session: Session, actor: Principal | None, *, now: dt.datetime | None = None,
         policy: RiskPolicy | None = None, progress: Callable[[str], None] | None = None) -> RiskRun:
    """Run every rule over the window around now and keep what they find; returns the run with its counts."""
    if actor is not None:
        authorize(actor, Permission.RISK_MANAGE)
    now = now or utcnow()
    policy = policy or RiskPolicy()
    start = now - dt.timedelta(days=policy.lookback_days)
    ahead = now + dt.timedelta(days=policy.lookahead_days)
    run = RiskRun(started_at=now, window_start=start, window_end=ahead,
                  by_user_id=actor.user_id if actor else None, counts={})
    session.add(run)
    session.flush()
    window = {"start": _iso(start), "end": _iso(now)}
    steps: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("overlap", lambda: overlap_findings(sources.gather(sources.COMMITMENT_SOURCES, session, start, ahead),
                                             policy)),
        ("repeat_override", lambda: rate_findings("repeat_override", sources.gather(
            sources.OVERRIDE_SOURCES, session, start, now), policy, window)),
        ("no_show", lambda: rate_findings("no_show", sources.gather(sources.NO_SHOW_SOURCES, session, start, now),
                                          policy, window)),
        ("workload", lambda: workload_findings(sources.gather(sources.WORKLOAD_SOURCES, session, start, now),
                                               policy)),
    ]
    counts = {}
    for name, step in steps:
        if progress:
            progress(name)
        findings = step()
        counts[name] = {"found": len(findings), "new": _keep(session, run, findings, now)}
    run.counts, run.finished_at = counts, utcnow()
    session.flush()
    record_event(session, actor, "risk.scan", "risk_run", run.id, details={"counts": counts})
    return run


def get_alert(session: Session, alert_id: int) -> RiskAlert:
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFound(f"risk alert {alert_id} does not exist")
    return alert


def get_run(session: Session, run_id: int) -> RiskRun:
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound(f"risk scan {run_id} does not exist")
    return run


def list_alerts(session: Session, actor: Principal, *, rule: str | None = None, status: str | None = None,
                institution_id: int | None = None, practitioner_id: int | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[RiskAlert], int]:
    """Alerts, most anomalous first within the newest, with the total that match."""
    authorize(actor, Permission.RISK_READ)
    query = sa.select(RiskAlert)
    if rule:
        query = query.where(RiskAlert.rule == rule)
    if status:
        query = query.where(RiskAlert.status == status)
    if institution_id:
        query = query.where(RiskAlert.institution_id == institution_id)
    if practitioner_id:
        query = query.where(RiskAlert.practitioner_id == practitioner_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(RiskAlert.detected_at.desc(), RiskAlert.score.desc(), RiskAlert.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def counts_by_rule(session: Session, actor: Principal) -> dict[str, dict[str, int]]:
    """How many alerts each rule holds in each status."""
    authorize(actor, Permission.RISK_READ)
    result = {rule: {s.value: 0 for s in AlertStatus} for rule in RULES}
    for rule, status, count in session.execute(sa.select(RiskAlert.rule, RiskAlert.status, sa.func.count())
                                               .group_by(RiskAlert.rule, RiskAlert.status)):
        result.setdefault(rule, {s.value: 0 for s in AlertStatus})[AlertStatus(status).value] = count
    return result


def list_runs(session: Session, actor: Principal, *, limit: int = 20) -> list[RiskRun]:
    authorize(actor, Permission.RISK_READ)
    return list(session.scalars(sa.select(RiskRun).order_by(RiskRun.id.desc()).limit(limit)))


def _decide(session: Session, actor: Principal, alert: RiskAlert, status: AlertStatus, reason: str,
            now: dt.datetime | None) -> None:
    alert.status, alert.status_reason = status, reason
    alert.decided_by_user_id, alert.decided_at = actor.user_id, now or utcnow()
    session.flush()
    record_event(session, actor, f"risk.alert.{status.value}", "risk_alert", alert.id,
                 institution_id=alert.institution_id, details={"rule": alert.rule, "case_ref": alert.case_ref})


def dismiss(session: Session, actor: Principal, alert: RiskAlert, *, reason: str,
            now: dt.datetime | None = None) -> RiskAlert:
    """Close an open alert as explained; the reason is required and kept."""
    authorize(actor, Permission.RISK_MANAGE)
    if len(reason.strip()) < 3:
        raise InvalidInput.on("reason", "required", "say why the alert is dismissed")
    if alert.status is not AlertStatus.OPEN:
        raise Conflict.on("status", "open", f"only an open alert is dismissed; this one is {alert.status.value}")
    _decide(session, actor, alert, AlertStatus.DISMISSED, reason.strip()[:500], now)
    return alert


def reopen(session: Session, actor: Principal, alert: RiskAlert, *, reason: str = "",
           now: dt.datetime | None = None) -> RiskAlert:
    """Open a dismissed alert again (a second look)."""
    authorize(actor, Permission.RISK_MANAGE)
    if alert.status is not AlertStatus.DISMISSED:
        raise Conflict.on("status", "dismissed",
                          f"only a dismissed alert is reopened; this one is {alert.status.value}")
    _decide(session, actor, alert, AlertStatus.OPEN, reason.strip()[:500], now)
    return alert


def _open_case(session: Session, actor: Principal, alert: RiskAlert, note: str) -> str:
    """A new joint-supervision case about the alert's institution (and practitioner), its finding the alert's."""
    from medshare.supervision import cases

    if alert.institution_id is None:
        raise InvalidInput.on("case_ref", "required", "the alert names no institution; name an existing case")
    finding = f"risk alert #{alert.id} ({alert.rule}): {alert.summary}" + (f" — {note.strip()}" if note.strip() else "")
    case = cases.open_case(session, actor, institution_id=alert.institution_id, practitioner_id=alert.practitioner_id,
                           title=f"risk alert #{alert.id}: {alert.rule}"[:200], finding=finding[:2000])
    return f"case:{case.id}"


def refer(session: Session, actor: Principal, alert: RiskAlert, *, case_ref: str = "", note: str = "",
          now: dt.datetime | None = None) -> RiskAlert:
    """Hand an open alert to a joint-supervision case: an existing one named by case_ref, or a new one."""
    authorize(actor, Permission.RISK_MANAGE)
    if alert.status is AlertStatus.REFERRED:
        raise Conflict.on("status", "not-referred", f"the alert is already referred to {alert.case_ref}")
    if alert.status is not AlertStatus.OPEN:
        raise Conflict.on("status", "open", f"only an open alert is referred; this one is {alert.status.value}")
    reference = case_ref.strip() or _open_case(session, actor, alert, note)
    alert.case_ref = reference[:64]
    _decide(session, actor, alert, AlertStatus.REFERRED, note.strip()[:500], now)
    return alert
