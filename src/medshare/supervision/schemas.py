"""API shapes of supervision."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.schemas import Out, Strict
from medshare.supervision.models import ActionKind, CaseStatus, ComplaintStatus, Department, SanctionKind


class StandingOut(Out):
    score: float
    level: str
    blacklisted: bool
    reasons: list[str]


class SanctionOut(Out):
    id: int
    subject: str
    institution_id: int | None
    practitioner_id: int | None
    case_id: int | None
    kind: SanctionKind
    department: Department
    reason: str
    fine_fen: int
    blacklists: bool
    starts_on: dt.date
    ends_on: dt.date | None
    lifted_at: dt.datetime | None
    lifted_reason: str


class TrustOut(Out):
    standing: StandingOut
    sanctions_in_force: list[SanctionOut]
    sanctions_past: list[SanctionOut]
    accreditations: list[dict]
    complaints: dict | None


class CaseIn(Strict):
    institution_id: int
    practitioner_id: int | None = None
    title: str = Field(min_length=3, max_length=200)
    finding: str = Field(default="", max_length=2000)


class ActionIn(Strict):
    kind: ActionKind
    text: str = Field(default="", max_length=2000)
    sanction_kind: SanctionKind | None = None
    fine_fen: int = Field(default=0, ge=0)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    on_practitioner: bool = False
    sanction_id: int | None = None


class ActionOut(Out):
    id: int
    kind: ActionKind
    department: Department | None
    actor_user_id: int
    actor_institution_id: int | None
    text: str
    sanction_id: int | None
    created_at: dt.datetime


class CaseOut(Out):
    id: int
    institution_id: int
    practitioner_id: int | None
    title: str
    status: CaseStatus
    opened_by_department: Department
    created_at: dt.datetime
    closed_at: dt.datetime | None


class CaseDetailOut(CaseOut):
    actions: list[ActionOut]
    sanctions: list[SanctionOut]


class ComplaintOut(Out):
    id: int
    institution_id: int
    practitioner_id: int | None
    category: str
    text: str
    status: ComplaintStatus
    created_at: dt.datetime
    handled_at: dt.datetime | None
    resolution: str


class HandleIn(Strict):
    status: ComplaintStatus
    resolution: str = Field(default="", max_length=1000)


class RemediationIn(Strict):
    institution_id: int | None = None
    practitioner_id: int | None = None
    plan: str = Field(min_length=10, max_length=2000)


class DecisionIn(Strict):
    approve: bool
    note: str = Field(default="", max_length=1000)


class RemediationOut(Out):
    id: int
    subject: str
    institution_id: int | None
    practitioner_id: int | None
    plan: str
    status: str
    created_at: dt.datetime
    decided_department: Department | None
    decided_at: dt.datetime | None
    decision_note: str


class DepartmentIn(Strict):
    department: Department
