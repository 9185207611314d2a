"""Use cases of emergency supplies: catalogue, stock, capacity, demand; runs, commits, dispatch and receipt.

Stock moves only through this module, and every physical move is a double-entry line of the stock
ledger (StockMove): a stock report moves units between the outside world and a location, dispatch
from a location (or a supplier's production) into the shipment's transit account, receipt from
transit into the destination, and any difference into loss (or from outside, as surplus). So the
units at every location equal its ledger balance, a shipment in flight holds exactly what was
dispatched, and nothing is counted twice or lost between "dispatched" and "received".
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from medshare.optim import allocation as opt
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry.models import Institution
from medshare.settings import get_settings
from medshare.supervision.standing import blacklisted_among, ensure_in_good_standing
from medshare.supplies import rules
from medshare.supplies.models import (
    AllocationLine,
    AllocationOutcome,
    AllocationRun,
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
from medshare.supplies.rules import (
    DEFAULT_POLICY,
    EXTERNAL,
    LOSS_ACCOUNT,
    LocationKind,
    MoveKind,
    RunStatus,
    ShipmentStatus,
    StockRow,
    SupplyPolicy,
    SupplyRequestStatus,
    stock_account,
    transit_account,
)
from medshare.supplies.schemas import (
    CapacityIn,
    ConsumptionIn,
    ItemIn,
    LocationIn,
    RunIn,
    StockRowIn,
    SubstituteIn,
    SupplyRequestIn,
)


def policy() -> SupplyPolicy:
    """The region's allocation policy: its settings (supply_policy) over the defaults."""
    values = get_settings().supply_policy
    return rules.policy_from(values) if values else DEFAULT_POLICY


NOT_IN_GOOD_STANDING = "not_in_good_standing"  # a request's explanation when its institution is blacklisted


def blacklisted_institutions(session: Session, institution_ids) -> set[int]:
    """Those of the institutions that the one standing check finds blacklisted (they receive no allocation)."""
    return blacklisted_among(session, institution_ids=institution_ids)[0]


def today() -> dt.date:
    return utcnow().date()


def _owned_institutions(actor: Principal, permission: Permission) -> set[int] | None:
    """None when actor reaches every institution with permission, else the ones it does (maybe none)."""
    scope = scope_of(actor, permission)
    if scope is Scope.ANY:
        return None
    if scope is None or actor.institution_id is None:
        return set()
    return {actor.institution_id}


# Catalogue -----------------------------------------------------------------------------------------------


def get_item(session: Session, item_id: int) -> SupplyItem:
    item = session.get(SupplyItem, item_id)
    if item is None:
        raise NotFound(f"supply item {item_id} does not exist")
    return item


def item_by_code(session: Session, code: str, field: str = "item_code") -> SupplyItem:
    item = session.scalar(sa.select(SupplyItem).where(SupplyItem.code == code))
    if item is None:
        raise InvalidInput.on(field, "known-item", f"no catalogue item has the code {code}")
    return item


def list_items(session: Session) -> list[SupplyItem]:
    return list(session.scalars(sa.select(SupplyItem).where(SupplyItem.active).order_by(SupplyItem.category,
                                                                                       SupplyItem.code)))


def create_item(session: Session, actor: Principal, data: ItemIn) -> SupplyItem:
    """Add an item to the regional catalogue."""
    authorize(actor, Permission.SUPPLY_CATALOGUE_WRITE)
    if session.scalar(sa.select(SupplyItem.id).where(SupplyItem.code == data.code)) is not None:
        raise Conflict.on("code", "unique", f"an item with the code {data.code} exists")
    item = SupplyItem(**data.model_dump())
    session.add(item)
    session.flush()
    record_event(session, actor, "supply_item.create", "supply_item", item.id, details={"code": item.code})
    return item


def add_substitute(session: Session, actor: Principal, item: SupplyItem, data: SubstituteIn) -> ItemSubstitute:
    """Declare an acceptable substitute for an item and how many of it replace one."""
    authorize(actor, Permission.SUPPLY_CATALOGUE_WRITE)
    other = item_by_code(session, data.substitute_code, "substitute_code")
    if other.id == item.id:
        raise InvalidInput.on("substitute_code", "other-item", "an item does not substitute for itself")
    existing = session.scalar(sa.select(ItemSubstitute).where(ItemSubstitute.item_id == item.id,
                                                              ItemSubstitute.substitute_id == other.id))
    if existing is not None:
        existing.ratio = data.ratio
        link = existing
    else:
        link = ItemSubstitute(item_id=item.id, substitute_id=other.id, ratio=data.ratio)
        session.add(link)
    session.flush()
    record_event(session, actor, "supply_item.substitute", "supply_item", item.id,
                 details={"substitute_id": other.id, "ratio": data.ratio})
    return link


# Locations, stock, capacity, consumption ----------------------------------------------------------------


def get_location(session: Session, location_id: int) -> StockLocation:
    location = session.get(StockLocation, location_id)
    if location is None:
        raise NotFound(f"stock location {location_id} does not exist")
    return location


def list_locations(session: Session, actor: Principal, *, kind: str | None = None) -> list[StockLocation]:
    """Stock locations the caller may see: every one for the region's view, else its institution's."""
    query = sa.select(StockLocation).order_by(StockLocation.kind, StockLocation.name)
    owned = _owned_institutions(actor, Permission.SUPPLY_READ)
    if owned is not None:
        query = query.where(StockLocation.institution_id.in_(owned))
    if kind:
        query = query.where(StockLocation.kind == kind)
    return list(session.scalars(query))


