"""The audit table."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base


class AuditEvent(Base):
    """Who did what to which object, when and from where.

    Rows are only ever inserted (triggers refuse UPDATE and DELETE on both databases). The
    nullable prev_hash/hash columns let a hash chain be computed at insert time later
    without touching the writers or existing rows.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str] = mapped_column(sa.String(40), default="")
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    institution_id: Mapped[int | None] = mapped_column(index=True)
    patient_record_id: Mapped[int | None] = mapped_column(index=True)
    source_ip: Mapped[str] = mapped_column(sa.String(64), default="")
    channel: Mapped[str] = mapped_column(sa.String(16), default="")
    request_id: Mapped[str] = mapped_column(sa.String(64), default="")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)
