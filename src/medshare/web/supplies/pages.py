"""Supplies pages for every party: the dashboard, an institution's requests and receipts, a location's stock and
CSV upload, and the shipments a supplier or logistics firm dispatches."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import Forbidden, InvalidInput
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal, has
from medshare.registry import service as registry
from medshare.supplies import dashboard
from medshare.supplies import service as supplies
from medshare.supplies.schemas import CapacityIn, ConsumptionIn, ReceiptIn, SupplyRequestIn
from medshare.web.admin.common import region_wide
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, errors_of
from medshare.web.supplies.common import word

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.SUPPLY_READ)]
Requester = Annotated[Principal, page_require(Permission.SUPPLY_REQUEST_WRITE)]
Stocker = Annotated[Principal, page_require(Permission.SUPPLY_STOCK_WRITE)]
MAX_CSV_BYTES = 5 * 1024 * 1024


def _names(session: Session, ids) -> dict[int, str]:
    return {i: registry.get_institution(session, i).name for i in set(ids) if i}


def _items(session: Session) -> dict[int, object]:
    return {i.id: i for i in supplies.list_items(session)}


@router.get("/supplies")
def board(request: Request, session: SessionDep, viewer: Reader):
    """Shortages by item and district, days of supply, fill rates by priority, shipments, and the map scatter."""
    in_viewers_language(request)
    figures = dashboard.summary(session, viewer)
    districts = {}
    for row in figures["shortage_by_district"]:
        districts[row["division_code"]] = row["division_code"]
    chart = {
        "items": [r["code"] for r in figures["shortage_by_item"][:15]],
        "item_short": [r["short"] for r in figures["shortage_by_item"][:15]],
        "districts": [r["division_code"] for r in figures["shortage_by_district"]],
        "district_short": [r["short"] for r in figures["shortage_by_district"]],
        "classes": [word(c, "priority") for c in figures["fill_by_priority"]],
        "fill_min": [round(100 * v["min"], 1) for v in figures["fill_by_priority"].values()],
        "fill_mean": [round(100 * v["mean"], 1) for v in figures["fill_by_priority"].values()],
        "points": [[r["longitude"], r["latitude"], r["short"], r["name"]] for r in figures["institutions"]],
        "text": {"items": gettext("Shortage by item (units)"), "districts": gettext("Shortage by district (units)"),
                 "fill": gettext("Fill rate by priority (%)"), "min": gettext("Minimum"), "mean": gettext("Mean"),
                 "map": gettext("Institutions by shortage"), "units": gettext("units short")},
    }
    return render(request, "supplies/dashboard.html", {
        "figures": figures, "chart": chart, "word": word, "region_wide": region_wide(viewer, Permission.SUPPLY_READ),
        "institution": _names(session, [viewer.institution_id]).get(viewer.institution_id, ""),
    })


# Requests and receipts -----------------------------------------------------------------------------------


def _requests_page(request: Request, session: Session, viewer: Principal, values: dict, errors: FormErrors,
                   status_code: int = 200):
    in_viewers_language(request)
    rows, total = supplies.list_requests(session, viewer, limit=100)
    incoming, _ = supplies.list_shipments(session, viewer, side="to", limit=100)
    return render(request, "supplies/requests.html", {
        "rows": rows, "total": total, "incoming": [s for s in incoming if s.status.value != "received"],
        "items": _items(session), "values": values,
        "item_choices": [(i.code, f"{i.code} · {i.name}") for i in supplies.list_items(session)],
        "errors": errors, "word": word,
        "priorities": [(c, word(c, "priority")) for c in supplies.policy().codes],
        "can_request": has(viewer, Permission.SUPPLY_REQUEST_WRITE) and viewer.institution_id is not None,
        "can_report_use": has(viewer, Permission.SUPPLY_STOCK_WRITE) and viewer.institution_id is not None,
        "institutions": _names(session, [r.institution_id for r in rows]),
    }, status_code)


@router.get("/supplies/requests")
def requests_view(request: Request, session: SessionDep, viewer: Reader):
    """The institution's requests (how much is allocated and received) and the deliveries it expects."""
    values = {"priority": "general_ward", "need_by": (supplies.today() + dt.timedelta(days=3)).isoformat()}
    return _requests_page(request, session, viewer, values, NO_ERRORS)


@router.post("/supplies/requests", dependencies=[CsrfChecked])
def request_create(request: Request, session: SessionDep, viewer: Requester, form: FormFields):
    """Ask for an item: quantity, priority class, need-by date."""
    def create():
        values = {k: form[k] for k in ("item_code", "quantity", "priority", "need_by", "note") if form.get(k)}
        values["institution_id"] = viewer.institution_id
        values["allow_substitutes"] = form.get("allow_substitutes") == "on"
        return supplies.create_request(session, viewer, build(SupplyRequestIn, values))

    _, errors = attempt(session, create)
    if errors:
        return _requests_page(request, session, viewer, form, errors, 422)
    return redirect("/supplies/requests")


@router.post("/supplies/requests/{request_id}/cancel", dependencies=[CsrfChecked])
def request_cancel(request: Request, session: SessionDep, viewer: Requester, request_id: int):
    wanted = supplies.get_request(session, request_id)
    _, errors = attempt(session, lambda: supplies.cancel_request(session, viewer, wanted))
    if errors:
        return _requests_page(request, session, viewer, {}, errors, 409)
    return redirect("/supplies/requests")


