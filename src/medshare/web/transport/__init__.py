"""The dispatch board: vehicles and requests on a scatter of the region (no map tiles), requests from triage,
sending the nearest vehicle, a surge assigned jointly against closest-idle, and the trip's steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import DomainError
from medshare.i18n import gettext
from medshare.permissions import Permission, Principal, Scope, has, scope_of
from medshare.registry.models import Institution, InstitutionStatus, InstitutionType
from medshare.transport import rules
from medshare.transport import service as transport
from medshare.transport.rules import RequestStatus, VehicleStatus
from medshare.transport.schemas import TransportRequestIn
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, can, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, build, errors_of, for_create
from medshare.web.triage.common import ROMAN, word

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, page_require(Permission.TRANSPORT_READ)]
Requester = Annotated[Principal, page_require(Permission.TRANSPORT_REQUEST)]
Dispatcher = Annotated[Principal, page_require(Permission.TRANSPORT_DISPATCH)]
Progress = Annotated[Principal, page_require(Permission.TRANSPORT_PROGRESS)]
Crew = Annotated[Principal, page_require(Permission.VEHICLE_REPORT)]
HOSPITALS = (InstitutionType.TERTIARY_HOSPITAL, InstitutionType.SECONDARY_HOSPITAL)


def _hospitals(session: Session) -> list[Institution]:
    return list(session.query(Institution).filter(Institution.type.in_(HOSPITALS),
                                                 Institution.status == InstitutionStatus.ACTIVE,
                                                 Institution.latitude.is_not(None)))


def board_context(session: Session, viewer: Principal) -> dict:
    """Everything the board shows: live and recent requests, the fleet, hospitals, and the chart's data."""
    vehicles = transport.list_vehicles(session, viewer)
    live, _ = transport.list_requests(session, viewer, statuses=[s.value for s in rules.LIVE], limit=200)
    recent, _ = transport.list_requests(session, viewer, statuses=["done", "cancelled"], limit=20)
    by_id = {v.id: v for v in vehicles}
    hospitals = _hospitals(session)
    names = {h.id: h.name for h in hospitals}
    for request in [*live, *recent]:
        destination = request.destination_institution_id
        if destination and destination not in names:
            names[destination] = session.get(Institution, destination).name
        if request.vehicle_id and request.vehicle_id not in by_id:
            by_id[request.vehicle_id] = transport.get_vehicle(session, request.vehicle_id)
    dispatcher = scope_of(viewer, Permission.TRANSPORT_DISPATCH) is Scope.ANY

    def actions(request) -> dict:
        vehicle = by_id.get(request.vehicle_id)
        following = rules.NEXT.get(request.status)
        progress = (following if following and request.status is not RequestStatus.REQUESTED and vehicle
                    and can(viewer, Permission.TRANSPORT_PROGRESS, vehicle.institution_id) else None)
        return {"assign": dispatcher and request.status is RequestStatus.REQUESTED,
                "next": progress.value if progress else None, "next_text": word(progress, "status") if progress else "",
                "cancel": request.status in rules.CANCELLABLE and (
                    dispatcher or can(viewer, Permission.TRANSPORT_REQUEST, request.origin_institution_id))}

    counts = {s.value: 0 for s in VehicleStatus}
    for v in vehicles:
        counts[v.status.value] += 1
    chart = {
        "vehicles": [[v.longitude, v.latitude, v.call_sign, v.status.value, v.capability.value] for v in vehicles],
        "requests": [[r.longitude, r.latitude, r.id, r.level, r.status.value] for r in live],
        "hospitals": [[h.longitude, h.latitude, h.name] for h in hospitals],
        "text": {"idle": word("idle", "status"), "busy": gettext("on a trip"), "requests": word("requested", "status"),
                 "hospitals": gettext("hospitals"), "levels": {str(k): f"{ROMAN[k]}" for k in ROMAN}},
    }
    return {"vehicles": vehicles, "live": live, "recent": recent, "by_id": by_id, "names": names,
            "actions": {r.id: actions(r) for r in live}, "dispatcher": dispatcher, "counts": counts,
            "chart": chart, "may_request": has(viewer, Permission.TRANSPORT_REQUEST),
            "may_report": {v.id: can(viewer, Permission.VEHICLE_REPORT, v.institution_id) for v in vehicles},
            "word": word, "ROMAN": ROMAN}


