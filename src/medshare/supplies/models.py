"""Tables of emergency supplies: catalogue, stock by location and lot, capacity, demand, runs, shipments, ledger."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.db import Base, Timestamped, string_enum, utcnow
from medshare.supplies.rules import (
    ItemCategory,
    LocationKind,
    MoveKind,
    RunStatus,
    ShipmentStatus,
    SupplyRequestStatus,
)


class SupplyItem(Timestamped, Base):
    """A catalogue item: what it is, its unit and specification."""

    __tablename__ = "supply_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[ItemCategory] = mapped_column(string_enum(ItemCategory), index=True)
    unit: Mapped[str] = mapped_column(sa.String(40))
    specification: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)

    substitutes: Mapped[list[ItemSubstitute]] = relationship(
        foreign_keys="ItemSubstitute.item_id", cascade="all, delete-orphan", order_by="ItemSubstitute.id")


class ItemSubstitute(Base):
    """An acceptable substitute for an item: ratio units of the substitute replace one unit of the item."""

    __tablename__ = "supply_item_substitutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    ratio: Mapped[float] = mapped_column(sa.Float, default=1.0)

    substitute: Mapped[SupplyItem] = relationship(foreign_keys=[substitute_id])

    __table_args__ = (sa.UniqueConstraint("item_id", "substitute_id"),
                      sa.CheckConstraint("ratio > 0", name="ratio"),
                      sa.CheckConstraint("item_id <> substitute_id", name="other_item"))


class StockLocation(Timestamped, Base):
    """A place that holds stock: a hospital's stores, a warehouse, a supplier's plant."""

    __tablename__ = "stock_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    kind: Mapped[LocationKind] = mapped_column(string_enum(LocationKind), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    latitude: Mapped[float]
    longitude: Mapped[float]
    division_code: Mapped[str] = mapped_column(sa.String(6), index=True, default="")

    __table_args__ = (sa.UniqueConstraint("institution_id", "name"),)


class StockLot(Timestamped, Base):
    """One lot of an item at a location: on hand, held back by its owner, and committed to shipment orders."""

    __tablename__ = "stock_lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    lot: Mapped[str] = mapped_column(sa.String(40), default="")
    expiry: Mapped[dt.date | None]
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)  # held back by the owner, not offered
    committed: Mapped[int] = mapped_column(default=0)  # promised to shipment orders not yet dispatched

    __table_args__ = (sa.UniqueConstraint("location_id", "item_id", "lot"),
                      sa.CheckConstraint("on_hand >= 0 AND reserved >= 0 AND committed >= 0", name="non_negative"),
                      sa.CheckConstraint("reserved + committed <= on_hand", name="within_on_hand"))

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.committed


class SupplierCapacity(Timestamped, Base):
    """What a supplier's location makes of an item per day, and how many days after making it ships."""

    __tablename__ = "supplier_capacities"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    daily_units: Mapped[int]
    lead_days: Mapped[int] = mapped_column(default=1)

    __table_args__ = (sa.UniqueConstraint("location_id", "item_id"),
                      sa.CheckConstraint("daily_units >= 0 AND lead_days >= 0", name="non_negative"))


class Consumption(Timestamped, Base):
    """An institution's current use of an item per day, to show its days of supply."""

    __tablename__ = "supply_consumption"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    daily_units: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("institution_id", "item_id"),
                      sa.CheckConstraint("daily_units >= 0", name="non_negative"))


class SupplyRequest(Timestamped, Base):
    """An institution's request: what, how many, how urgently (priority class), by when."""

    __tablename__ = "supply_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    quantity: Mapped[int]
    priority: Mapped[str] = mapped_column(sa.String(40), index=True)
    need_by: Mapped[dt.date]
    allow_substitutes: Mapped[bool] = mapped_column(default=True)
    status: Mapped[SupplyRequestStatus] = mapped_column(string_enum(SupplyRequestStatus), index=True,
                                                        default=SupplyRequestStatus.OPEN)
    allocated: Mapped[float] = mapped_column(sa.Float, default=0.0)  # covered by committed shipments
    received: Mapped[float] = mapped_column(sa.Float, default=0.0)  # covered by what arrived
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    item: Mapped[SupplyItem] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity"),)

    @property
    def outstanding(self) -> float:
        return max(0.0, self.quantity - self.allocated)


class AllocationRun(Timestamped, Base):
    """One allocation over every open request and the supply on hand: its figures and whether committed."""

    __tablename__ = "allocation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[RunStatus] = mapped_column(string_enum(RunStatus), index=True, default=RunStatus.PROPOSED)
    day0: Mapped[dt.date]
    horizon_days: Mapped[int]
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    committed_at: Mapped[dt.datetime | None]
    committed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    lines: Mapped[list[AllocationLine]] = relationship(cascade="all, delete-orphan", order_by="AllocationLine.id")
    outcomes: Mapped[list[AllocationOutcome]] = relationship(cascade="all, delete-orphan",
                                                             order_by="AllocationOutcome.id")


class AllocationLine(Base):
    """A proposed shipment: from a source, of an item (maybe a substitute), to a request, on which days."""

    __tablename__ = "allocation_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_runs.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_requests.id"), index=True)
    source_location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    quantity: Mapped[int]
    ratio: Mapped[float] = mapped_column(sa.Float, default=1.0)
    from_production: Mapped[bool] = mapped_column(default=False)
    ship_on: Mapped[dt.date]
    arrive_on: Mapped[dt.date]
    distance_km: Mapped[float]
    late_days: Mapped[int] = mapped_column(default=0)


class AllocationOutcome(Base):
    """A run's answer for one request: filled x of y, and what bound it."""

    __tablename__ = "allocation_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_runs.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_requests.id"), index=True)
    needed: Mapped[float]
    covered: Mapped[float]
    reach: Mapped[float]
    bound: Mapped[str] = mapped_column(sa.String(40))
    priority: Mapped[str] = mapped_column(sa.String(40))

    __table_args__ = (sa.UniqueConstraint("run_id", "request_id"),)


class Shipment(Timestamped, Base):
    """A shipment order from a committed run, tracked from order to dispatch to receipt."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_runs.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_requests.id"), index=True)
    source_location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    destination_location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    ratio: Mapped[float] = mapped_column(sa.Float, default=1.0)
    quantity: Mapped[int]  # ordered
    from_stock: Mapped[int]  # of which committed from the source's lots
    lots: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[lot, expiry, units]] committed, then dispatched
    status: Mapped[ShipmentStatus] = mapped_column(string_enum(ShipmentStatus), index=True,
                                                   default=ShipmentStatus.ORDERED)
    ship_on: Mapped[dt.date]
    arrive_on: Mapped[dt.date]
    distance_km: Mapped[float]
    dispatched_quantity: Mapped[int | None]
    received_quantity: Mapped[int | None]
    difference: Mapped[int | None]  # received less dispatched
    difference_note: Mapped[str] = mapped_column(sa.String(500), default="")
    dispatched_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime | None]

    __table_args__ = (sa.CheckConstraint("quantity > 0 AND from_stock >= 0 AND from_stock <= quantity",
                                         name="quantities"),)


class StockMove(Base):
    """One line of the stock ledger: units of an item moved from one account to another (double entry)."""

    __tablename__ = "stock_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    kind: Mapped[MoveKind] = mapped_column(string_enum(MoveKind))
    from_account: Mapped[str] = mapped_column(sa.String(40), index=True)
    to_account: Mapped[str] = mapped_column(sa.String(40), index=True)
    quantity: Mapped[int]
    shipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="positive"),
                      sa.CheckConstraint("from_account <> to_account", name="two_accounts"))
