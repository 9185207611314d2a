"""JSON API of emergency supplies: catalogue, locations and stock (with CSV upload), capacity, consumption,
requests, allocation runs and their commit, shipments through dispatch and receipt, the dashboard, the ledger.

Runs solve synchronously in the route's worker thread (plain `def` routes run in FastAPI's thread
pool), so the event loop is never blocked by the solver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal, authorize
from medshare.schemas import Page
from medshare.supplies import dashboard
from medshare.supplies import service as supplies
from medshare.supplies.rules import ShipmentStatus, SupplyRequestStatus
from medshare.supplies.schemas import (
    CapacityIn,
    CapacityOut,
    ConsumptionIn,
    ConsumptionOut,
    DispatchIn,
    ItemIn,
    ItemOut,
    LocationIn,
    LocationOut,
    LotOut,
    OutcomeOut,
    ReceiptIn,
    RunIn,
    RunOut,
    ShipmentOut,
    StockCsvIn,
    StockReportIn,
    SubstituteIn,
    SubstituteOut,
    SupplyRequestIn,
    SupplyRequestOut,
    UploadOut,
)

router = APIRouter(prefix="/api/v1/supplies", tags=["emergency supplies"])
Cataloguer = Annotated[Principal, require(Permission.SUPPLY_CATALOGUE_WRITE)]
Stocker = Annotated[Principal, require(Permission.SUPPLY_STOCK_WRITE)]
Requester = Annotated[Principal, require(Permission.SUPPLY_REQUEST_WRITE)]
Dispatcher = Annotated[Principal, require(Permission.SUPPLY_DISPATCH)]
Allocator = Annotated[Principal, require(Permission.SUPPLY_ALLOCATE)]
Reader = Annotated[Principal, require(Permission.SUPPLY_READ)]


@router.get("/items", response_model=list[ItemOut], summary="The supply catalogue with substitutes")
def list_items(session: SessionDep, actor: CurrentPrincipal):
    return [ItemOut.model_validate(i) for i in supplies.list_items(session)]


@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED, summary="Add a catalogue item")
def create_item(session: SessionDep, data: ItemIn, actor: Cataloguer):
    return ItemOut.model_validate(supplies.create_item(session, actor, data))


@router.post("/items/{item_id}/substitutes", response_model=SubstituteOut, status_code=status.HTTP_201_CREATED,
             summary="Declare an acceptable substitute and its ratio")
def add_substitute(session: SessionDep, item_id: int, data: SubstituteIn, actor: Cataloguer):
    item = supplies.get_item(session, item_id)
    return SubstituteOut.model_validate(supplies.add_substitute(session, actor, item, data))


@router.get("/locations", response_model=list[LocationOut], summary="Stock locations the caller may see")
def list_locations(session: SessionDep, actor: Reader, kind: Annotated[str | None, Query(max_length=20)] = None):
    return [LocationOut.model_validate(x) for x in supplies.list_locations(session, actor, kind=kind)]


@router.post("/locations", response_model=LocationOut, status_code=status.HTTP_201_CREATED,
             summary="Register a hospital store, warehouse or supplier location")
def create_location(session: SessionDep, data: LocationIn, actor: Stocker):
    return LocationOut.model_validate(supplies.create_location(session, actor, data))


@router.get("/locations/{location_id}/stock", response_model=list[LotOut], summary="A location's lots")
def read_stock(session: SessionDep, location_id: int, actor: Reader):
    location = supplies.get_location(session, location_id)
    authorize(actor, Permission.SUPPLY_READ, institutions=[location.institution_id])
    return [LotOut.model_validate(lot) for lot in supplies.lots_of(session, location.id)]


@router.post("/locations/{location_id}/stock", response_model=UploadOut,
             summary="Report a location's stock by lot (counts replace the previous ones)")
def report_stock(session: SessionDep, location_id: int, data: StockReportIn, actor: Stocker):
    location = supplies.get_location(session, location_id)
    changed = supplies.report_stock(session, actor, location, data.rows)
    return UploadOut(rows=len(data.rows), lots_changed=changed)


@router.post("/stock/upload", response_model=UploadOut,
             summary="Upload a stock CSV (location_id,item_code,lot,expiry,on_hand,reserved); any bad row refuses "
                     "the whole file, naming each row, field and rule")
def upload_stock(session: SessionDep, data: StockCsvIn, actor: Stocker):
    rows, changed = supplies.upload_stock_csv(session, actor, data.csv)
    return UploadOut(rows=rows, lots_changed=changed)


@router.put("/locations/{location_id}/capacity", response_model=CapacityOut,
            summary="Set a supplier location's daily production capacity of an item")
def set_capacity(session: SessionDep, location_id: int, data: CapacityIn, actor: Stocker):
    location = supplies.get_location(session, location_id)
    return CapacityOut.model_validate(supplies.set_capacity(session, actor, location, data))


@router.put("/consumption", response_model=ConsumptionOut,
            summary="Set an institution's current daily consumption of an item (for days of supply)")
def set_consumption(session: SessionDep, data: ConsumptionIn, actor: Stocker):
    return ConsumptionOut.model_validate(supplies.set_consumption(session, actor, data))


@router.get("/requests", response_model=Page[SupplyRequestOut], summary="Supply requests the caller may see")
def list_requests(session: SessionDep, page: PageParams, actor: Reader,
                  status_: Annotated[SupplyRequestStatus | None, Query(alias="status")] = None):
    rows, total = supplies.list_requests(session, actor, status=status_, **page)
    return Page(items=[SupplyRequestOut.model_validate(r) for r in rows], total=total, **page)


@router.post("/requests", response_model=SupplyRequestOut, status_code=status.HTTP_201_CREATED,
             summary="Request an item: quantity, priority class, need-by date")
def create_request(session: SessionDep, data: SupplyRequestIn, actor: Requester):
    return SupplyRequestOut.model_validate(supplies.create_request(session, actor, data))


@router.get("/requests/{request_id}", response_model=SupplyRequestOut, summary="Read a supply request")
def read_request(session: SessionDep, request_id: int, actor: Reader):
    request = supplies.get_request(session, request_id)
    supplies.check_may_read_request(actor, request)
    return SupplyRequestOut.model_validate(request)


@router.post("/requests/{request_id}/cancel", response_model=SupplyRequestOut, summary="Withdraw an open request")
def cancel_request(session: SessionDep, request_id: int, actor: Requester):
    request = supplies.get_request(session, request_id)
    return SupplyRequestOut.model_validate(supplies.cancel_request(session, actor, request))


@router.post("/runs", response_model=RunOut, status_code=status.HTTP_201_CREATED,
             summary="Allocate the supply in reach to every open request (proposed; nothing moves yet)")
def propose(session: SessionDep, data: RunIn, actor: Allocator):
    return RunOut.model_validate(supplies.propose(session, actor, data))


@router.get("/runs/{run_id}", response_model=RunOut,
            summary="A run's lines, every request's explanation, and its figures against FCFS and proportional")
def read_run(session: SessionDep, run_id: int, actor: Allocator):
    return RunOut.model_validate(supplies.get_run(session, actor, run_id))


@router.get("/runs/{run_id}/outcomes/{request_id}", response_model=OutcomeOut,
            summary="Why a request got what it got in a run")
def read_outcome(session: SessionDep, run_id: int, request_id: int, actor: Allocator):
    run = supplies.get_run(session, actor, run_id)
    for outcome in run.outcomes:
        if outcome.request_id == request_id:
            return OutcomeOut.model_validate(outcome)
    raise InvalidInput.on("request_id", "in-run", f"request {request_id} was not part of run {run_id}")


@router.post("/runs/{run_id}/commit", response_model=RunOut,
             summary="Commit a run: shipment orders, stock committed first expiring first out")
def commit(session: SessionDep, run_id: int, actor: Allocator):
    run = supplies.get_run(session, actor, run_id)
    return RunOut.model_validate(supplies.commit(session, actor, run))


@router.get("/shipments", response_model=Page[ShipmentOut], summary="Shipments from or to the caller's locations")
def list_shipments(session: SessionDep, page: PageParams, actor: Reader,
                   status_: Annotated[ShipmentStatus | None, Query(alias="status")] = None):
    rows, total = supplies.list_shipments(session, actor, status=status_, **page)
    return Page(items=[ShipmentOut.model_validate(s) for s in rows], total=total, **page)


@router.get("/shipments/{shipment_id}", response_model=ShipmentOut, summary="Read a shipment")
def read_shipment(session: SessionDep, shipment_id: int, actor: Reader):
    shipment = supplies.get_shipment(session, shipment_id)
    supplies.check_may_read_shipment(session, actor, shipment)
    return ShipmentOut.model_validate(shipment)


@router.post("/shipments/{shipment_id}/dispatch", response_model=ShipmentOut,
             summary="Mark a shipment dispatched (all ordered, or fewer: the rest goes back)")
def dispatch(session: SessionDep, shipment_id: int, data: DispatchIn, actor: Dispatcher):
    shipment = supplies.get_shipment(session, shipment_id)
    return ShipmentOut.model_validate(supplies.dispatch(session, actor, shipment, data.quantity))


@router.post("/shipments/{shipment_id}/receive", response_model=ShipmentOut,
             summary="Confirm receipt with the units counted; a difference needs a note and is recorded")
def receive(session: SessionDep, shipment_id: int, data: ReceiptIn, actor: Requester):
    shipment = supplies.get_shipment(session, shipment_id)
    return ShipmentOut.model_validate(supplies.receive(session, actor, shipment, data.quantity, data.note))


@router.get("/dashboard", summary="Shortages by item and district, days of supply, fill rates, shipments in flight")
def read_dashboard(session: SessionDep, actor: Reader) -> dict:
    return dashboard.summary(session, actor)


@router.get("/ledger/check", summary="Whether the stock ledger balances against the stock and shipments")
def ledger_check(session: SessionDep, actor: Allocator) -> dict:
    problems = supplies.ledger_problems(session)
    return {"balanced": not problems, "problems": problems[:100]}
