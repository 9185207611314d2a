"""JSON API of risk supervision: run a scan, read the alerts with their evidence, dismiss or refer them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.risk import service as risk
from medshare.risk.models import AlertStatus
from medshare.risk.schemas import AlertOut, DismissIn, ReferIn, ReopenIn, RunOut, ScanIn
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1/risk", tags=["risk supervision"])
Reader = Annotated[Principal, require(Permission.RISK_READ)]
Manager = Annotated[Principal, require(Permission.RISK_MANAGE)]


@router.post("/scans", response_model=RunOut, status_code=status.HTTP_201_CREATED,
             summary="Run every risk rule over the region now")
def run_scan(session: SessionDep, data: ScanIn, actor: Manager):
    policy = risk.RiskPolicy(lookback_days=data.lookback_days, lookahead_days=data.lookahead_days,
                             travel_minutes=data.travel_minutes)
    return RunOut.model_validate(risk.scan(session, actor, policy=policy))


@router.get("/scans", response_model=list[RunOut], summary="The latest scans and what each found")
def list_scans(session: SessionDep, actor: Reader, limit: Annotated[int, Query(ge=1, le=100)] = 20):
    return [RunOut.model_validate(r) for r in risk.list_runs(session, actor, limit=limit)]


@router.get("/alerts", response_model=Page[AlertOut], summary="Alerts with their evidence, newest first")
def list_alerts(session: SessionDep, actor: Reader, page: PageParams,
                rule: Annotated[str | None, Query(pattern="^(overlap|repeat_override|no_show|workload)$")] = None,
                status_: Annotated[AlertStatus | None, Query(alias="status")] = None,
                institution_id: int | None = None, practitioner_id: int | None = None):
    rows, total = risk.list_alerts(session, actor, rule=rule, status=status_.value if status_ else None,
                                   institution_id=institution_id, practitioner_id=practitioner_id, **page)
    return Page(items=[AlertOut.model_validate(a) for a in rows], total=total, **page)


@router.get("/alerts/{alert_id}", response_model=AlertOut, summary="One alert and its evidence")
def read_alert(session: SessionDep, alert_id: int, actor: Reader):
    return AlertOut.model_validate(risk.get_alert(session, alert_id))


@router.post("/alerts/{alert_id}/dismiss", response_model=AlertOut, summary="Dismiss an open alert, saying why")
def dismiss(session: SessionDep, alert_id: int, data: DismissIn, actor: Manager):
    return AlertOut.model_validate(risk.dismiss(session, actor, risk.get_alert(session, alert_id), reason=data.reason))


@router.post("/alerts/{alert_id}/reopen", response_model=AlertOut, summary="Reopen a dismissed alert")
def reopen(session: SessionDep, alert_id: int, data: ReopenIn, actor: Manager):
    return AlertOut.model_validate(risk.reopen(session, actor, risk.get_alert(session, alert_id), reason=data.reason))


@router.post("/alerts/{alert_id}/refer", response_model=AlertOut,
             summary="Refer an open alert to a joint-supervision case")
def refer(session: SessionDep, alert_id: int, data: ReferIn, actor: Manager):
    return AlertOut.model_validate(risk.refer(session, actor, risk.get_alert(session, alert_id),
                                              case_ref=data.case_ref, note=data.note))