def create_location(session: Session, actor: Principal, data: LocationIn) -> StockLocation:
    """Register a place that holds stock; its position defaults to its institution's."""
    institution = session.get(Institution, data.institution_id)
    if institution is None:
        raise InvalidInput.on("institution_id", "exists", f"institution {data.institution_id} does not exist")
    authorize(actor, Permission.SUPPLY_STOCK_WRITE, institutions=[institution.id])
    lat = data.latitude if data.latitude is not None else institution.latitude
    lon = data.longitude if data.longitude is not None else institution.longitude
    if lat is None or lon is None:
        raise InvalidInput.on("latitude", "required", "the institution has no position; give the location's")
    if session.scalar(sa.select(StockLocation.id).where(StockLocation.institution_id == institution.id,
                                                        StockLocation.name == data.name)) is not None:
        raise Conflict.on("name", "unique", "the institution already has a location of that name")
    location = StockLocation(institution_id=institution.id, kind=data.kind, name=data.name, latitude=lat,
                             longitude=lon, division_code=institution.division_code)
    session.add(location)
    session.flush()
    record_event(session, actor, "stock_location.create", "stock_location", location.id,
                 institution_id=institution.id, details={"kind": data.kind.value})
    return location


def store_of(session: Session, institution_id: int) -> StockLocation:
    """The institution's own stores (created on first need): where its deliveries arrive."""
    store = session.scalar(sa.select(StockLocation).where(StockLocation.institution_id == institution_id,
                                                          StockLocation.kind == LocationKind.HOSPITAL_STORE)
                           .order_by(StockLocation.id).limit(1))
    if store is not None:
        return store
    institution = session.get(Institution, institution_id)
    store = StockLocation(institution_id=institution_id, kind=LocationKind.HOSPITAL_STORE, name="stores",
                          latitude=institution.latitude or 0.0, longitude=institution.longitude or 0.0,
                          division_code=institution.division_code)
    session.add(store)
    session.flush()
    return store


def lots_of(session: Session, location_id: int) -> list[StockLot]:
    return list(session.scalars(sa.select(StockLot).where(StockLot.location_id == location_id)
                                .order_by(StockLot.item_id, StockLot.expiry, StockLot.lot)))


def _move(session: Session, actor: Principal | None, item_id: int, kind: MoveKind, source: str, target: str,
          quantity: int, shipment_id: int | None = None) -> None:
    """One ledger line; nothing for zero (and a negative quantity is the reverse move)."""
    if quantity == 0:
        return
    if quantity < 0:
        source, target, quantity = target, source, -quantity
    session.add(StockMove(item_id=item_id, kind=kind, from_account=source, to_account=target, quantity=quantity,
                          shipment_id=shipment_id, actor_user_id=actor.user_id if actor else None))


def _row_order(problem: FieldProblem) -> tuple[int, str]:
    head = problem.field.split(".")[0]
    return (int(head[4:]) if head.startswith("row ") and head[4:].isdigit() else 0, problem.field)


def apply_stock_rows(session: Session, actor: Principal, rows: list[StockRow],
                     found: list[FieldProblem] = ()) -> int:
    """Set each reported lot's count; every problem of every row is found first (found: those of the rows
    that did not even parse), and any refuses them all."""
    problems: list[FieldProblem] = list(found)
    items = {i.code: i for i in session.scalars(sa.select(SupplyItem).where(
        SupplyItem.code.in_({r.item_code for r in rows})))}
    locations = {loc.id: loc for loc in session.scalars(sa.select(StockLocation).where(
        StockLocation.id.in_({r.location_id for r in rows})))}
    lots: dict[tuple[int, int, str], StockLot] = {}
    # Rows for another institution's locations are not a mistake in the file but a write the account may not
    # make: the whole file is refused as forbidden, naming those rows.
    foreign = []
    for row in rows:
        location = locations.get(row.location_id)
        if location is None:
            continue
        try:
            authorize(actor, Permission.SUPPLY_STOCK_WRITE, institutions=[location.institution_id])
        except Forbidden:
            foreign.append(FieldProblem(f"row {row.row}.location_id", "own-location",
                                        f"stock location {row.location_id} is not the account's to report"))
    if foreign:
        raise Forbidden(f"{len(foreign)} row(s) report stock of another institution's location; nothing was written",
                        problems=foreign)
    for row in rows:
        location = locations.get(row.location_id)
        if location is None:
            problems.append(FieldProblem(f"row {row.row}.location_id", "exists",
                                         f"stock location {row.location_id} does not exist"))
        item = items.get(row.item_code)
        if item is None:
            problems.append(FieldProblem(f"row {row.row}.item_code", "known-item",
                                         f"no catalogue item has the code {row.item_code}"))
        if location is None or item is None:
            continue
        lot = session.scalar(sa.select(StockLot).where(StockLot.location_id == location.id,
                                                       StockLot.item_id == item.id, StockLot.lot == row.lot))
        if lot is not None:
            problems += rules.check_report_row(row, lot.committed)
            lots[(location.id, item.id, row.lot)] = lot
    if problems:
        problems.sort(key=_row_order)
        raise InvalidInput(f"{len(problems)} problem(s) in the stock report; nothing was written", problems=problems)
    changed = 0
    for row in rows:
        item = items[row.item_code]
        lot = lots.get((row.location_id, item.id, row.lot))
        if lot is None:
            lot = StockLot(location_id=row.location_id, item_id=item.id, lot=row.lot, on_hand=0, reserved=0,
                           committed=0)
            session.add(lot)
        delta = row.on_hand - lot.on_hand
        changed += int(delta != 0 or lot.reserved != row.reserved or lot.expiry != row.expiry)
        _move(session, actor, item.id, MoveKind.REPORT, EXTERNAL, stock_account(row.location_id), delta)
        lot.on_hand, lot.reserved, lot.expiry = row.on_hand, row.reserved, row.expiry
    session.flush()
    for location_id in sorted({r.location_id for r in rows}):
        record_event(session, actor, "stock.report", "stock_location", location_id,
                     institution_id=locations[location_id].institution_id,
                     details={"rows": sum(1 for r in rows if r.location_id == location_id)})
    return changed