@router.post("/supplies/shipments/{shipment_id}/receive", dependencies=[CsrfChecked])
def shipment_receive(request: Request, session: SessionDep, viewer: Requester, shipment_id: int, form: FormFields):
    """Confirm receipt with the units counted (a difference needs a note)."""
    shipment = supplies.get_shipment(session, shipment_id)

    def receive():
        data = build(ReceiptIn, {"quantity": form.get("quantity", ""), "note": form.get("note", "")})
        return supplies.receive(session, viewer, shipment, data.quantity, data.note)

    _, errors = attempt(session, receive)
    if errors:
        return _requests_page(request, session, viewer, {}, errors, 422)
    return redirect("/supplies/requests")


# Stock ---------------------------------------------------------------------------------------------------


def _stock_page(request: Request, session: Session, viewer: Principal, errors: FormErrors, status_code: int = 200,
                uploaded: tuple[int, int] | None = None):
    in_viewers_language(request)
    locations = supplies.list_locations(session, viewer)
    return render(request, "supplies/stock.html", {
        "locations": locations, "lots": {loc.id: supplies.lots_of(session, loc.id) for loc in locations[:50]},
        "capacities": {loc.id: supplies.capacities_of(session, loc.id) for loc in locations[:50]},
        "item_choices": [(i.code, f"{i.code} · {i.name}") for i in supplies.list_items(session)],
        "items": _items(session), "errors": errors, "uploaded": uploaded, "word": word,
        "institutions": _names(session, [loc.institution_id for loc in locations[:50]]),
    }, status_code)


@router.get("/supplies/stock")
def stock_view(request: Request, session: SessionDep, viewer: Stocker):
    """The account's locations with their lots, and the CSV upload."""
    return _stock_page(request, session, viewer, NO_ERRORS)


@router.post("/supplies/stock/upload", dependencies=[CsrfChecked])
def stock_upload(request: Request, session: SessionDep, viewer: Stocker, file: Annotated[UploadFile, File()]):
    """A stock CSV: every row written, or none when any row is bad (each problem named by row, field, rule)."""
    raw = file.file.read(MAX_CSV_BYTES + 1)

    def upload():
        if len(raw) > MAX_CSV_BYTES:
            raise InvalidInput.on("file", "max-size", "a stock file is at most 5 MiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput.on("file", "utf-8", "the file is not UTF-8 text") from None
        return supplies.upload_stock_csv(session, viewer, text)

    try:
        result, errors = attempt(session, upload)
    except Forbidden as error:  # rows for another institution's location: shown with their rows, nothing written
        session.rollback()
        result, errors = None, errors_of(error)
    if errors:
        return _stock_page(request, session, viewer, errors, 422)
    return _stock_page(request, session, viewer, NO_ERRORS, uploaded=result)


@router.post("/supplies/locations/{location_id}/capacity", dependencies=[CsrfChecked])
def capacity_set(request: Request, session: SessionDep, viewer: Stocker, location_id: int, form: FormFields):
    """A supplier's daily production capacity of an item, and its lead days."""
    location = supplies.get_location(session, location_id)

    def save():
        data = build(CapacityIn, {k: form[k] for k in ("item_code", "daily_units", "lead_days") if form.get(k)})
        return supplies.set_capacity(session, viewer, location, data)

    _, errors = attempt(session, save)
    if errors:
        return _stock_page(request, session, viewer, errors, 422)
    return redirect("/supplies/stock")


@router.post("/supplies/consumption", dependencies=[CsrfChecked])
def consumption_set(request: Request, session: SessionDep, viewer: Stocker, form: FormFields):
    """The institution's current daily use of an item (for its days of supply)."""
    def save():
        data = build(ConsumptionIn, {"institution_id": viewer.institution_id, "item_code": form.get("item_code", ""),
                                     "daily_units": form.get("daily_units", "")})
        return supplies.set_consumption(session, viewer, data)

    _, errors = attempt(session, save)
    if errors:
        return _requests_page(request, session, viewer, form, errors, 422)
    return redirect("/supplies/requests")


# Shipments -----------------------------------------------------------------------------------------------


@router.get("/supplies/shipments")
def shipments_view(request: Request, session: SessionDep, viewer: Reader,
                   status: Annotated[str, Query(max_length=12)] = ""):
    """Shipments from the account's locations (to dispatch) and to them (to receive)."""
    in_viewers_language(request)
    rows, total = supplies.list_shipments(session, viewer, status=status or None, limit=200)
    locations = {i: supplies.get_location(session, i) for s in rows
                 for i in (s.source_location_id, s.destination_location_id)}
    return render(request, "supplies/shipments.html", {
        "rows": rows, "total": total, "status": status, "items": _items(session), "locations": locations,
        "word": word, "institutions": _names(session, [loc.institution_id for loc in locations.values()]),
        "errors": NO_ERRORS,
    })


@router.post("/supplies/shipments/{shipment_id}/dispatch", dependencies=[CsrfChecked])
def shipment_dispatch(request: Request, session: SessionDep, shipment_id: int, form: FormFields,
                      viewer: Annotated[Principal, page_require(Permission.SUPPLY_DISPATCH)]):
    """Mark a shipment dispatched: all that was ordered, or the quantity loaded."""
    shipment = supplies.get_shipment(session, shipment_id)
    quantity = int(form["quantity"]) if form.get("quantity", "").isdigit() else None
    _, errors = attempt(session, lambda: supplies.dispatch(session, viewer, shipment, quantity))
    if errors:
        in_viewers_language(request)
        return render(request, "supplies/shipments.html", {
            "rows": [], "total": 0, "status": "", "items": {}, "locations": {}, "word": word, "institutions": {},
            "errors": errors}, 409)
    return redirect("/supplies/shipments")
