"""The supply picture: shortages by item and district, days of supply, fill rates by priority, shipments in flight."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.permissions import Permission, Principal, authorize
from medshare.registry.models import Institution
from medshare.supplies import rules
from medshare.supplies.models import (
    AllocationOutcome,
    AllocationRun,
    Consumption,
    Shipment,
    StockLocation,
    StockLot,
    SupplyItem,
    SupplyRequest,
)
from medshare.supplies.rules import LocationKind, RunStatus, ShipmentStatus, SupplyRequestStatus
from medshare.supplies.service import _owned_institutions, policy


def summary(session: Session, actor: Principal) -> dict:
    """Every figure of the dashboard, within what the caller may see (the region, or its own institution)."""
    authorize(actor, Permission.SUPPLY_READ, institutions=[actor.institution_id])
    owned = _owned_institutions(actor, Permission.SUPPLY_READ)
    items = {i.id: i for i in session.scalars(sa.select(SupplyItem))}

    def mine(column):
        return sa.true() if owned is None else column.in_(owned)

    # Shortages: what open requests still lack (neither shipped nor on its way), by item and district.
    open_q = (sa.select(SupplyRequest.item_id, Institution.division_code, Institution.id, Institution.name,
                        Institution.latitude, Institution.longitude,
                        sa.func.sum(SupplyRequest.quantity - SupplyRequest.allocated))
              .join(Institution, Institution.id == SupplyRequest.institution_id)
              .where(SupplyRequest.status == SupplyRequestStatus.OPEN, mine(SupplyRequest.institution_id))
              .group_by(SupplyRequest.item_id, Institution.division_code, Institution.id, Institution.name,
                        Institution.latitude, Institution.longitude))
    by_item: dict[int, float] = defaultdict(float)
    by_district: dict[str, float] = defaultdict(float)
    by_institution: dict[int, dict] = {}
    for item_id, division, inst_id, name, lat, lon, short in session.execute(open_q):
        short = float(short or 0)
        by_item[item_id] += short
        by_district[division] += short
        entry = by_institution.setdefault(inst_id, {"id": inst_id, "name": name, "latitude": lat, "longitude": lon,
                                                    "short": 0.0, "division": division})
        entry["short"] += short
    # Days of supply: own stores' units on hand against current consumption.
    stock = defaultdict(int)
    for inst_id, item_id, total in session.execute(
            sa.select(StockLocation.institution_id, StockLot.item_id, sa.func.sum(StockLot.on_hand - StockLot.reserved))
            .join(StockLocation, StockLocation.id == StockLot.location_id)
            .where(StockLocation.kind == LocationKind.HOSPITAL_STORE, mine(StockLocation.institution_id))
            .group_by(StockLocation.institution_id, StockLot.item_id)):
        stock[(inst_id, item_id)] = int(total or 0)
    days_rows = []
    names = dict(session.execute(sa.select(Institution.id, Institution.name).where(
        Institution.id.in_({c.institution_id for c in session.scalars(sa.select(Consumption).where(
            mine(Consumption.institution_id)))}))).all())
    uses = sa.select(Consumption).where(mine(Consumption.institution_id), Consumption.daily_units > 0)
    for c in session.scalars(uses):
        days = rules.days_of_supply(stock.get((c.institution_id, c.item_id), 0), c.daily_units)
        days_rows.append({"institution_id": c.institution_id, "institution": names.get(c.institution_id, ""),
                          "item_id": c.item_id, "item": items[c.item_id].code if c.item_id in items else "",
                          "on_hand": stock.get((c.institution_id, c.item_id), 0), "daily": c.daily_units,
                          "days": None if days is None else round(days, 1)})
    days_rows.sort(key=lambda r: (r["days"] is None, r["days"] or 0))
    # Fill rates by priority class, from the newest committed (else proposed) run.
    run = session.scalar(sa.select(AllocationRun).where(AllocationRun.status != RunStatus.SUPERSEDED)
                         .order_by(AllocationRun.id.desc()).limit(1))
    fill: dict[str, dict] = {}
    if run is not None:
        outcomes = session.scalars(sa.select(AllocationOutcome).where(AllocationOutcome.run_id == run.id))
        acc: dict[str, list[float]] = defaultdict(list)
        for o in outcomes:
            if owned is None or session.get(SupplyRequest, o.request_id).institution_id in owned:
                acc[o.priority].append(o.covered / o.needed if o.needed else 1.0)
        for code in policy().codes:
            if acc.get(code):
                fill[code] = {"requests": len(acc[code]), "min": round(min(acc[code]), 4),
                              "mean": round(sum(acc[code]) / len(acc[code]), 4)}
    # Shipments in flight (dispatched, not yet received) and waiting for dispatch.
    mine_locations = (sa.true() if owned is None else sa.or_(
        Shipment.source_location_id.in_(sa.select(StockLocation.id).where(StockLocation.institution_id.in_(owned))),
        Shipment.destination_location_id.in_(sa.select(StockLocation.id).where(
            StockLocation.institution_id.in_(owned)))))
    flight = {status.value: {"shipments": 0, "units": 0} for status in ShipmentStatus}
    for status, count, units in session.execute(
            sa.select(Shipment.status, sa.func.count(), sa.func.sum(sa.func.coalesce(Shipment.dispatched_quantity,
                                                                                      Shipment.quantity)))
            .where(mine_locations).group_by(Shipment.status)):
        key = status.value if hasattr(status, "value") else status
        flight[key] = {"shipments": int(count), "units": int(units or 0)}
    return {
        "run_id": run.id if run else None, "run_status": run.status.value if run else None,
        "shortage_by_item": sorted(({"item_id": i, "code": items[i].code, "name": items[i].name,
                                     "name_en": items[i].name_en, "unit": items[i].unit, "short": round(v)}
                                    for i, v in by_item.items() if v > 0), key=lambda r: -r["short"]),
        "shortage_by_district": sorted(({"division_code": d, "short": round(v)} for d, v in by_district.items()
                                        if v > 0), key=lambda r: -r["short"]),
        "institutions": sorted((dict(v, short=round(v["short"])) for v in by_institution.values()
                                if v["latitude"] is not None), key=lambda r: -r["short"]),
        "days_of_supply": days_rows,
        "fill_by_priority": fill,
        "shipments": flight,
    }