def report_stock(session: Session, actor: Principal, location: StockLocation, rows: list[StockRowIn]) -> int:
    """A location's stock report as JSON rows (lot counts replace the previous ones)."""
    authorize(actor, Permission.SUPPLY_STOCK_WRITE, institutions=[location.institution_id])
    parsed, problems, seen = [], [], {}
    for n, row in enumerate(rows):
        if row.reserved > row.on_hand:
            problems.append(FieldProblem(f"rows.{n}.reserved", "within-on-hand", "more reserved than on hand"))
        if row.expiry is not None and row.expiry < today():
            problems.append(FieldProblem(f"rows.{n}.expiry", "not-expired", "the lot has expired"))
        if (row.item_code, row.lot) in seen:
            first = seen[(row.item_code, row.lot)]
            problems.append(FieldProblem(f"rows.{n}.lot", "unique-lot", f"the same item and lot as row {first}"))
        seen.setdefault((row.item_code, row.lot), n)
        parsed.append(StockRow(n, location.id, row.item_code, row.lot, row.expiry, row.on_hand, row.reserved))
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the stock report; nothing was written", problems=problems)
    return apply_stock_rows(session, actor, parsed)


def upload_stock_csv(session: Session, actor: Principal, text: str) -> tuple[int, int]:
    """A stock CSV (location_id,item_code,lot,expiry,on_hand,reserved): all rows, or none when any is bad."""
    authorize_any = scope_of(actor, Permission.SUPPLY_STOCK_WRITE)
    if authorize_any is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.SUPPLY_STOCK_WRITE.value}")
    rows, problems = rules.parse_stock_csv(text, today())
    if problems and not rows:
        raise InvalidInput(f"{len(problems)} problem(s) in the file; nothing was written", problems=problems)
    changed = apply_stock_rows(session, actor, rows, problems)
    return len(rows), changed


def capacities_of(session: Session, location_id: int) -> list[SupplierCapacity]:
    return list(session.scalars(sa.select(SupplierCapacity).where(SupplierCapacity.location_id == location_id)
                                .order_by(SupplierCapacity.item_id)))


def set_capacity(session: Session, actor: Principal, location: StockLocation, data: CapacityIn) -> SupplierCapacity:
    """What a supplier's location makes of an item per day."""
    authorize(actor, Permission.SUPPLY_STOCK_WRITE, institutions=[location.institution_id])
    if location.kind is not LocationKind.SUPPLIER:
        raise InvalidInput.on("location_id", "supplier-location", "only a supplier's location has production capacity")
    item = item_by_code(session, data.item_code)
    row = session.scalar(sa.select(SupplierCapacity).where(SupplierCapacity.location_id == location.id,
                                                           SupplierCapacity.item_id == item.id))
    if row is None:
        row = SupplierCapacity(location_id=location.id, item_id=item.id, daily_units=0)
        session.add(row)
    row.daily_units, row.lead_days = data.daily_units, data.lead_days
    session.flush()
    record_event(session, actor, "supplier_capacity.set", "stock_location", location.id,
                 institution_id=location.institution_id, details={"item_id": item.id})
    return row


def set_consumption(session: Session, actor: Principal, data: ConsumptionIn) -> Consumption:
    """An institution's current use of an item per day."""
    if session.get(Institution, data.institution_id) is None:
        raise InvalidInput.on("institution_id", "exists", f"institution {data.institution_id} does not exist")
    authorize(actor, Permission.SUPPLY_STOCK_WRITE, institutions=[data.institution_id])
    item = item_by_code(session, data.item_code)
    row = session.scalar(sa.select(Consumption).where(Consumption.institution_id == data.institution_id,
                                                      Consumption.item_id == item.id))
    if row is None:
        row = Consumption(institution_id=data.institution_id, item_id=item.id, daily_units=0)
        session.add(row)
    row.daily_units = data.daily_units
    session.flush()
    record_event(session, actor, "supply_consumption.set", "institution", data.institution_id,
                 institution_id=data.institution_id, details={"item_id": item.id})
    return row


# Demand --------------------------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> SupplyRequest:
    request = session.get(SupplyRequest, request_id)
    if request is None:
        raise NotFound(f"supply request {request_id} does not exist")
    return request


