"""The requester's and the owner's booking pages: availability-first search, book, hold, series, waitlist,
my bookings, bookings received, and each step of a booking's life."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.assets import booking as bookings
from medshare.assets import rules
from medshare.assets import service as assets
from medshare.assets.models import Asset, AssetKind, Booking, BookingStatus, Modality
from medshare.assets.schemas import BookingIn, SeriesIn, WaitlistIn
from medshare.db import utcnow
from medshare.deps import SessionDep
from medshare.errors import FieldProblem, InvalidInput, NotFound
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.web.assets.common import DATETIME_LOCAL, local, parse_instant, parse_local
from medshare.web.core import CsrfChecked, is_htmx, page_require, query_string, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build
from medshare.web.paging import PAGE_SIZE, Pager, choice

router = APIRouter()
Booker = Annotated[Principal, page_require(Permission.BOOKING_CREATE)]
Owner = Annotated[Principal, page_require(Permission.BOOKING_MANAGE)]
SEARCH_LIMIT = 30
SEARCH_FIELDS = ("kind", "modality", "capabilities", "exam_code", "latitude", "longitude", "radius_km", "days",
                 "sort", "as_individual")
FLASH_OF_STATUS = {BookingStatus.HELD: "booking-held", BookingStatus.PENDING: "booking-pending",
                   BookingStatus.CONFIRMED: "booking-made"}


def _number(query: dict[str, str], name: str, problems: list[FieldProblem], low: float, high: float) -> float | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(FieldProblem(name, "number", "must be a number"))
        return None
    if not low <= value <= high:
        problems.append(FieldProblem(name, "range", f"must be between {low:g} and {high:g}"))
        return None
    return value


def _filters(query: dict[str, str]) -> tuple[dict, FormErrors]:
    """The search form's text as search_slots' arguments; a bad number is named, the rest are lenient."""
    problems: list[FieldProblem] = []
    days = _number(query, "days", problems, 1, 90)
    filters = {
        "kind": choice(query.get("kind", ""), AssetKind),
        "modality": choice(query.get("modality", ""), Modality),
        "capabilities": [c.strip() for c in query.get("capabilities", "").replace("，", ",").split(",") if c.strip()],
        "exam_code": query.get("exam_code", "").strip() or None,
        "latitude": _number(query, "latitude", problems, -90, 90),
        "longitude": _number(query, "longitude", problems, -180, 180),
        "radius_km": _number(query, "radius_km", problems, 0.1, 1000),
        "days": int(days) if days else 14,
        "sort": "distance" if query.get("sort") == "distance" else "time",
        "as_individual": query.get("as_individual") == "on",
    }
    return filters, FormErrors(problems)


def _institution_names(session: Session, ids) -> dict[int, str]:
    return {i: registry.get_institution(session, i).name for i in set(ids) if i}


def _search_page(request: Request, session: Session, viewer: Principal, query: dict[str, str], *,
                 book_errors: FormErrors = NO_ERRORS, status_code: int = 200):
    own = registry.get_institution(session, viewer.institution_id) if viewer.institution_id else None
    query = {name: query.get(name, "") for name in SEARCH_FIELDS}
    if not query["latitude"] and not query["longitude"] and own is not None and own.latitude is not None:
        # Near the viewer's own institution unless another point is asked for.
        query["latitude"], query["longitude"] = str(own.latitude), str(own.longitude)
    query["days"] = query["days"] or "14"
    filters, errors = _filters(query)
    slots = assets.search_slots(session, viewer, **filters, limit=SEARCH_LIMIT) if not errors else []
    found = {s["asset_id"]: assets.get_asset(session, s["asset_id"]) for s in slots}
    owners = {i: registry.get_institution(session, i) for i in {a.owner_institution_id for a in found.values()}}
    return render(request, "assets/search.html", {
        "query": query, "errors": errors, "slots": slots, "found": found, "owners": owners,
        "search": query_string(query), "book_errors": book_errors, "own": own,
        "individual": viewer.practitioner_id is not None,
    }, status_code)


@router.get("/bookings/search")
def slot_search(request: Request, session: SessionDep, viewer: Booker,
                kind: Annotated[str, Query(max_length=40)] = "",
                modality: Annotated[str, Query(max_length=40)] = "",
                capabilities: Annotated[str, Query(max_length=200)] = "",
                exam_code: Annotated[str, Query(max_length=40)] = "",
                latitude: Annotated[str, Query(max_length=20)] = "",
                longitude: Annotated[str, Query(max_length=20)] = "",
                radius_km: Annotated[str, Query(max_length=10)] = "",
                days: Annotated[str, Query(max_length=3)] = "",
                sort: Annotated[str, Query(max_length=10)] = "",
                as_individual: Annotated[str, Query(max_length=3)] = ""):
    """The earliest free slots across the region that the viewer may book, soonest or nearest first."""
    query = {"kind": kind, "modality": modality, "capabilities": capabilities, "exam_code": exam_code,
             "latitude": latitude, "longitude": longitude, "radius_km": radius_km, "days": days, "sort": sort,
             "as_individual": as_individual}
    return _search_page(request, session, viewer, query)


def _terms(asset: Asset) -> dict:
    return {"free_cancel_hours": asset.free_cancel_hours, "late_fee_percent": asset.late_cancel_fee_percent,
            "no_show_percent": asset.no_show_fee_percent, "hold_minutes": asset.hold_minutes,
            "approval": asset.approval_required}


def _slot_page(request: Request, session: Session, viewer: Principal, form: dict[str, str], *,
               errors: FormErrors = NO_ERRORS, series_errors: FormErrors = NO_ERRORS,
               waitlist_errors: FormErrors = NO_ERRORS, status_code: int = 200):
    if not str(form.get("asset_id", "")).isdigit():  # a post without its slot: nothing to show it on
        raise InvalidInput.on("asset_id", "required", "choose a slot of an asset first")
    asset = assets.get_asset(session, int(form["asset_id"]))
    starts_at = parse_instant(form.get("starts_at", ""), "starts_at")
    exam = next((e for e in asset.exam_types if e.code == form.get("exam_code")), None)
    individual = form.get("as_individual") == "on"
    requester = assets.requester_for(session, viewer, as_individual=individual,
                                     owner_institution_id=asset.owner_institution_id, on=starts_at.date())
    category = rules.price_category(requester, assets.policy_of(session, asset))
    first = local(starts_at)
    return render(request, "assets/slot.html", {
        "asset": asset, "owner": registry.get_institution(session, asset.owner_institution_id), "exam": exam,
        "starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=exam.minutes if exam else 0),
        "category": category,
        "price_fen": rules.pick_price(assets.prices_of(asset), form.get("exam_code", ""), category),
        "terms": _terms(asset), "form": form, "individual": individual, "errors": errors,
        "series_errors": series_errors, "waitlist_errors": waitlist_errors,
        "series_values": {"weeks": form.get("weeks", "4")},
        "waitlist_values": {
            "earliest": form.get("earliest") or first.replace(hour=0, minute=0).strftime(DATETIME_LOCAL),
            "latest": form.get("latest") or (first + dt.timedelta(days=7)).replace(
                hour=23, minute=0).strftime(DATETIME_LOCAL)},
    }, status_code)


@router.get("/bookings/new")
def slot_page(request: Request, session: SessionDep, viewer: Booker,
              asset_id: Annotated[int, Query(ge=1)], exam_code: Annotated[str, Query(max_length=40)],
              starts_at: Annotated[str, Query(max_length=40)],
              as_individual: Annotated[str, Query(max_length=3)] = ""):
    """One slot with its price and terms: book it, hold it, book it weekly, or wait for one near it."""
    form = {"asset_id": str(asset_id), "exam_code": exam_code, "starts_at": starts_at, "as_individual": as_individual}
    return _slot_page(request, session, viewer, form)


def _booking_in(form: dict[str, str]) -> BookingIn:
    return build(BookingIn, {
        "asset_id": form.get("asset_id", ""), "exam_code": form.get("exam_code", ""),
        "starts_at": parse_instant(form.get("starts_at", ""), "starts_at"), "hold": form.get("hold") == "1",
        "as_individual": form.get("as_individual") == "on", "note": form.get("note", "")})


@router.post("/bookings", dependencies=[CsrfChecked])
def booking_create(request: Request, session: SessionDep, viewer: Booker, form: FormFields):
    """Book or hold a slot; a slot taken meanwhile or a broken rule is shown and nothing is booked."""
    made, errors = attempt(session, lambda: bookings.book(session, viewer, _booking_in(form))[0])
    if errors:
        if form.get("from") == "slot":
            return _slot_page(request, session, viewer, form, errors=errors, status_code=422)
        # Back to the same search: the slot that was just taken is no longer among the results.
        return _search_page(request, session, viewer, dict(parse_qsl(form.get("search", ""))), book_errors=errors,
                            status_code=422)
    return redirect(f"/bookings#booking-{made.id}", flash=FLASH_OF_STATUS.get(made.status, "booking-made"))


@router.post("/bookings/series", dependencies=[CsrfChecked])
def series_create(request: Request, session: SessionDep, viewer: Booker, form: FormFields):
    """Book the slot on several weeks; the weeks that break a rule or clash are skipped and reported."""
    def book_weekly():
        return bookings.book_series(session, viewer, build(SeriesIn, {
            "asset_id": form.get("asset_id", ""), "exam_code": form.get("exam_code", ""),
            "first_starts_at": parse_instant(form.get("starts_at", ""), "starts_at"),
            "weeks": form.get("weeks", ""), "as_individual": form.get("as_individual") == "on",
            "note": form.get("note", "")}))

    made, errors = attempt(session, book_weekly)
    if errors:
        return _slot_page(request, session, viewer, form, series_errors=errors, status_code=422)
    series, booked = made
    asset = assets.get_asset(session, series.asset_id)
    skipped = [{"starts_at": dt.datetime.fromisoformat(s["starts_at"]), "rule": s["rule"], "message": s["message"]}
               for s in series.skipped]
    return render(request, "assets/series.html", {
        "asset": asset, "owner": registry.get_institution(session, asset.owner_institution_id),
        "booked": booked, "skipped": skipped, "weeks": series.rule.get("weeks")}, 201)


@router.post("/bookings/waitlist", dependencies=[CsrfChecked])
def waitlist_join(request: Request, session: SessionDep, viewer: Booker, form: FormFields):
    """Wait for a slot of the exam in a window; the first that frees is booked on the viewer's behalf."""
    def join():
        return bookings.join_waitlist(session, viewer, build(WaitlistIn, {
            "asset_id": form.get("asset_id", ""), "exam_code": form.get("exam_code", ""),
            "earliest": parse_local(form.get("earliest", ""), "earliest"),
            "latest": parse_local(form.get("latest", ""), "latest"),
            "as_individual": form.get("as_individual") == "on"}))

    _, errors = attempt(session, join)
    if errors:
        return _slot_page(request, session, viewer, form, waitlist_errors=errors, status_code=422)
    return redirect("/bookings", flash="waitlist-joined")


