"""Tables of regional exam scheduling: exam requests, scheduling runs and their proposals."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.assets.models import Modality
from medshare.db import Base, Timestamped
from medshare.scheduling.rules import RequestStatus, Urgency


def _enum(cls) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, name=f"sched_{cls.__name__.lower()}")


class ExamRequest(Timestamped, Base):
    """A patient waiting for an exam: what, how urgently, from when, how far they may travel, and for whom."""

    __tablename__ = "exam_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    referring_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    modality: Mapped[Modality] = mapped_column(_enum(Modality), index=True)
    exam_code: Mapped[str] = mapped_column(sa.String(40), default="")  # empty: any exam of the modality
    capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency))
    requested_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    earliest_date: Mapped[dt.date]
    max_travel_km: Mapped[float | None]  # None: the region's default
    # Where the patient travels from; None: the referring institution's location.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    prefer_own_hospital: Mapped[bool] = mapped_column(default=False)
    preferred_owner_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), index=True, default=RequestStatus.OPEN)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (sa.CheckConstraint("max_travel_km IS NULL OR max_travel_km > 0", name="travel"),)


class SchedulingRun(Timestamped, Base):
    """One optimisation over the open requests in scope, its figures, and whether it was committed."""

    __tablename__ = "scheduling_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("medical_communities.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed", index=True)  # proposed / committed
    day0: Mapped[dt.date]
    horizon_days: Mapped[int]
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    committed_at: Mapped[dt.datetime | None]

    proposals: Mapped[list[Proposal]] = relationship(cascade="all, delete-orphan", order_by="Proposal.id")


class Proposal(Base):
    """A run's answer for one request: a concrete slot, or the reason there is none."""

    __tablename__ = "scheduling_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("scheduling_runs.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_requests.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id"))
    exam_code: Mapped[str] = mapped_column(sa.String(40), default="")
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    distance_km: Mapped[float | None]
    wait_days: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.String(80), default="")
    # proposed / booked / replanned (booked elsewhere: its slot was taken) / failed (a booking rule refused) /
    # skipped (the request was no longer open) / unassigned (nothing to book)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))

    __table_args__ = (sa.UniqueConstraint("run_id", "request_id"),)
