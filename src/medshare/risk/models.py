"""Tables of risk scans and the alerts they raise for regulators."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, string_enum, utcnow


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # a regulator looked and found it explained; the reason is kept
    REFERRED = "referred"  # handed to a joint-supervision case


class RiskRun(Base):
    """One batch scan of the rules over a time window."""

    __tablename__ = "risk_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # per rule: found, new


class RiskAlert(Base):
    """A finding of one rule about one subject, with the evidence behind it.

    The fingerprint names the finding (rule, subject and, for an overlap, the two commitments),
    so a later scan that finds it again updates the alert instead of raising another.
    """

    __tablename__ = "risk_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(40), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(200), unique=True)
    subject_type: Mapped[str] = mapped_column(sa.String(20))  # practitioner, institution
    subject_id: Mapped[int]
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    score: Mapped[float] = mapped_column(default=0.0)  # larger is more anomalous; comparable within a rule
    summary: Mapped[str] = mapped_column(sa.String(300))
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[AlertStatus] = mapped_column(string_enum(AlertStatus), default=AlertStatus.OPEN, index=True)
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    case_ref: Mapped[str] = mapped_column(sa.String(64), default="")
    first_run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_runs.id"))
    last_run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_runs.id"))
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
