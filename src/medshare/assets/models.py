"""Tables of shared assets, their calendars, bookings, waitlists and the settlement ledger."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.db import Base, Timestamped, string_enum


class AssetKind(enum.StrEnum):
    EQUIPMENT = "equipment"
    CONSULTING_ROOM = "consulting_room"
    OPERATING_THEATRE = "operating_theatre"
    DAY_BED = "day_bed"
    RESEARCH_INSTRUMENT = "research_instrument"


class Modality(enum.StrEnum):
    CT = "CT"
    MRI = "MRI"
    PET_CT = "PET-CT"
    DSA = "DSA"
    DR = "DR"
    ULTRASOUND = "ultrasound"
    ENDOSCOPY = "endoscopy"
    LAB_ANALYSER = "lab_analyser"


class OpenTo(enum.StrEnum):
    """Who may book at all: everyone, the owner's medical communities, or listed grades/types."""

    ALL = "all"
    COMMUNITY = "community"
    LISTED = "listed"


class Bookers(enum.StrEnum):
    """Whether institutions, practitioners booking for their own patients, or both may book."""

    INSTITUTIONS = "institutions"
    PRACTITIONERS = "practitioners"
    BOTH = "both"


class BookingStatus(enum.StrEnum):
    HELD = "held"
    PENDING = "pending"  # waiting for the owner's approval
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a hold nobody confirmed in time
    DECLINED = "declined"
    NO_SHOW = "no_show"
    COMPLETED = "completed"


class PriceCategory(enum.StrEnum):
    OWN = "own"
    COMMUNITY = "community"
    OTHER = "other"
    INDIVIDUAL = "individual"