def check_may_read_request(actor: Principal, request: SupplyRequest) -> None:
    authorize(actor, Permission.SUPPLY_READ, institutions=[request.institution_id])


def list_requests(session: Session, actor: Principal, *, status: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[SupplyRequest], int]:
    """Requests the caller may see, most urgent and oldest first."""
    query = sa.select(SupplyRequest)
    owned = _owned_institutions(actor, Permission.SUPPLY_READ)
    if owned is not None:
        query = query.where(SupplyRequest.institution_id.in_(owned))
    if status:
        query = query.where(SupplyRequest.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(SupplyRequest.need_by, SupplyRequest.id).limit(limit).offset(offset))
    return list(rows), total or 0


def create_request(session: Session, actor: Principal, data: SupplyRequestIn) -> SupplyRequest:
    """An institution asks for an item: how many, which priority class, by when."""
    if session.get(Institution, data.institution_id) is None:
        raise InvalidInput.on("institution_id", "exists", f"institution {data.institution_id} does not exist")
    authorize(actor, Permission.SUPPLY_REQUEST_WRITE, institutions=[data.institution_id])
    ensure_in_good_standing(session, institution_id=data.institution_id, action="receive_allocations")
    item = item_by_code(session, data.item_code)
    policy().rank(data.priority)
    if data.need_by < today():
        raise InvalidInput.on("need_by", "not-past", "the need-by date has passed")
    request = SupplyRequest(institution_id=data.institution_id, item_id=item.id, quantity=data.quantity,
                            priority=data.priority, need_by=data.need_by, allow_substitutes=data.allow_substitutes,
                            created_by_user_id=actor.user_id, note=data.note)
    session.add(request)
    session.flush()
    record_event(session, actor, "supply_request.create", "supply_request", request.id,
                 institution_id=data.institution_id, details={"item_id": item.id, "priority": data.priority})
    return request


def cancel_request(session: Session, actor: Principal, request: SupplyRequest) -> SupplyRequest:
    """Withdraw an open request (what is already on its way still arrives)."""
    authorize(actor, Permission.SUPPLY_REQUEST_WRITE, institutions=[request.institution_id])
    if request.status is not SupplyRequestStatus.OPEN:
        raise Conflict.on("status", "open", f"the request is {request.status.value}, no longer open")
    request.status = SupplyRequestStatus.CANCELLED
    session.flush()
    record_event(session, actor, "supply_request.cancel", "supply_request", request.id,
                 institution_id=request.institution_id)
    return request


# Allocation runs -----------------------------------------------------------------------------------------


def _instance(session: Session, day0: dt.date, horizon: int,
              item_ids: list[int] | None = None) -> tuple[opt.Instance, dict]:
    """The open requests and the supply on hand, in transit and in production, as the optimiser's arrays."""
    pol = policy()
    query = sa.select(SupplyRequest).where(SupplyRequest.status == SupplyRequestStatus.OPEN)
    if item_ids:
        query = query.where(SupplyRequest.item_id.in_(item_ids))
    requests = list(session.scalars(query.order_by(SupplyRequest.requested_at, SupplyRequest.id)))
    requests = [r for r in requests if r.outstanding > 0]
    # A blacklisted institution receives no allocation: its requests are explained, not served.
    barred = blacklisted_institutions(session, {r.institution_id for r in requests})
    withheld = [r for r in requests if r.institution_id in barred]
    requests = [r for r in requests if r.institution_id not in barred]
    items = {i.id: n for n, i in enumerate(session.scalars(sa.select(SupplyItem).order_by(SupplyItem.id)))}
    sources = list(session.scalars(sa.select(StockLocation).where(StockLocation.kind.in_(pol.source_kinds))
                                   .order_by(StockLocation.id)))
    src_index = {s.id: n for n, s in enumerate(sources)}
    institutions = sorted({r.institution_id for r in requests})
    inst_rows = {i.id: i for i in session.scalars(sa.select(Institution).where(Institution.id.in_(institutions)))}
    stores = {i: store_of(session, i) for i in institutions}
    lat0 = float(np.mean([s.latitude for s in stores.values()] + [s.latitude for s in sources] or [0.0]))
    lon0 = float(np.mean([s.longitude for s in stores.values()] + [s.longitude for s in sources] or [0.0]))
    site_index = {i: n for n, i in enumerate(institutions)}

    def xy(loc) -> tuple[float, float]:
        return rules.to_km(loc.latitude, loc.longitude, lat0, lon0)

    # Pools: what each source may offer now (lots not expiring within the horizon), per item.
    pools: dict[tuple[int, int, int], float] = defaultdict(float)
    last_day = day0 + dt.timedelta(days=horizon)
    if sources:
        for lot in session.scalars(sa.select(StockLot).where(StockLot.location_id.in_(src_index))):
            if lot.available > 0 and (lot.expiry is None or lot.expiry > last_day):
                pools[(lot.location_id, lot.item_id, 0)] += lot.available
        # Shipments on their way to a source (a warehouse restocked) join its pool on arrival.
        for ship in session.scalars(sa.select(Shipment).where(Shipment.status == ShipmentStatus.DISPATCHED,
                                                              Shipment.destination_location_id.in_(src_index))):
            day = max(0, (ship.arrive_on - day0).days)
            if day < horizon:
                pools[(ship.destination_location_id, ship.item_id, day)] += ship.dispatched_quantity or 0
    caps = [c for c in session.scalars(sa.select(SupplierCapacity).where(
        SupplierCapacity.location_id.in_(src_index), SupplierCapacity.daily_units > 0))] if sources else []
    subs = list(session.scalars(sa.select(ItemSubstitute)))
    pool_keys = sorted(pools)
    arr = np.asarray
    regions: dict[str, int] = {"": -1}

    def region(location) -> int:
        return regions.setdefault(rules.region_of(location.division_code, pol.region_digits), len(regions) - 1)
    inst = opt.Instance(
        n_items=max(len(items), 1), n_classes=len(pol.classes), horizon=horizon,
        req_item=arr([items[r.item_id] for r in requests], np.int64),
        req_qty=arr([r.outstanding for r in requests], float),
        req_class=arr([pol.rank(r.priority) for r in requests], np.int64),
        req_need_by=arr([min(max(0, (r.need_by - day0).days), horizon - 1) for r in requests], np.int64),
        req_site=arr([site_index[r.institution_id] for r in requests], np.int64),
        req_order=np.arange(len(requests)),
        site_xy=arr([xy(stores[i]) for i in institutions], float).reshape(-1, 2),
        src_xy=arr([xy(s) for s in sources], float).reshape(-1, 2),
        pool_src=arr([src_index[k[0]] for k in pool_keys], np.int64),
        pool_item=arr([items[k[1]] for k in pool_keys], np.int64),
        pool_qty=arr([pools[k] for k in pool_keys], float), pool_day=arr([k[2] for k in pool_keys], np.int64),
        cap_src=arr([src_index[c.location_id] for c in caps], np.int64),
        cap_item=arr([items[c.item_id] for c in caps], np.int64),
        cap_daily=arr([c.daily_units for c in caps], float), cap_lead=arr([c.lead_days for c in caps], np.int64),
        sub_item=arr([items[s.item_id] for s in subs], np.int64),
        sub_with=arr([items[s.substitute_id] for s in subs], np.int64),
        sub_ratio=arr([s.ratio for s in subs], float),
        req_subs_ok=arr([r.allow_substitutes for r in requests], bool),
        site_region=arr([region(stores[i]) for i in institutions], np.int64) if pol.region_digits else None,
        src_region=arr([region(s) for s in sources], np.int64) if pol.region_digits else None,
        max_km=pol.max_source_km, km_per_day=pol.km_per_day,
        lateness_cost=tuple(c.lateness_cost for c in pol.classes), substitute_cost=pol.substitute_cost)
    item_ids = {n: i for i, n in items.items()}
    context = {"requests": requests, "sources": sources, "item_ids": item_ids, "institutions": inst_rows,
               "withheld": withheld}
    return inst, context


