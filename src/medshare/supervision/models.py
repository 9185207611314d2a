"""Tables of supervision: regulators' departments, joint cases and their actions, sanctions, complaints,
credit events, remediation requests and the region's credit policy.

A subject is an institution or a practitioner, written "i:<id>" or "p:<id>" in `subject`, with the
matching foreign key set, so one index serves every per-subject lookup.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, string_enum, utcnow


class Department(enum.StrEnum):
    """The five departments of joint supervision (五部门联合监管)."""

    HEALTH = "health"
    INSURANCE = "insurance"
    MARKET = "market"
    DRUG = "drug"
    POLICE = "police"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # the institution responded
    APPEALED = "appealed"
    CLOSED = "closed"


class ActionKind(enum.StrEnum):
    FINDING = "finding"
    SANCTION = "sanction"  # a warning or a blacklisting
    FINE = "fine"
    SUSPENSION = "suspension"
    RESPONSE = "response"  # by the institution
    APPEAL = "appeal"  # by the institution, against one sanction
    APPEAL_UPHELD = "appeal_upheld"  # the sanction is lifted
    APPEAL_DISMISSED = "appeal_dismissed"
    CLOSURE = "closure"


class SanctionKind(enum.StrEnum):
    WARNING = "warning"
    FINE = "fine"
    SUSPENSION = "suspension"
    LICENCE_REVOCATION = "licence_revocation"
    BLACKLIST = "blacklist"


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"
    INVESTIGATING = "investigating"
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"


class RemediationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RegulatorDepartment(Base):
    """The department a regulator account acts for (health when not set)."""

    __tablename__ = "regulator_departments"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    department: Mapped[Department] = mapped_column(string_enum(Department))


class SupervisionCase(Base):
    """A shared case of joint supervision about one institution (and optionally one of its practitioners)."""

    __tablename__ = "supervision_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[CaseStatus] = mapped_column(string_enum(CaseStatus), default=CaseStatus.OPEN, index=True)
    opened_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    opened_by_department: Mapped[Department] = mapped_column(string_enum(Department))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]


class CaseAction(Base):
    """One step of a case, attributed to a department (regulators) or to the institution (response, appeal)."""

    __tablename__ = "supervision_case_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_cases.id"), index=True)
    kind: Mapped[ActionKind] = mapped_column(string_enum(ActionKind))
    department: Mapped[Department | None] = mapped_column(string_enum(Department))
    actor_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    actor_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    text: Mapped[str] = mapped_column(sa.String(2000), default="")
    sanction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_sanctions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Sanction(Base):
    """A sanction in force from starts_on until ends_on (open-ended when empty) unless lifted."""

    __tablename__ = "supervision_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(24), index=True)
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_cases.id"), index=True)
    kind: Mapped[SanctionKind] = mapped_column(string_enum(SanctionKind))
    department: Mapped[Department] = mapped_column(string_enum(Department))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    fine_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    blacklists: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    lifted_at: Mapped[dt.datetime | None]
    lifted_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint("(institution_id IS NULL) != (practitioner_id IS NULL)", name="one_subject"),
                      sa.CheckConstraint("fine_fen >= 0", name="fine"))


class Complaint(Base):
    """A complaint from the public (social supervision); who sent it is kept only as a salted hash for rate limits."""

    __tablename__ = "supervision_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    category: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.String(2000))
    status: Mapped[ComplaintStatus] = mapped_column(string_enum(ComplaintStatus), default=ComplaintStatus.RECEIVED,
                                                    index=True)
    source_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[dt.datetime | None]
    handled_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(sa.String(1000), default="")


class CreditEvent(Base):
    """One fact that moves a subject's credit score; (subject, kind, source) makes refreshing idempotent."""

    __tablename__ = "supervision_credit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(24), index=True)
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(80))
    occurred_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("subject", "kind", "source"),)


class Remediation(Base):
    """A request to leave the blacklist after putting things right; a regulator approves or rejects it."""

    __tablename__ = "supervision_remediations"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(24), index=True)
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    plan: Mapped[str] = mapped_column(sa.String(2000))
    status: Mapped[RemediationStatus] = mapped_column(string_enum(RemediationStatus),
                                                      default=RemediationStatus.PENDING, index=True)
    requested_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_department: Mapped[Department | None] = mapped_column(string_enum(Department))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str] = mapped_column(sa.String(1000), default="")


class SupervisionPolicy(Base):
    """The region's credit and complaint policy, as data (one row; defaults in rules.DEFAULT_POLICY)."""

    __tablename__ = "supervision_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    values: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
