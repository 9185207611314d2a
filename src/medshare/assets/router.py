"""JSON API of shared assets, availability search, bookings, waitlists and the settlement ledger."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from medshare.assets import booking as bookings
from medshare.assets import ledger, utilisation
from medshare.assets import service as assets
from medshare.assets.models import AssetKind, Modality
from medshare.assets.schemas import (
    AssetIn,
    AssetOut,
    AssetPatch,
    BlackoutIn,
    BlackoutOut,
    BookingIn,
    BookingOut,
    CancelIn,
    SeriesIn,
    SeriesOut,
    SlotOut,
    StatementOut,
    UtilisationRow,
    WaitlistIn,
    WaitlistOut,
)
from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["shared assets"])
Booker = Annotated[Principal, require(Permission.BOOKING_CREATE)]
Owner = Annotated[Principal, require(Permission.BOOKING_MANAGE)]


@router.get("/assets", response_model=list[AssetOut], summary="List shared assets")
def list_assets(session: SessionDep, principal: CurrentPrincipal, owner_institution_id: int | None = None,
                kind: AssetKind | None = None, modality: Modality | None = None):
    return [AssetOut.model_validate(a) for a in assets.list_assets(
        session, owner_institution_id=owner_institution_id, kind=kind, modality=modality)]


@router.post("/assets", response_model=AssetOut, status_code=status.HTTP_201_CREATED, summary="List an asset")
def create_asset(session: SessionDep, data: AssetIn, actor: Annotated[Principal, require(Permission.ASSET_WRITE)]):
    return AssetOut.model_validate(assets.create_asset(session, actor, data))


@router.get("/assets/{asset_id}", response_model=AssetOut, summary="Read an asset")
def read_asset(session: SessionDep, asset_id: int, principal: CurrentPrincipal):
    return AssetOut.model_validate(assets.get_asset(session, asset_id))


@router.patch("/assets/{asset_id}", response_model=AssetOut, summary="Change an asset's policy or calendar")
def update_asset(session: SessionDep, asset_id: int, patch: AssetPatch,
                 actor: Annotated[Principal, require(Permission.ASSET_WRITE)]):
    return AssetOut.model_validate(assets.update_asset(session, actor, assets.get_asset(session, asset_id), patch))


@router.post("/assets/{asset_id}/blackouts", response_model=BlackoutOut, status_code=status.HTTP_201_CREATED,
             summary="Close an asset for a while (blackout or maintenance)")
def add_blackout(session: SessionDep, asset_id: int, data: BlackoutIn,
                 actor: Annotated[Principal, require(Permission.ASSET_WRITE)]):
    return BlackoutOut.model_validate(assets.add_blackout(session, actor, assets.get_asset(session, asset_id), data))


@router.get("/assets/{asset_id}/calendar", summary="An asset's slots of one exam, free or taken")
def calendar(session: SessionDep, asset_id: int, principal: CurrentPrincipal, exam_code: str,
             start: AwareDatetime, days: Annotated[int, Query(ge=1, le=31)] = 7) -> list[dict]:
    asset = assets.get_asset(session, asset_id)
    return assets.asset_calendar(session, asset, start=start, end=start + dt.timedelta(days=days),
                                 exam_code=exam_code)


@router.get("/slots", response_model=list[SlotOut], summary="Earliest free slots across the region")
def search_slots(
    session: SessionDep,
    actor: Booker,
    modality: Modality | None = None,
    kind: AssetKind | None = None,
    capability: Annotated[list[str], Query(description="required capabilities, e.g. contrast")] = [],  # noqa: B006
    exam_code: str | None = None,
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=1000)] = None,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
    as_individual: bool = False,
    sort: Literal["time", "distance"] = "time",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
):
    slots = assets.search_slots(session, actor, modality=modality, kind=kind, capabilities=capability,
                                exam_code=exam_code, latitude=latitude, longitude=longitude, radius_km=radius_km,
                                days=days, as_individual=as_individual, sort=sort, limit=limit)
    return [SlotOut(**s) for s in slots]


@router.post("/bookings", response_model=BookingOut, status_code=status.HTTP_201_CREATED,
             summary="Book or hold a slot (send Idempotency-Key to make retries safe)")
def create_booking(session: SessionDep, data: BookingIn, actor: Booker, response: Response,
                   idempotency_key: Annotated[str | None, Header(max_length=100)] = None):
    booking, new = bookings.book(session, actor, data, idempotency_key=idempotency_key)
    if not new:
        response.status_code = status.HTTP_200_OK
    return BookingOut.model_validate(booking)


@router.get("/bookings", response_model=Page[BookingOut], summary="Bookings made, or received as owner")
def list_bookings(session: SessionDep, page: PageParams, actor: CurrentPrincipal,
                  side: Literal["requester", "owner"] = "requester", status_: Annotated[
                      str | None, Query(alias="status")] = None, asset_id: int | None = None):
    rows, total = bookings.list_bookings(session, actor, side=side, status=status_, asset_id=asset_id, **page)
    return Page(items=[BookingOut.model_validate(b) for b in rows], total=total, **page)


@router.get("/bookings/{booking_id}", response_model=BookingOut, summary="Read a booking")
def read_booking(session: SessionDep, booking_id: int, actor: CurrentPrincipal):
    booking = bookings.get_booking(session, booking_id)
    bookings.check_party(actor, booking)
    return BookingOut.model_validate(booking)


@router.post("/bookings/{booking_id}/confirm", response_model=BookingOut, summary="Confirm a hold")
def confirm(session: SessionDep, booking_id: int, actor: Booker):
    return BookingOut.model_validate(bookings.confirm_hold(session, actor, bookings.get_booking(session, booking_id)))


@router.post("/bookings/{booking_id}/approve", response_model=BookingOut, summary="Approve a pending booking")
def approve(session: SessionDep, booking_id: int, actor: Owner):
    booking = bookings.get_booking(session, booking_id)
    return BookingOut.model_validate(bookings.decide(session, actor, booking, approve=True))


@router.post("/bookings/{booking_id}/decline", response_model=BookingOut, summary="Decline a pending booking")
def decline(session: SessionDep, booking_id: int, data: CancelIn, actor: Owner):
    booking = bookings.get_booking(session, booking_id)
    return BookingOut.model_validate(bookings.decide(session, actor, booking, approve=False, reason=data.reason))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut, summary="Cancel a booking")
def cancel(session: SessionDep, booking_id: int, data: CancelIn, actor: CurrentPrincipal):
    booking = bookings.get_booking(session, booking_id)
    return BookingOut.model_validate(bookings.cancel(session, actor, booking, reason=data.reason))


@router.post("/bookings/{booking_id}/complete", response_model=BookingOut, summary="Record a booking as used")
def complete(session: SessionDep, booking_id: int, actor: Owner):
    booking = bookings.get_booking(session, booking_id)
    return BookingOut.model_validate(bookings.record_outcome(session, actor, booking, completed=True))


@router.post("/bookings/{booking_id}/no-show", response_model=BookingOut, summary="Record a no-show")
def no_show(session: SessionDep, booking_id: int, actor: Owner):
    booking = bookings.get_booking(session, booking_id)
    return BookingOut.model_validate(bookings.record_outcome(session, actor, booking, completed=False))


@router.post("/booking-series", response_model=SeriesOut, status_code=status.HTTP_201_CREATED,
             summary="Book a weekly slot several times, skipping and reporting conflicts")
def book_series(session: SessionDep, data: SeriesIn, actor: Booker):
    series, booked = bookings.book_series(session, actor, data)
    return SeriesOut(id=series.id, bookings=[BookingOut.model_validate(b) for b in booked], skipped=series.skipped)


@router.post("/waitlist", response_model=WaitlistOut, status_code=status.HTTP_201_CREATED,
             summary="Wait for a slot to free up")
def join_waitlist(session: SessionDep, data: WaitlistIn, actor: Booker):
    return WaitlistOut.model_validate(bookings.join_waitlist(session, actor, data))


@router.get("/waitlist", response_model=list[WaitlistOut], summary="The institution's waitlist entries")
def list_waitlist(session: SessionDep, actor: Booker,
                  status_: Annotated[Literal["waiting", "promoted", ""], Query(alias="status")] = "waiting"):
    return [WaitlistOut.model_validate(e) for e in bookings.list_waitlist(session, actor, status=status_ or None)]


@router.get("/utilisation", response_model=list[UtilisationRow],
            summary="Booked and used hours over open hours, by week and group")
def read_utilisation(session: SessionDep, actor: Annotated[Principal, require(Permission.UTILISATION_READ)],
                     start: dt.date, weeks: Annotated[int, Query(ge=1, le=26)] = 4,
                     group_by: Literal["asset", "institution", "grade", "modality"] = "asset",
                     owner_institution_id: int | None = None, modality: Modality | None = None):
    return [UtilisationRow(**row) for row in utilisation.utilisation(
        session, actor, start=start, weeks=weeks, group_by=group_by, owner_institution_id=owner_institution_id,
        modality=modality)]


@router.get("/ledger/statements", response_model=StatementOut, summary="A party's monthly statement",
            responses={200: {"content": {"text/csv": {}}}})
def statement(session: SessionDep, actor: CurrentPrincipal, month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
              institution_id: int | None = None, practitioner_id: int | None = None,
              format: Literal["json", "csv"] = "json"):
    result = ledger.read_statement(session, actor, month=month, institution_id=institution_id,
                                   practitioner_id=practitioner_id)
    if format == "csv":
        return PlainTextResponse(ledger.statement_csv(result), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{result["party"]}-{month}.csv"'})
    return StatementOut(**result)