def _method_figures(inst: opt.Instance, allocation: opt.Allocation) -> dict:
    codes = policy().codes
    return {"by_class": {codes[k]: v for k, v in allocation.class_figures(inst).items()},
            "transport_cost_unit_km": round(allocation.transport_cost(), 1),
            "units_shipped": int(allocation.units.sum()), "late_units": int(allocation.late_units())}


def propose(session: Session, actor: Principal, data: RunIn | None = None, *,
            day0: dt.date | None = None) -> AllocationRun:
    """Allocate the supply in reach to every open request: lines, an explanation per request, and figures
    of the optimum beside first come first served and proportional rationing. Nothing moves until committed."""
    authorize(actor, Permission.SUPPLY_ALLOCATE)
    pol = policy()
    horizon = (data.horizon_days if data and data.horizon_days else None) or pol.horizon_days
    day0 = day0 or today()
    item_ids = [item_by_code(session, code, "item_codes").id for code in (data.item_codes if data else [])]
    started = time.perf_counter()
    inst, ctx = _instance(session, day0, horizon, item_ids)
    read = time.perf_counter() - started
    optimal = opt.optimise(inst)
    fcfs = opt.first_come_first_served(inst, optimal.arcs)
    prop = opt.proportional(inst, optimal.arcs)
    t0 = time.perf_counter()
    run = AllocationRun(created_by_user_id=actor.user_id, day0=day0, horizon_days=horizon)
    session.add(run)
    session.flush()
    arcs, requests, sources, item_ids = optimal.arcs, ctx["requests"], ctx["sources"], ctx["item_ids"]
    lines = []
    for a in np.flatnonzero(optimal.units > 0).tolist():
        lines.append({"run_id": run.id, "request_id": requests[arcs.req[a]].id,
                      "source_location_id": sources[arcs.src[a]].id, "item_id": item_ids[int(arcs.item[a])],
                      "quantity": int(optimal.units[a]), "ratio": float(arcs.ratio[a]),
                      "from_production": bool(arcs.kind[a] == opt.CAPACITY),
                      "ship_on": day0 + dt.timedelta(days=int(arcs.ship_day[a])),
                      "arrive_on": day0 + dt.timedelta(days=int(arcs.arrival[a])),
                      "distance_km": round(float(arcs.dist[a]), 2), "late_days": int(arcs.late[a])})
    if lines:
        session.execute(sa.insert(AllocationLine), lines)
    outcomes = [{"run_id": run.id, "request_id": r.id, "needed": float(inst.req_qty[n]),
                 "covered": round(float(optimal.covered[n]), 3), "reach": round(float(optimal.reach[n]), 3),
                 "bound": str(optimal.bound[n]), "priority": r.priority} for n, r in enumerate(requests)]
    outcomes += [{"run_id": run.id, "request_id": r.id, "needed": float(r.outstanding), "covered": 0.0, "reach": 0.0,
                  "bound": NOT_IN_GOOD_STANDING, "priority": r.priority} for r in ctx["withheld"]]
    if outcomes:
        session.execute(sa.insert(AllocationOutcome), outcomes)
    run.figures = {
        "items": sorted(data.item_codes) if data else [], "requests": len(requests), "sources": len(sources),
        "arcs": len(arcs), "lines": len(lines),
        "units_needed": float(inst.req_qty.sum()),
        "methods": {m.method: _method_figures(inst, m) for m in (optimal, fcfs, prop)},
        "bounds": {b: int((optimal.bound == b).sum()) for b in opt.BOUNDS if (optimal.bound == b).any()}
        | ({NOT_IN_GOOD_STANDING: len(ctx["withheld"])} if ctx["withheld"] else {}),
        "seconds": {"read": round(read, 3), "build": round(optimal.timings.get("build_seconds", 0), 3),
                    "solve": round(optimal.timings.get("solve_seconds", 0), 3),
                    "write": round(time.perf_counter() - t0, 3)},
    }
    session.flush()
    session.expire(run, ["lines", "outcomes"])
    record_event(session, actor, "allocation_run.propose", "allocation_run", run.id,
                 details={"requests": len(requests), "lines": len(lines)})
    return run