def _board(request: Request, session: Session, viewer: Principal, *, errors: FormErrors = NO_ERRORS,
           surge: dict | None = None, values: dict | None = None, status_code: int = 200):
    in_viewers_language(request)
    context = board_context(session, viewer)
    return render(request, "transport/board.html", context | {
        "errors": errors, "surge": surge, "values": values or {"level": "3", "policy": "cn4"}}, status_code)


@router.get("/dispatch")
def board(request: Request, session: SessionDep, viewer: Reader):
    """The dispatch board."""
    return _board(request, session, viewer)


def _failed(request: Request, session: Session, viewer: Principal, error: Exception, values: dict | None = None):
    if isinstance(error, DomainError) and error.status in (401, 403):
        raise error
    session.rollback()
    return _board(request, session, viewer, errors=errors_of(error), values=values, status_code=422)


@router.post("/transport/requests", dependencies=[CsrfChecked])
def create_request(request: Request, session: SessionDep, form: FormFields,
                   viewer: Requester):
    """Request transport (from the triage answer or the board); the nearest suitable vehicle is sent at once."""
    names = ("latitude", "longitude", "level", "policy", "triage_assessment_id", "note")
    values = for_create(form, names, ints=("level", "triage_assessment_id"))
    values["can_sit"] = form.get("can_sit", "") in ("1", "on", "true")
    try:
        data = build(TransportRequestIn, values)
        created = transport.request_transport(session, viewer, source="triage" if data.triage_assessment_id else "web",
                                              **data.model_dump())
    except (DomainError, ValueError) as error:
        return _failed(request, session, viewer, error, {k: form.get(k, "") for k in names})
    return redirect(f"/dispatch#request-{created.id}")


@router.post("/transport/requests/{request_id}/assign", dependencies=[CsrfChecked])
def assign(request: Request, session: SessionDep, request_id: int,
           viewer: Dispatcher):
    """Send the nearest suitable idle vehicle."""
    try:
        transport.assign_nearest(session, viewer, transport.get_request(session, request_id))
    except DomainError as error:
        return _failed(request, session, viewer, error)
    return redirect(f"/dispatch#request-{request_id}")


@router.post("/transport/requests/{request_id}/progress", dependencies=[CsrfChecked])
def progress(request: Request, session: SessionDep, request_id: int, form: FormFields,
             viewer: Progress):
    """Move the trip one step."""
    try:
        status = RequestStatus(form.get("status", ""))
        transport.advance(session, viewer, transport.get_request(session, request_id), status)
    except (DomainError, ValueError) as error:
        return _failed(request, session, viewer, error)
    return redirect(f"/dispatch#request-{request_id}")


@router.post("/transport/requests/{request_id}/cancel", dependencies=[CsrfChecked])
def cancel(request: Request, session: SessionDep, request_id: int, form: FormFields,
           viewer: Requester):
    """Cancel a request before the patient is carried."""
    try:
        transport.cancel(session, viewer, transport.get_request(session, request_id), form.get("reason", ""))
    except DomainError as error:
        return _failed(request, session, viewer, error)
    return redirect("/dispatch")


@router.post("/transport/vehicles/{vehicle_id}/status", dependencies=[CsrfChecked])
def vehicle_status(request: Request, session: SessionDep, vehicle_id: int, form: FormFields,
                   viewer: Crew):
    """A crew puts its vehicle in or out of service where it stands."""
    try:
        vehicle = transport.get_vehicle(session, vehicle_id)
        transport.report_position(session, viewer, vehicle, latitude=vehicle.latitude, longitude=vehicle.longitude,
                                  status=VehicleStatus(form.get("status", "")))
    except (DomainError, ValueError) as error:
        return _failed(request, session, viewer, error)
    return redirect("/dispatch#fleet")


@router.post("/dispatch/surge", dependencies=[CsrfChecked])
def surge(request: Request, session: SessionDep, form: FormFields,
          viewer: Dispatcher):
    """Every waiting request assigned jointly; proposed (compare with closest-idle) or committed."""
    commit = form.get("commit") == "1"
    try:
        result = transport.solve_surge(session, viewer, commit=commit)
    except DomainError as error:
        return _failed(request, session, viewer, error)
    figures = result.figures
    return _board(request, session, viewer, surge={"committed": commit, "figures": figures,
                                                    "rows": [("joint", figures["joint"]),
                                                             ("closest_idle", figures["closest_idle"])]})
