"""API shapes of risk scans and alerts."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.risk.models import AlertStatus
from medshare.schemas import Out, Strict


class ScanIn(Strict):
    lookback_days: int = Field(90, ge=1, le=366, description="rates and workloads are judged over these past days")
    lookahead_days: int = Field(30, ge=0, le=90, description="overlaps are also looked for this far ahead")
    travel_minutes: int = Field(0, ge=0, le=240, description="a shorter gap between two sites counts as an overlap")


class RunOut(Out):
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    window_start: dt.datetime
    window_end: dt.datetime
    by_user_id: int | None
    counts: dict


class AlertOut(Out):
    id: int
    rule: str
    subject_type: str
    subject_id: int
    institution_id: int | None
    practitioner_id: int | None
    score: float
    summary: str
    evidence: dict
    status: AlertStatus
    status_reason: str
    case_ref: str
    detected_at: dt.datetime
    last_seen_at: dt.datetime
    decided_at: dt.datetime | None


class DismissIn(Strict):
    reason: str = Field(min_length=3, max_length=500, description="why the alert needs no action")


class ReopenIn(Strict):
    reason: str = Field("", max_length=500)


class ReferIn(Strict):
    case_ref: str = Field("", max_length=64, description="an existing supervision case; empty: open a new one")
    note: str = Field("", max_length=500)