def get_run(session: Session, actor: Principal, run_id: int) -> AllocationRun:
    authorize(actor, Permission.SUPPLY_ALLOCATE)
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFound(f"allocation run {run_id} does not exist")
    return run


def list_runs(session: Session, actor: Principal, limit: int = 20) -> list[AllocationRun]:
    authorize(actor, Permission.SUPPLY_ALLOCATE)
    return list(session.scalars(sa.select(AllocationRun).order_by(AllocationRun.id.desc()).limit(limit)))


def _lock(session: Session, query):
    return session.scalars(query.with_for_update()).all()


def commit(session: Session, actor: Principal, run: AllocationRun) -> AllocationRun:
    """Turn a proposed run into shipment orders: stock lines commit lots first expiring first out; a line whose
    stock has gone since the proposal is cut to what is still there (the difference is counted in the figures)."""
    authorize(actor, Permission.SUPPLY_ALLOCATE)
    run = session.get(AllocationRun, run.id, with_for_update=True, populate_existing=True)
    if run.status is not RunStatus.PROPOSED:
        raise Conflict.on("status", "proposed", f"the run is {run.status.value}; only a proposed run is committed")
    cut = skipped = created = withheld = 0
    stores: dict[int, StockLocation] = {}
    barred = blacklisted_institutions(session, session.scalars(
        sa.select(SupplyRequest.institution_id).join(AllocationLine, AllocationLine.request_id == SupplyRequest.id)
        .where(AllocationLine.run_id == run.id)))
    for line in run.lines:
        request = session.get(SupplyRequest, line.request_id, with_for_update=True)
        if request.status is not SupplyRequestStatus.OPEN:
            skipped += 1
            continue
        if request.institution_id in barred:  # blacklisted since the proposal: nothing is shipped to it
            withheld += 1
            continue
        quantity = min(line.quantity, int(np.floor(request.outstanding * line.ratio + 1e-9)))
        taken: list[tuple[str, dt.date | None, int]] = []
        if not line.from_production:
            lots = _lock(session, sa.select(StockLot).where(StockLot.location_id == line.source_location_id,
                                                            StockLot.item_id == line.item_id))
            usable = {lot.lot: lot for lot in lots if lot.expiry is None or lot.expiry > line.arrive_on}
            taken = rules.fefo([(lot.lot, lot.expiry, lot.available) for lot in usable.values()], quantity)
            got = sum(t[2] for t in taken)
            cut += quantity - got
            quantity = got
            for lot_code, _expiry, units in taken:
                usable[lot_code].committed += units
        if quantity <= 0:
            continue
        if request.institution_id not in stores:
            stores[request.institution_id] = store_of(session, request.institution_id)
        session.add(Shipment(
            run_id=run.id, request_id=request.id, source_location_id=line.source_location_id,
            destination_location_id=stores[request.institution_id].id, item_id=line.item_id, ratio=line.ratio,
            quantity=quantity, from_stock=0 if line.from_production else quantity,
            lots=[[lot, expiry.isoformat() if expiry else None, units] for lot, expiry, units in taken],
            ship_on=line.ship_on, arrive_on=line.arrive_on, distance_km=line.distance_km))
        request.allocated += quantity / line.ratio
        if request.allocated >= request.quantity - 1e-9:
            request.status = SupplyRequestStatus.ALLOCATED
        created += 1
    run.status = RunStatus.COMMITTED
    run.committed_at = utcnow()
    run.committed_by_user_id = actor.user_id
    run.figures = {**run.figures, "commit": {"shipments": created, "units_cut": cut, "lines_skipped": skipped,
                                             "lines_withheld_not_in_good_standing": withheld}}
    session.execute(sa.update(AllocationRun).where(AllocationRun.status == RunStatus.PROPOSED,
                                                   AllocationRun.id != run.id)
                    .values(status=RunStatus.SUPERSEDED))
    session.flush()
    record_event(session, actor, "allocation_run.commit", "allocation_run", run.id,
                 details={"shipments": created, "units_cut": cut})
    return run