def _list_context(session: Session, rows: list[Booking], total: int, page: int, status: str) -> dict:
    now = utcnow()
    institutions = _institution_names(session, [b.requester_institution_id for b in rows]
                                      + [b.asset.owner_institution_id for b in rows])
    doctors = {i: registry.get_practitioner(session, i).name
               for i in {b.requester_practitioner_id for b in rows} if i}
    fees = {b.id: rules.cancellation_fee(b.price_fen, now, b.starts_at, b.asset.free_cancel_hours,
                                         b.asset.late_cancel_fee_percent) for b in rows}
    return {"bookings": rows, "pager": Pager(total, page), "query": {"status": status}, "now": now,
            "institutions": institutions, "doctors": doctors, "fees": fees,
            "statuses": [s.value for s in BookingStatus]}


@router.get("/bookings")
def my_bookings(request: Request, session: SessionDep, viewer: Booker,
                status: Annotated[str, Query(max_length=20)] = "",
                page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The bookings the viewer's institution made, newest slot first, with what can still be done."""
    state = choice(status, BookingStatus)
    rows, total = bookings.list_bookings(session, viewer, side="requester", status=state, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    template = "assets/_mine_rows.html" if is_htmx(request) else "assets/mine.html"
    return render(request, template, _list_context(session, rows, total, page, status) | {"tab": "mine"})


@router.get("/bookings/received")
def received_bookings(request: Request, session: SessionDep, viewer: Owner,
                      status: Annotated[str, Query(max_length=20)] = "",
                      page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The bookings of the viewer's assets: approve or decline the pending, record how the past went."""
    state = choice(status, BookingStatus)
    rows, total = bookings.list_bookings(session, viewer, side="owner", status=state, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    template = "assets/_received_rows.html" if is_htmx(request) else "assets/received.html"
    return render(request, template, _list_context(session, rows, total, page, status) | {"tab": "received"})


# What each button on a booking does: the service call, the page to return to, the message.
ACTIONS = {
    "confirm": (lambda s, v, b, f: bookings.confirm_hold(s, v, b), "/bookings", "booking-confirmed"),
    "cancel": (lambda s, v, b, f: bookings.cancel(s, v, b, reason=f.get("reason", "")[:300]), "/bookings",
               "booking-cancelled"),
    "approve": (lambda s, v, b, f: bookings.decide(s, v, b, approve=True), "/bookings/received", "booking-approved"),
    "decline": (lambda s, v, b, f: bookings.decide(s, v, b, approve=False, reason=f.get("reason", "")[:200]),
                "/bookings/received", "booking-declined"),
    "complete": (lambda s, v, b, f: bookings.record_outcome(s, v, b, completed=True), "/bookings/received",
                 "booking-completed"),
    "no-show": (lambda s, v, b, f: bookings.record_outcome(s, v, b, completed=False), "/bookings/received",
                "booking-no-show"),
}

@router.post("/bookings/{booking_id}/{action}", dependencies=[CsrfChecked])
def booking_act(request: Request, session: SessionDep, viewer: Booker, booking_id: int, action: str,
                form: FormFields):
    """One step of a booking's life; the service checks that the viewer is the party who may take it."""
    if action not in ACTIONS:
        raise NotFound(f"booking action {action} does not exist")
    call, back, flash = ACTIONS[action]
    booking = bookings.get_booking(session, booking_id)
    _, errors = attempt(session, lambda: call(session, viewer, booking, form))
    if errors:
        side = "owner" if back.endswith("received") else "requester"
        rows, total = bookings.list_bookings(session, viewer, side=side, limit=PAGE_SIZE)
        template = "assets/received.html" if side == "owner" else "assets/mine.html"
        return render(request, template, _list_context(session, rows, total, 1, "") | {
            "tab": "received" if side == "owner" else "mine", "action_errors": errors}, 422)
    return redirect(f"{back}#booking-{booking_id}", flash=flash)
