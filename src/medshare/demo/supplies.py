"""Demo extension: the region's emergency supplies in the first week of an epidemic surge.

Calibrated on what the seeds and the early-2020 reports describe: a tertiary hospital's fever clinic and
ICU use on the order of a thousand N95 respirators and a few hundred protective suits a day at the peak,
secondary hospitals a fifth of that, community and township centres a fiftieth; hospital stores hold
two to four days of it; the region's warehouses and the municipal reserve hold about half of a week's
surge demand and local manufacturers make another sixth over the week. Requests follow the policy's
priority classes: ICUs ask as critical care, fever clinics as fever clinic, wards and primary care as
general ward or reserve. One allocation run is committed; some of its shipments are on the road and
some have arrived (one short, with its difference recorded), so every page has something to show.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts import service as accounts
from medshare.accounts.models import User
from medshare.registry.models import Institution, InstitutionType
from medshare.supplies import service as supplies
from medshare.supplies.models import (
    Consumption,
    ItemSubstitute,
    Shipment,
    StockLocation,
    StockLot,
    StockMove,
    SupplierCapacity,
    SupplyItem,
    SupplyRequest,
)
from medshare.supplies.rules import EXTERNAL, MoveKind, ShipmentStatus, stock_account

# code, name, English, category, unit, daily use at a tertiary hospital in the surge
ITEMS = [
    ("N95", "医用防护口罩（N95）", "N95 medical respirator", "protective_equipment", "piece", 1000),
    ("KN95", "KN95 防护口罩", "KN95 respirator", "protective_equipment", "piece", 0),
    ("SURG-MASK", "医用外科口罩", "Surgical mask", "protective_equipment", "piece", 4000),
    ("SUIT", "医用一次性防护服", "Disposable protective suit", "protective_equipment", "piece", 300),
    ("GOWN", "隔离衣", "Isolation gown", "protective_equipment", "piece", 400),
    ("SURG-GOWN", "一次性手术衣", "Disposable surgical gown", "protective_equipment", "piece", 0),
    ("GOGGLES", "医用护目镜", "Medical goggles", "protective_equipment", "piece", 120),
    ("FACE-SHIELD", "防护面屏", "Face shield", "protective_equipment", "piece", 0),
    ("GLOVES", "医用检查手套", "Examination gloves (pair)", "protective_equipment", "pair", 3000),
    ("O2-CONC", "医用制氧机", "Oxygen concentrator", "ventilators_oxygen", "unit", 1),
    ("VENT-NIV", "无创呼吸机", "Non-invasive ventilator", "ventilators_oxygen", "unit", 1),
    ("PCR-KIT", "新冠核酸检测试剂盒（人份）", "SARS-CoV-2 PCR kit (tests)", "test_kits", "test", 600),
    ("AG-KIT", "抗原检测试剂（人份）", "Antigen test (tests)", "test_kits", "test", 800),
    ("PARACET", "对乙酰氨基酚片", "Paracetamol tablets (box)", "drugs", "box", 150),
    ("ALCOHOL", "75% 医用酒精（500 ml）", "75% medical alcohol (500 ml)", "disinfectant", "bottle", 200),
    ("CHLORINE", "含氯消毒片", "Chlorine disinfectant tablets (box)", "disinfectant", "box", 60),
]
# item, substitute, substitute units per unit of the item
SUBSTITUTES = [("N95", "KN95", 1.0), ("GOWN", "SURG-GOWN", 2.0), ("GOGGLES", "FACE-SHIELD", 1.0),
               ("PCR-KIT", "AG-KIT", 2.0)]
SHARE = {"tertiary_hospital": 1.0, "secondary_hospital": 0.2, "community_health_centre": 0.02,
         "township_health_centre": 0.02}
CLASSES = {"tertiary_hospital": (("critical_care", 0.5), ("fever_clinic", 0.35), ("general_ward", 0.15)),
           "secondary_hospital": (("critical_care", 0.2), ("fever_clinic", 0.45), ("general_ward", 0.35)),
           "community_health_centre": (("fever_clinic", 0.4), ("general_ward", 0.3), ("reserve", 0.3)),
           "township_health_centre": (("fever_clinic", 0.3), ("general_ward", 0.3), ("reserve", 0.4))}
NEED_BY = {"critical_care": (1, 2), "fever_clinic": (1, 3), "general_ward": (2, 5), "reserve": (4, 6)}
DAYS = 7
STOCK_SHARE, MAKE_SHARE = 0.5, 0.17


def _lots(rng: random.Random, today: dt.date, units: int, code: str) -> list[tuple[str, dt.date, int]]:
    """Units split into one to three lots with expiry dates a few months to years out."""
    parts = rng.randint(1, 3) if units >= 30 else 1
    cuts = sorted(rng.sample(range(1, units), parts - 1)) if parts > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
    return [(f"{code[:4]}{rng.randint(10000, 99999)}", today + dt.timedelta(days=rng.randint(60, 900)), size)
            for size in sizes if size > 0]


def extend(session: Session, context) -> dict[str, int]:
    """Catalogue, stores, warehouses, plants, stock, capacity, consumption, surge requests and one committed run."""
    region = context.region
    rng = random.Random(f"{region.seed}:supplies")
    today = region.today
    now = dt.datetime.combine(today, dt.time(8), dt.UTC)
    sites = [r for r in region.institutions if r["latitude"] is not None and r["status"] == "active"]
    hospitals = [r for r in sites if r["type"] in SHARE]
    if not hospitals:
        return {}

    session.execute(sa.insert(SupplyItem.__table__), [
        {"code": code, "name": name, "name_en": en, "category": category, "unit": unit, "specification": "",
         "active": True, "created_at": now, "updated_at": now} for code, name, en, category, unit, _ in ITEMS])
    item_id = dict(session.execute(sa.select(SupplyItem.code, SupplyItem.id)).all())
    session.execute(sa.insert(ItemSubstitute.__table__), [
        {"item_id": item_id[a], "substitute_id": item_id[b], "ratio": ratio} for a, b, ratio in SUBSTITUTES])

    # Where stock is: every hospital's and health centre's stores, the logistics firms' warehouses, the
    # municipal reserve (at the health commission), the suppliers' plants.
    locations = []
    for row in hospitals:
        locations.append(("hospital_store", row, f"{row['name']}库房"))
    for row in sites:
        if row["type"] == InstitutionType.LOGISTICS_FIRM.value:
            locations.append(("warehouse", row, f"{row['name']}仓库"))
        elif row["type"] == InstitutionType.SUPPLIER.value:
            locations.append(("supplier", row, f"{row['name']}工厂"))
    commission = next((r for r in sites if r["type"] == InstitutionType.REGULATOR.value), None)
    if commission is not None:
        locations.append(("warehouse", commission, "市医疗物资储备库"))
    session.execute(sa.insert(StockLocation.__table__), [
        {"institution_id": row["id"], "kind": kind, "name": name, "latitude": row["latitude"],
         "longitude": row["longitude"], "division_code": row["division_code"], "created_at": now, "updated_at": now}
        for kind, row, name in locations])
    placed = list(session.execute(sa.select(StockLocation.id, StockLocation.kind, StockLocation.institution_id)))
    store_of = {inst: loc for loc, kind, inst in placed if kind.value == "hospital_store"}
    sources = [(loc, kind.value) for loc, kind, _ in placed if kind.value != "hospital_store"]

    # Demand: each hospital's daily use, stores of two to four days, and the surge's week of requests.
    use = {(row["id"], code): max(1, round(daily * SHARE[row["type"]] * rng.uniform(0.6, 1.4)))
           for row in hospitals for code, *_, daily in ITEMS if daily and (daily * SHARE[row["type"]] >= 0.5)}
    session.execute(sa.insert(Consumption.__table__), [
        {"institution_id": inst, "item_id": item_id[code], "daily_units": units, "created_at": now, "updated_at": now}
        for (inst, code), units in use.items()])
    lots, moves = [], []

    def stock(location: int, code: str, units: int) -> None:
        for lot, expiry, size in _lots(rng, today, units, code):
            lots.append({"location_id": location, "item_id": item_id[code], "lot": lot, "expiry": expiry,
                         "on_hand": size, "reserved": 0, "committed": 0, "created_at": now, "updated_at": now})
            moves.append({"occurred_at": now, "item_id": item_id[code], "kind": MoveKind.REPORT.value,
                          "from_account": EXTERNAL, "to_account": stock_account(location), "quantity": size,
                          "shipment_id": None, "actor_user_id": None})

    for (inst, code), daily in use.items():
        stock(store_of[inst], code, round(daily * rng.uniform(0.5, 4.0)))
    type_of = {r["id"]: r["type"] for r in hospitals}
    requests, demand = [], {}
    creator = session.scalar(sa.select(User.id).where(User.username == "admin"))
    for (inst, code), daily in sorted(use.items()):
        if rng.random() < 0.35 and type_of[inst] != "tertiary_hospital":
            continue  # not every centre asks for every item
        classes = CLASSES[type_of[inst]]
        priority = rng.choices([c for c, _ in classes], [w for _, w in classes])[0]
        quantity = max(1, round(daily * DAYS * rng.uniform(0.5, 1.0)))
        lo, hi = NEED_BY[priority]
        requests.append({"institution_id": inst, "item_id": item_id[code], "quantity": quantity, "priority": priority,
                         "need_by": today + dt.timedelta(days=rng.randint(lo, hi)), "allow_substitutes": True,
                         "status": "open", "allocated": 0.0, "received": 0.0,
                         "requested_at": now - dt.timedelta(minutes=rng.randint(1, 72 * 60)),
                         "created_by_user_id": creator, "note": "", "created_at": now, "updated_at": now})
        demand[code] = demand.get(code, 0) + quantity
    # Supply: warehouses and the reserve hold about half of the week's asks, plants make a sixth more.
    warehouses = [loc for loc, kind in sources if kind == "warehouse"] or [loc for loc, _ in sources]
    plants = [loc for loc, kind in sources if kind == "supplier"]
    capacities = []
    for code, *_ in ITEMS:
        asked = demand.get(code, 0) + (demand.get(next((a for a, b, _ in SUBSTITUTES if b == code), ""), 0) // 3)
        if not asked or not warehouses:
            continue
        holders = rng.sample(warehouses, max(1, round(len(warehouses) * 0.6)))
        weights = [rng.gammavariate(2.0, 1.0) for _ in holders]
        for holder, weight in zip(holders, weights, strict=True):
            units = int(STOCK_SHARE * asked * weight / sum(weights))
            if units > 0:
                stock(holder, code, units)
        if plants and rng.random() < 0.7:
            maker = rng.choice(plants)
            capacities.append({"location_id": maker, "item_id": item_id[code], "lead_days": rng.randint(1, 2),
                               "daily_units": max(1, int(MAKE_SHARE * asked / DAYS)), "created_at": now,
                               "updated_at": now})
    session.execute(sa.insert(StockLot.__table__), lots)
    session.execute(sa.insert(StockMove.__table__), moves)
    if capacities:
        session.execute(sa.insert(SupplierCapacity.__table__), capacities)
    session.execute(sa.insert(SupplyRequest.__table__), requests)
    session.flush()

    counts = {"supply items": len(ITEMS), "stock locations": len(locations), "stock lots": len(lots),
              "supply requests": len(requests)}
    regulator = session.scalar(sa.select(User).where(User.username == "regulator"))
    if regulator is None or not requests:
        return counts
    # The regulator's first run of the surge, committed; a third of its orders are on the road, a sixth arrived.
    principal = accounts.principal_of(regulator)
    run = supplies.commit(session, principal, supplies.propose(session, principal, day0=today))
    shipments = list(session.scalars(sa.select(Shipment).where(Shipment.run_id == run.id).order_by(Shipment.id)))
    owners = dict(session.execute(sa.select(StockLocation.id, StockLocation.institution_id)).all())
    kinds = dict(session.execute(sa.select(Institution.id, Institution.type)).all())
    for n, shipment in enumerate(shipments):
        if n % 3:
            continue
        source_owner = owners[shipment.source_location_id]
        actor = principal.__class__(user_id=principal.user_id, username=principal.username,
                                    role=principal.role, institution_id=source_owner)
        supplies.dispatch(session, _acting(actor, kinds[source_owner]), shipment)
        if n % 6 == 0:
            counted = shipment.dispatched_quantity - (3 if n % 12 == 0 and shipment.dispatched_quantity > 10 else 0)
            receiver = _acting(actor, "hospital", owners[shipment.destination_location_id])
            supplies.receive(session, receiver, shipment, counted, "cartons damaged in transit" if counted <
                             shipment.dispatched_quantity else "")
    counts["shipments"] = len(shipments)
    counts["shipments in flight"] = sum(1 for s in shipments if s.status is ShipmentStatus.DISPATCHED)
    return counts


def _acting(principal, kind, institution_id: int | None = None):
    """The demo's operator acting for the institution that does this step (supplier, firm or hospital)."""
    from medshare.accounts.models import Role

    role = Role.INSTITUTION_ADMIN if kind in ("hospital", "tertiary_hospital", "secondary_hospital",
                                              "community_health_centre", "township_health_centre") else Role.SUPPLIER
    if getattr(kind, "value", kind) == InstitutionType.REGULATOR.value:
        role = Role.PLATFORM_ADMIN
    return principal.__class__(user_id=principal.user_id, username=principal.username, role=role,
                               institution_id=institution_id or principal.institution_id)