class Asset(Timestamped, Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[AssetKind] = mapped_column(string_enum(AssetKind), index=True)
    modality: Mapped[Modality | None] = mapped_column(string_enum(Modality), index=True)
    capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    site: Mapped[str] = mapped_column(sa.String(200), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    open_to: Mapped[OpenTo] = mapped_column(string_enum(OpenTo), default=OpenTo.ALL)
    allowed_grades: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    allowed_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    bookers: Mapped[Bookers] = mapped_column(string_enum(Bookers), default=Bookers.INSTITUTIONS)
    approval_required: Mapped[bool] = mapped_column(default=False)
    grid_minutes: Mapped[int] = mapped_column(default=15)
    min_lead_minutes: Mapped[int] = mapped_column(default=60)
    max_horizon_days: Mapped[int] = mapped_column(default=30)
    quota_count: Mapped[int | None]  # bookings one requester may hold per quota period
    quota_period_days: Mapped[int] = mapped_column(default=7)
    free_cancel_hours: Mapped[int] = mapped_column(default=24)
    late_cancel_fee_percent: Mapped[int] = mapped_column(default=50)
    no_show_fee_percent: Mapped[int] = mapped_column(default=100)
    hold_minutes: Mapped[int] = mapped_column(default=10)
    active: Mapped[bool] = mapped_column(default=True)

    hours: Mapped[list[OpeningHours]] = relationship(cascade="all, delete-orphan", order_by="OpeningHours.weekday")
    exam_types: Mapped[list[ExamType]] = relationship(cascade="all, delete-orphan", order_by="ExamType.code")
    blackouts: Mapped[list[Blackout]] = relationship(cascade="all, delete-orphan", order_by="Blackout.starts_at")
    prices: Mapped[list[Price]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("grid_minutes > 0 AND 1440 % grid_minutes = 0", name="grid"),
        sa.CheckConstraint("min_lead_minutes >= 0 AND max_horizon_days > 0", name="window"),
    )


class OpeningHours(Base):
    """A weekly opening interval, in the region's local time."""

    __tablename__ = "asset_opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    weekday: Mapped[int]  # 0 Monday .. 6 Sunday
    opens: Mapped[dt.time]
    closes: Mapped[dt.time]

    __table_args__ = (sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
                      sa.CheckConstraint("closes > opens", name="order"))


class ExamType(Base):
    """What can be done on an asset and how long one slot of it takes."""

    __tablename__ = "asset_exam_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    minutes: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("asset_id", "code"),)


class Blackout(Base):
    """A closed stretch of the calendar: a blackout or a maintenance window, with its reason."""

    __tablename__ = "asset_blackouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(sa.String(20), default="blackout")
    reason: Mapped[str] = mapped_column(sa.String(300))


class Price(Base):
    """The price of an exam type (or of any use, when exam_code is empty) for a requester category."""

    __tablename__ = "asset_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    exam_code: Mapped[str] = mapped_column(sa.String(40), default="")
    category: Mapped[PriceCategory] = mapped_column(string_enum(PriceCategory))
    amount_fen: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("asset_id", "exam_code", "category"),
                      sa.CheckConstraint("amount_fen >= 0", name="amount"))


class BookingSeries(Base):
    """A recurring booking: the same weekly time on several weeks."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    created_at: Mapped[dt.datetime]
    rule: Mapped[dict] = mapped_column(sa.JSON)
    skipped: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)


class Booking(Timestamped, Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    exam_code: Mapped[str] = mapped_column(sa.String(40))
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    status: Mapped[BookingStatus] = mapped_column(string_enum(BookingStatus), index=True)
    requester_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    requester_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    patient_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient_records.id"))
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    price_category: Mapped[PriceCategory] = mapped_column(string_enum(PriceCategory))
    price_fen: Mapped[int]
    hold_expires_at: Mapped[dt.datetime | None]
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking_series.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    asset: Mapped[Asset] = relationship()

    __table_args__ = (
        # A retried request with the same key returns the first booking instead of making another.
        sa.UniqueConstraint("created_by_user_id", "idempotency_key"),
        sa.CheckConstraint("ends_at > starts_at", name="order"),
    )


class SlotClaim(Base):
    """One grid unit of an asset's time held by a live booking.

    The primary key (asset, unit start) is what makes double booking impossible: two bookings
    that overlap by even one unit would need the same row, and the database refuses the second,
    on SQLite and PostgreSQL alike, whatever the concurrency. Released claims are deleted.
    """

    __tablename__ = "slot_claims"

    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), primary_key=True)
    unit_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    hold_expires_at: Mapped[dt.datetime | None]


class WaitlistEntry(Base):
    """A request waiting for any slot of an exam type within a window to free up."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), index=True)
    exam_code: Mapped[str] = mapped_column(sa.String(40))
    earliest: Mapped[dt.datetime]
    latest: Mapped[dt.datetime]
    requester_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"))
    requester_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    patient_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient_records.id"))
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(20), default="waiting", index=True)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))


class LedgerAccount(Base):
    """A party's settlement account: an institution, or a practitioner who books on their own account."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[str] = mapped_column(sa.String(40), unique=True)  # "institution:5" or "practitioner:7"
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))

    __table_args__ = (
        sa.CheckConstraint("(institution_id IS NULL) != (practitioner_id IS NULL)", name="one_owner"),
    )


class JournalEntry(Base):
    """One settlement event of a booking, or of another shared service (service_ref, e.g. "teleconsult:12");
    its lines sum to zero."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    service_ref: Mapped[str | None] = mapped_column(sa.String(60))
    posted_at: Mapped[dt.datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))

    lines: Mapped[list[JournalLine]] = relationship(cascade="all, delete-orphan")

    # One settlement per booking (or service) and reason: a retried completion never posts twice.
    __table_args__ = (sa.UniqueConstraint("booking_id", "reason"), sa.UniqueConstraint("service_ref", "reason"),
                      sa.CheckConstraint("(booking_id IS NULL) <> (service_ref IS NULL)", name="one_subject"))


class JournalLine(Base):
    """A debit (positive: owes) or credit (negative: is owed) in fen on one account."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
