"""API shapes of shared assets and bookings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from medshare.assets.models import AssetKind, Bookers, BookingStatus, Modality, OpenTo, PriceCategory
from medshare.schemas import Out, Patch, Strict


class HoursIn(Strict):
    weekday: int = Field(ge=0, le=6, description="0 Monday .. 6 Sunday")
    opens: dt.time
    closes: dt.time

    @model_validator(mode="after")
    def _order(self):
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        return self


class ExamTypeIn(Strict):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    minutes: int = Field(gt=0, le=24 * 60)


class PriceIn(Strict):
    exam_code: str = Field("", max_length=40, description="empty: any exam on this asset")
    category: PriceCategory
    amount_fen: int = Field(ge=0, description="price in fen (1/100 yuan)")


class AssetIn(Strict):
    owner_institution_id: int
    name: str = Field(min_length=1, max_length=200)
    kind: AssetKind
    modality: Modality | None = None
    capabilities: list[str] = Field(default_factory=list, max_length=30)
    site: str = Field("", max_length=200)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    open_to: OpenTo = OpenTo.ALL
    allowed_grades: list[Literal[1, 2, 3]] = Field(default_factory=list)
    allowed_types: list[str] = Field(default_factory=list)
    bookers: Bookers = Bookers.INSTITUTIONS
    approval_required: bool = False
    grid_minutes: int = Field(15, gt=0, le=240)
    min_lead_minutes: int = Field(60, ge=0)
    max_horizon_days: int = Field(30, gt=0, le=366)
    quota_count: int | None = Field(None, gt=0)
    quota_period_days: int = Field(7, gt=0)
    free_cancel_hours: int = Field(24, ge=0)
    late_cancel_fee_percent: int = Field(50, ge=0, le=100)
    no_show_fee_percent: int = Field(100, ge=0, le=100)
    hold_minutes: int = Field(10, gt=0, le=24 * 60)
    hours: list[HoursIn] = Field(default_factory=list)
    exam_types: list[ExamTypeIn] = Field(default_factory=list)
    prices: list[PriceIn] = Field(default_factory=list)


class AssetPatch(Patch):
    clearable = frozenset({"quota_count"})
    name: str | None = Field(None, min_length=1, max_length=200)
    capabilities: list[str] | None = None
    site: str | None = Field(None, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    hold_minutes: int | None = Field(None, gt=0, le=24 * 60)
    open_to: OpenTo | None = None
    allowed_grades: list[Literal[1, 2, 3]] | None = None
    allowed_types: list[str] | None = None
    bookers: Bookers | None = None
    approval_required: bool | None = None
    min_lead_minutes: int | None = Field(None, ge=0)
    max_horizon_days: int | None = Field(None, gt=0, le=366)
    quota_count: int | None = Field(None, gt=0)
    quota_period_days: int | None = Field(None, gt=0)
    free_cancel_hours: int | None = Field(None, ge=0)
    late_cancel_fee_percent: int | None = Field(None, ge=0, le=100)
    no_show_fee_percent: int | None = Field(None, ge=0, le=100)
    hours: list[HoursIn] | None = None
    exam_types: list[ExamTypeIn] | None = None
    prices: list[PriceIn] | None = None
    active: bool | None = None


class BlackoutIn(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    kind: Literal["blackout", "maintenance"] = "blackout"
    reason: str = Field(min_length=1, max_length=300)


class BlackoutOut(Out):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    kind: str
    reason: str


class HoursOut(Out):
    weekday: int
    opens: dt.time
    closes: dt.time


class ExamTypeOut(Out):
    code: str
    name: str
    minutes: int


class PriceOut(Out):
    exam_code: str
    category: PriceCategory
    amount_fen: int


class AssetOut(Out):
    id: int
    owner_institution_id: int
    name: str
    kind: AssetKind
    modality: Modality | None
    capabilities: list[str]
    site: str
    latitude: float
    longitude: float
    open_to: OpenTo
    allowed_grades: list[int]
    allowed_types: list[str]
    bookers: Bookers
    approval_required: bool
    grid_minutes: int
    min_lead_minutes: int
    max_horizon_days: int
    quota_count: int | None
    quota_period_days: int
    free_cancel_hours: int
    late_cancel_fee_percent: int
    no_show_fee_percent: int
    hold_minutes: int
    active: bool
    hours: list[HoursOut]
    exam_types: list[ExamTypeOut]
    prices: list[PriceOut]
    blackouts: list[BlackoutOut]


class SlotOut(Out):
    asset_id: int
    asset_name: str
    owner_institution_id: int
    exam_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    distance_km: float | None
    price_fen: int


class BookingIn(Strict):
    asset_id: int
    exam_code: str = Field(min_length=1, max_length=40)
    starts_at: AwareDatetime
    patient_record_id: int | None = None
    hold: bool = Field(False, description="hold the slot for the asset's hold time, to confirm later")
    as_individual: bool = Field(False, description="a practitioner booking on their own account (individual doctor)")
    note: str = Field("", max_length=500)


class SeriesIn(Strict):
    asset_id: int
    exam_code: str = Field(min_length=1, max_length=40)
    first_starts_at: AwareDatetime
    weeks: int = Field(ge=1, le=52, description="occurrences, one a week")
    as_individual: bool = False
    note: str = Field("", max_length=500)


class CancelIn(Strict):
    reason: str = Field("", max_length=300)


class WaitlistIn(Strict):
    asset_id: int
    exam_code: str = Field(min_length=1, max_length=40)
    earliest: AwareDatetime
    latest: AwareDatetime
    patient_record_id: int | None = None
    as_individual: bool = False


class BookingOut(Out):
    id: int
    asset_id: int
    exam_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: BookingStatus
    requester_institution_id: int
    requester_practitioner_id: int | None
    patient_record_id: int | None
    price_category: PriceCategory
    price_fen: int
    hold_expires_at: dt.datetime | None
    series_id: int | None
    note: str


class SkippedOut(Out):
    starts_at: dt.datetime
    rule: str
    message: str


class SeriesOut(Out):
    id: int
    bookings: list[BookingOut]
    skipped: list[SkippedOut]


class WaitlistOut(Out):
    id: int
    asset_id: int
    exam_code: str
    earliest: dt.datetime
    latest: dt.datetime
    status: str
    booking_id: int | None


class StatementLine(Out):
    entry_id: int
    booking_id: int | None
    service_ref: str | None  # a shared service other than a booking, e.g. "teleconsult:12"
    posted_at: dt.datetime
    reason: str
    amount_fen: int


class StatementOut(Out):
    party: str
    month: str
    opening_fen: int
    lines: list[StatementLine]
    closing_fen: int


class UtilisationRow(Out):
    key: str
    label: str
    week: dt.date
    open_hours: float
    booked_hours: float
    used_hours: float
    booked_ratio: float
    used_ratio: float