# Shipments -----------------------------------------------------------------------------------------------


def get_shipment(session: Session, shipment_id: int, *, lock: bool = False) -> Shipment:
    shipment = session.get(Shipment, shipment_id, with_for_update=lock)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} does not exist")
    return shipment


def shipment_parties(session: Session, shipment: Shipment) -> tuple[int, int]:
    """The institutions of a shipment's source and destination."""
    source = get_location(session, shipment.source_location_id)
    destination = get_location(session, shipment.destination_location_id)
    return source.institution_id, destination.institution_id


def check_may_read_shipment(session: Session, actor: Principal, shipment: Shipment) -> None:
    authorize(actor, Permission.SUPPLY_READ, institutions=shipment_parties(session, shipment))


def list_shipments(session: Session, actor: Principal, *, status: str | None = None, side: str = "any",
                   limit: int = 50, offset: int = 0) -> tuple[list[Shipment], int]:
    """Shipments the caller may see: from or to its institution's locations (side: from, to, any)."""
    query = sa.select(Shipment)
    owned = _owned_institutions(actor, Permission.SUPPLY_READ)
    if owned is not None:
        mine = sa.select(StockLocation.id).where(StockLocation.institution_id.in_(owned))
        conditions = {"from": [Shipment.source_location_id.in_(mine)],
                      "to": [Shipment.destination_location_id.in_(mine)]}
        query = query.where(sa.or_(*conditions.get(side, conditions["from"] + conditions["to"])))
    if status:
        query = query.where(Shipment.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return list(session.scalars(query.order_by(Shipment.ship_on, Shipment.id).limit(limit).offset(offset))), total or 0


def dispatch(session: Session, actor: Principal, shipment: Shipment, quantity: int | None = None) -> Shipment:
    """The source marks a shipment dispatched: its units leave the source's stock (or come off the production
    line) into transit; units ordered but not dispatched go back to the source and to the request."""
    source_inst, _ = shipment_parties(session, shipment)
    authorize(actor, Permission.SUPPLY_DISPATCH, institutions=[source_inst])
    shipment = get_shipment(session, shipment.id, lock=True)
    if shipment.status is not ShipmentStatus.ORDERED:
        raise Conflict.on("status", "ordered", f"the shipment is {shipment.status.value}, not waiting for dispatch")
    sent = shipment.quantity if quantity is None else quantity
    if sent < 1 or sent > shipment.quantity:
        raise InvalidInput.on("quantity", "within-order", f"dispatch between 1 and the {shipment.quantity} ordered")
    lots = {lot.lot: lot for lot in _lock(session, sa.select(StockLot).where(
        StockLot.location_id == shipment.source_location_id, StockLot.item_id == shipment.item_id))}
    from_stock = min(sent, shipment.from_stock)
    left, dispatched_lots = from_stock, []
    for lot_code, expiry, units in shipment.lots:
        lot = lots[lot_code]
        lot.committed -= units  # every unit committed is released here: sent or given back
        send = min(units, left)
        if send:
            lot.on_hand -= send
            dispatched_lots.append([lot_code, expiry, send])
            left -= send
    produced = sent - from_stock
    session.flush()
    _move(session, actor, shipment.item_id, MoveKind.DISPATCH, stock_account(shipment.source_location_id),
          transit_account(shipment.id), from_stock, shipment.id)
    _move(session, actor, shipment.item_id, MoveKind.PRODUCTION, EXTERNAL, transit_account(shipment.id), produced,
          shipment.id)
    if sent < shipment.quantity:
        request = session.get(SupplyRequest, shipment.request_id, with_for_update=True)
        request.allocated = max(0.0, request.allocated - (shipment.quantity - sent) / shipment.ratio)
        if request.status is SupplyRequestStatus.ALLOCATED and request.allocated < request.quantity - 1e-9:
            request.status = SupplyRequestStatus.OPEN
    shipment.lots = dispatched_lots + ([["", None, produced]] if produced else [])
    shipment.status = ShipmentStatus.DISPATCHED
    shipment.dispatched_quantity = sent
    shipment.dispatched_at = utcnow()
    session.flush()
    record_event(session, actor, "shipment.dispatch", "shipment", shipment.id, institution_id=source_inst,
                 details={"quantity": sent, "ordered": shipment.quantity})
    return shipment


def receive(session: Session, actor: Principal, shipment: Shipment, quantity: int, note: str = "") -> Shipment:
    """The destination confirms receipt of what it counted; a difference from what was dispatched is recorded
    (short: into loss; over: from outside, as surplus), so transit always ends at zero."""
    _, destination_inst = shipment_parties(session, shipment)
    authorize(actor, Permission.SUPPLY_REQUEST_WRITE, institutions=[destination_inst])
    shipment = get_shipment(session, shipment.id, lock=True)
    if shipment.status is not ShipmentStatus.DISPATCHED:
        raise Conflict.on("status", "dispatched", f"the shipment is {shipment.status.value}, not in transit")
    sent = shipment.dispatched_quantity or 0
    if quantity != sent and not note.strip():
        raise InvalidInput.on("note", "required-for-difference",
                              f"{quantity} counted against {sent} dispatched: say why they differ")
    transit, store = transit_account(shipment.id), stock_account(shipment.destination_location_id)
    _move(session, actor, shipment.item_id, MoveKind.RECEIPT, transit, store, min(quantity, sent), shipment.id)
    if quantity < sent:
        _move(session, actor, shipment.item_id, MoveKind.LOSS, transit, LOSS_ACCOUNT, sent - quantity, shipment.id)
    elif quantity > sent:
        _move(session, actor, shipment.item_id, MoveKind.SURPLUS, EXTERNAL, store, quantity - sent, shipment.id)
    # Into the destination's lots, lot by lot as dispatched; a difference lands on the last lot.
    left = quantity
    parts = shipment.lots or [["", None, sent]]
    for n, (lot_code, expiry, units) in enumerate(parts):
        take = left if n == len(parts) - 1 else min(units, left)
        if take <= 0:
            continue
        lot = session.scalar(sa.select(StockLot).where(StockLot.location_id == shipment.destination_location_id,
                                                       StockLot.item_id == shipment.item_id,
                                                       StockLot.lot == lot_code).with_for_update())
        if lot is None:
            lot = StockLot(location_id=shipment.destination_location_id, item_id=shipment.item_id, lot=lot_code,
                           expiry=dt.date.fromisoformat(expiry) if expiry else None, on_hand=0, reserved=0,
                           committed=0)
            session.add(lot)
        lot.on_hand += take
        left -= take
    request = session.get(SupplyRequest, shipment.request_id, with_for_update=True)
    request.received += quantity / shipment.ratio
    if request.received >= request.quantity - 1e-9 and request.status is not SupplyRequestStatus.CANCELLED:
        request.status = SupplyRequestStatus.FULFILLED
    shipment.status = ShipmentStatus.RECEIVED
    shipment.received_quantity = quantity
    shipment.difference = quantity - sent
    shipment.difference_note = note.strip()
    shipment.received_at = utcnow()
    session.flush()
    record_event(session, actor, "shipment.receive", "shipment", shipment.id, institution_id=destination_inst,
                 details={"quantity": quantity, "difference": quantity - sent})
    return shipment


# The ledger ----------------------------------------------------------------------------------------------


def ledger_balances(session: Session) -> dict[tuple[str, int], int]:
    """Each (account, item)'s balance: units moved in less units moved out."""
    balances: dict[tuple[str, int], int] = defaultdict(int)
    for account, item, total in session.execute(sa.select(StockMove.to_account, StockMove.item_id,
                                                          sa.func.sum(StockMove.quantity))
                                                .group_by(StockMove.to_account, StockMove.item_id)):
        balances[(account, item)] += int(total)
    for account, item, total in session.execute(sa.select(StockMove.from_account, StockMove.item_id,
                                                          sa.func.sum(StockMove.quantity))
                                                .group_by(StockMove.from_account, StockMove.item_id)):
        balances[(account, item)] -= int(total)
    return dict(balances)


def ledger_problems(session: Session) -> list[str]:
    """Every disagreement between the ledger and the stock it describes (none: it balances).

    The sum over all accounts is zero by construction; what is checked is that each location's
    balance is its lots' units on hand, each shipment's transit balance is what it carries (dispatched
    and not yet received), and each lot's commitments are the open orders' commitments.
    """
    balances = ledger_balances(session)
    problems = []
    if sum(balances.values()) != 0:
        problems.append(f"the ledger's accounts sum to {sum(balances.values())}, not 0")
    on_hand = defaultdict(int)
    for location_id, item_id, total in session.execute(sa.select(StockLot.location_id, StockLot.item_id,
                                                                 sa.func.sum(StockLot.on_hand))
                                                       .group_by(StockLot.location_id, StockLot.item_id)):
        on_hand[(stock_account(location_id), item_id)] = int(total)
    stock_keys = {k for k in balances if k[0].startswith("stock:")} | set(on_hand)
    for key in sorted(stock_keys):
        if balances.get(key, 0) != on_hand.get(key, 0):
            problems.append(f"{key[0]} item {key[1]}: ledger {balances.get(key, 0)}, lots {on_hand.get(key, 0)}")
    carrying = defaultdict(int)
    committed = defaultdict(int)
    for ship in session.scalars(sa.select(Shipment)):
        if ship.status is ShipmentStatus.DISPATCHED:
            carrying[(transit_account(ship.id), ship.item_id)] = ship.dispatched_quantity or 0
        if ship.status is ShipmentStatus.ORDERED:
            for lot_code, _expiry, units in ship.lots:
                committed[(ship.source_location_id, ship.item_id, lot_code)] += units
    transit_keys = {k for k in balances if k[0].startswith("transit:")} | set(carrying)
    for key in sorted(transit_keys):
        if balances.get(key, 0) != carrying.get(key, 0):
            problems.append(f"{key[0]}: ledger {balances.get(key, 0)}, carrying {carrying.get(key, 0)}")
    for lot in session.scalars(sa.select(StockLot).where(StockLot.committed > 0)):
        key = (lot.location_id, lot.item_id, lot.lot)
        if committed.pop(key, 0) != lot.committed:
            problems.append(f"lot {lot.id}: {lot.committed} committed, but open orders hold a different number")
    problems += [f"orders commit units of a lot that does not hold them: {k}" for k, v in committed.items() if v]
    return problems
