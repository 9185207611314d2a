"""JSON API of emergency transport: the fleet and positions, requests, dispatch (one or a surge), the trip.

Dispatch solves in the route's worker thread (plain `def` routes run in FastAPI's thread pool), so the
event loop is never blocked by the solver.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import AuditedReadSessionDep, CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.schemas import Page
from medshare.transport import service as transport
from medshare.transport.rules import RequestStatus, VehicleStatus
from medshare.transport.schemas import (
    AssignIn,
    CancelIn,
    PositionIn,
    ProgressIn,
    SurgeAssignmentOut,
    SurgeIn,
    SurgeOut,
    TransportRequestIn,
    TransportRequestOut,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)

router = APIRouter(prefix="/api/v1", tags=["emergency transport"])
FleetAdmin = Annotated[Principal, require(Permission.FLEET_WRITE)]
Crew = Annotated[Principal, require(Permission.VEHICLE_REPORT)]
Requester = Annotated[Principal, require(Permission.TRANSPORT_REQUEST)]
Dispatcher = Annotated[Principal, require(Permission.TRANSPORT_DISPATCH)]
Progress = Annotated[Principal, require(Permission.TRANSPORT_PROGRESS)]
Reader = Annotated[Principal, require(Permission.TRANSPORT_READ)]


@router.post("/vehicles", response_model=VehicleOut, status_code=status.HTTP_201_CREATED,
             summary="Add an ambulance or partner car to an institution's fleet")
def create_vehicle(session: SessionDep, data: VehicleIn, actor: FleetAdmin):
    return VehicleOut.model_validate(transport.create_vehicle(session, actor, **data.model_dump()))


@router.get("/vehicles", response_model=list[VehicleOut], summary="The fleet the caller may see")
def list_vehicles(session: SessionDep, actor: Reader, status_: Annotated[VehicleStatus | None,
                                                                          Query(alias="status")] = None):
    return [VehicleOut.model_validate(v) for v in transport.list_vehicles(session, actor, status=status_)]


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut, summary="Change a vehicle's capability or station")
def update_vehicle(session: SessionDep, vehicle_id: int, patch: VehiclePatch, actor: FleetAdmin):
    vehicle = transport.get_vehicle(session, vehicle_id)
    return VehicleOut.model_validate(transport.update_vehicle(session, actor, vehicle,
                                                              patch.model_dump(exclude_unset=True)))


@router.post("/vehicles/{vehicle_id}/position", response_model=VehicleOut,
             summary="A crew reports the vehicle's position (and idle or out of service)")
def report_position(session: SessionDep, vehicle_id: int, data: PositionIn, actor: Crew):
    vehicle = transport.get_vehicle(session, vehicle_id)
    return VehicleOut.model_validate(transport.report_position(session, actor, vehicle, latitude=data.latitude,
                                                               longitude=data.longitude, status=data.status))


@router.post("/transport-requests", response_model=TransportRequestOut, status_code=status.HTTP_201_CREATED,
             summary="Request transport; the nearest suitable idle vehicle is sent at once, with its ETA")
def create_request(session: SessionDep, data: TransportRequestIn, actor: Requester):
    request = transport.request_transport(session, actor, source="api", **data.model_dump())
    return TransportRequestOut.model_validate(request)


@router.get("/transport-requests", response_model=Page[TransportRequestOut],
            summary="Requests the caller may see: live ones first, most severe first")
def list_requests(session: SessionDep, page: PageParams, actor: Reader,
                  status_: Annotated[list[RequestStatus] | None, Query(alias="status")] = None):
    rows, total = transport.list_requests(session, actor, statuses=[s.value for s in status_ or []], **page)
    return Page(items=[TransportRequestOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/transport-requests/{request_id}", response_model=TransportRequestOut, summary="Read a request")
def read_request(session: AuditedReadSessionDep, request_id: int, actor: CurrentPrincipal):
    request = transport.get_request(session, request_id)
    transport.check_may_read(session, actor, request)
    return TransportRequestOut.model_validate(request)


@router.post("/transport-requests/{request_id}/assign", response_model=TransportRequestOut,
             summary="Send a vehicle: the chosen one, or the nearest suitable idle one")
def assign(session: SessionDep, request_id: int, data: AssignIn, actor: Dispatcher):
    request = transport.get_request(session, request_id)
    if data.vehicle_id is None:
        transport.assign_nearest(session, actor, request)
    else:
        transport.assign_vehicle(session, actor, request, data.vehicle_id)
    return TransportRequestOut.model_validate(request)


@router.post("/transport-requests/{request_id}/progress", response_model=TransportRequestOut,
             summary="Move the trip one step: en route, on scene, transporting, at hospital, done")
def progress(session: SessionDep, request_id: int, data: ProgressIn, actor: Progress):
    request = transport.get_request(session, request_id)
    return TransportRequestOut.model_validate(transport.advance(session, actor, request, data.status,
                                                                latitude=data.latitude, longitude=data.longitude))


@router.post("/transport-requests/{request_id}/cancel", response_model=TransportRequestOut,
             summary="Cancel a request before the patient is carried")
def cancel(session: SessionDep, request_id: int, data: CancelIn, actor: Requester):
    request = transport.get_request(session, request_id)
    return TransportRequestOut.model_validate(transport.cancel(session, actor, request, data.reason))


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 1)


def surge_out(result: transport.SurgeResult) -> SurgeOut:
    """A surge's assignments next to closest-idle's, and both figures."""
    rows = []
    for i, request in enumerate(result.requests):
        j, k = int(result.joint.vehicle[i]), int(result.baseline.vehicle[i])
        rows.append(SurgeAssignmentOut(
            request_id=request.id, level=request.level,
            vehicle_id=result.vehicles[j].id if j >= 0 else None, eta_minutes=_num(result.joint.eta[i]),
            closest_idle_vehicle_id=result.vehicles[k].id if k >= 0 else None,
            closest_idle_eta_minutes=_num(result.baseline.eta[i])))
    return SurgeOut(committed=result.committed, figures=result.figures, assignments=rows)


@router.post("/dispatch/surge", response_model=SurgeOut,
             summary="Assign every waiting request jointly (minimum severity-weighted ETA), against closest-idle")
def surge(session: SessionDep, data: SurgeIn, actor: Dispatcher):
    return surge_out(transport.solve_surge(session, actor, request_ids=data.request_ids, commit=data.commit))
