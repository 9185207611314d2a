"""Tables of insurance coverage and of claims for shared services with their adjudication and settlement."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped, string_enum


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for the insurer
    APPROVED = "approved"  # the whole amount will be paid
    PARTIAL = "partial"  # part of it will be paid; the reasons say why not the rest
    DENIED = "denied"  # nothing will be paid; the reasons say why
    SETTLED = "settled"  # the insurer paid the provider directly (approved or partial)
    WITHDRAWN = "withdrawn"  # the provider took it back before adjudication


class Coverage(Timestamped, Base):
    """A patient record's insurance: which insurer, under which policy, from when to when."""

    __tablename__ = "coverages"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    insurer_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    policy_number: Mapped[str] = mapped_column(sa.String(64))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.UniqueConstraint("insurer_institution_id", "policy_number"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )


class Claim(Timestamped, Base):
    """One completed shared service billed to the patient's insurer: only what the claim needs.

    No names, IDs or clinical notes: the patient is a record reference, the service an exam code.
    """

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_kind: Mapped[str] = mapped_column(sa.String(30))  # booking, teleconsultation
    service_ref: Mapped[str] = mapped_column(sa.String(64))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    coverage_id: Mapped[int] = mapped_column(sa.ForeignKey("coverages.id"))
    insurer_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    provider_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    facility_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    item_code: Mapped[str] = mapped_column(sa.String(40))
    item_display: Mapped[str] = mapped_column(sa.String(200), default="")
    service_date: Mapped[dt.date]
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)
    approved_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[ClaimStatus] = mapped_column(string_enum(ClaimStatus), default=ClaimStatus.SUBMITTED, index=True)
    reasons: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)  # [{"code": ..., "note": ...}]
    submitted_at: Mapped[dt.datetime] = mapped_column(index=True)
    adjudicated_at: Mapped[dt.datetime | None]
    adjudicated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    settled_at: Mapped[dt.datetime | None]
    settlement_ref: Mapped[str] = mapped_column(sa.String(64), default="")

    __table_args__ = (
        # One claim per service: a retried completion never bills twice.
        sa.UniqueConstraint("service_kind", "service_ref"),
        sa.CheckConstraint("total_fen >= 0", name="total"),
        sa.CheckConstraint("approved_fen IS NULL OR (approved_fen >= 0 AND approved_fen <= total_fen)",
                           name="approved"),
    )
