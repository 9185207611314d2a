"""API shapes of emergency supplies."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.schemas import Out, Strict
from medshare.supplies.rules import (
    ItemCategory,
    LocationKind,
    RunStatus,
    ShipmentStatus,
    SupplyRequestStatus,
)


class ItemIn(Strict):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    category: ItemCategory
    unit: str = Field(min_length=1, max_length=40)
    specification: str = Field("", max_length=500)


class SubstituteIn(Strict):
    substitute_code: str = Field(min_length=1, max_length=40)
    ratio: float = Field(1.0, gt=0, le=100, description="units of the substitute that replace one unit of the item")


class SubstituteOut(Out):
    substitute_id: int
    ratio: float


class ItemOut(Out):
    id: int
    code: str
    name: str
    name_en: str
    category: ItemCategory
    unit: str
    specification: str
    substitutes: list[SubstituteOut]


class LocationIn(Strict):
    institution_id: int
    kind: LocationKind
    name: str = Field(min_length=1, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90, description="default: the institution's")
    longitude: float | None = Field(None, ge=-180, le=180)


class LocationOut(Out):
    id: int
    institution_id: int
    kind: LocationKind
    name: str
    latitude: float
    longitude: float
    division_code: str


class StockRowIn(Strict):
    item_code: str = Field(min_length=1, max_length=40)
    lot: str = Field("", max_length=40)
    expiry: dt.date | None = None
    on_hand: int = Field(ge=0)
    reserved: int = Field(0, ge=0)


class StockReportIn(Strict):
    rows: list[StockRowIn] = Field(min_length=1, max_length=5000)


class StockCsvIn(Strict):
    csv: str = Field(min_length=1, max_length=5 * 1024 * 1024,
                     description="CSV text with the header location_id,item_code,lot,expiry,on_hand,reserved")


class LotOut(Out):
    id: int
    location_id: int
    item_id: int
    lot: str
    expiry: dt.date | None
    on_hand: int
    reserved: int
    committed: int
    available: int


class UploadOut(Strict):
    rows: int
    lots_changed: int


class CapacityIn(Strict):
    item_code: str = Field(min_length=1, max_length=40)
    daily_units: int = Field(ge=0, le=10_000_000)
    lead_days: int = Field(1, ge=0, le=60)


class CapacityOut(Out):
    id: int
    location_id: int
    item_id: int
    daily_units: int
    lead_days: int


class ConsumptionIn(Strict):
    institution_id: int
    item_code: str = Field(min_length=1, max_length=40)
    daily_units: int = Field(ge=0, le=10_000_000)


class ConsumptionOut(Out):
    institution_id: int
    item_id: int
    daily_units: int


class SupplyRequestIn(Strict):
    institution_id: int
    item_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(gt=0, le=10_000_000)
    priority: str = Field(min_length=1, max_length=40, description="a priority class of the regional policy")
    need_by: dt.date
    allow_substitutes: bool = True
    note: str = Field("", max_length=500)


class SupplyRequestOut(Out):
    id: int
    institution_id: int
    item_id: int
    quantity: int
    priority: str
    need_by: dt.date
    allow_substitutes: bool
    status: SupplyRequestStatus
    allocated: float
    received: float
    requested_at: dt.datetime
    note: str


class RunIn(Strict):
    horizon_days: int | None = Field(None, ge=1, le=30, description="default: the region's horizon")
    item_codes: list[str] = Field(default_factory=list, max_length=200,
                                  description="only requests for these items (empty: every item)")


class LineOut(Out):
    request_id: int
    source_location_id: int
    item_id: int
    quantity: int
    ratio: float
    from_production: bool
    ship_on: dt.date
    arrive_on: dt.date
    distance_km: float
    late_days: int


class OutcomeOut(Out):
    request_id: int
    needed: float
    covered: float
    reach: float
    bound: str
    priority: str


class RunOut(Out):
    id: int
    status: RunStatus
    day0: dt.date
    horizon_days: int
    figures: dict
    committed_at: dt.datetime | None
    lines: list[LineOut]
    outcomes: list[OutcomeOut]


class DispatchIn(Strict):
    quantity: int | None = Field(None, ge=1, description="default: the quantity ordered")


class ReceiptIn(Strict):
    quantity: int = Field(ge=0, le=10_000_000, description="units counted on arrival")
    note: str = Field("", max_length=500, description="why the count differs, if it does")


class ShipmentOut(Out):
    id: int
    run_id: int
    request_id: int
    source_location_id: int
    destination_location_id: int
    item_id: int
    quantity: int
    from_stock: int
    lots: list
    status: ShipmentStatus
    ship_on: dt.date
    arrive_on: dt.date
    distance_km: float
    dispatched_quantity: int | None
    received_quantity: int | None
    difference: int | None
    difference_note: str
