"""Use cases of emergency transport: the fleet and its positions, requests, dispatch (one or a surge), the trip.

Other capabilities (night care) escalate to transport by calling `request_transport(session, principal, ...)`.
A vehicle is claimed with a conditional UPDATE (idle → assigned), so two requests dispatched at the
same moment never get the same vehicle, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.optim import dispatch as opt
from medshare.permissions import Permission, Principal, Scope, authorize, has, scope_of
from medshare.registry.models import Institution
from medshare.settings import get_settings
from medshare.transport import rules
from medshare.transport.models import TransportRequest, Vehicle
from medshare.transport.rules import DEFAULT_POLICY, RequestStatus, VehicleKind, VehicleStatus
from medshare.triage import rules as triage_rules
from medshare.triage import service as triage
from medshare.triage.models import TriageAssessment
from medshare.triage.rules import Capability


def policy() -> rules.DispatchPolicy:
    """The region's dispatch policy (the defaults until the region sets its own)."""
    return DEFAULT_POLICY


def local_hour(now: dt.datetime) -> int:
    """The hour of now in the region's time zone (speeds depend on it)."""
    return now.astimezone(ZoneInfo(get_settings().timezone)).hour


# Fleet ------------------------------------------------------------------------------------------------------


def get_vehicle(session: Session, vehicle_id: int) -> Vehicle:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_id} does not exist")
    return vehicle


def _institution(session: Session, institution_id: int | None, field: str) -> Institution | None:
    if institution_id is None:
        return None
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise InvalidInput.on(field, "exists", f"institution {institution_id} does not exist")
    return institution


def create_vehicle(session: Session, actor: Principal, *, institution_id: int, call_sign: str, kind: VehicleKind,
                   capability: Capability, latitude: float | None = None, longitude: float | None = None,
                   station_institution_id: int | None = None, now: dt.datetime | None = None) -> Vehicle:
    """Add a vehicle to an institution's fleet, parked at its station (or the institution) unless placed."""
    authorize(actor, Permission.FLEET_WRITE, institutions=[institution_id])
    owner = _institution(session, institution_id, "institution_id")
    station = _institution(session, station_institution_id, "station_institution_id")
    rules.check_vehicle(kind, capability)
    if session.scalar(sa.select(Vehicle.id).where(Vehicle.call_sign == call_sign)) is not None:
        raise Conflict.on("call_sign", "unique", f"a vehicle with call sign {call_sign} exists")
    if latitude is None and longitude is None:
        home = station or owner
        latitude, longitude = home.latitude, home.longitude
    triage.check_position(latitude, longitude)
    vehicle = Vehicle(institution_id=institution_id, call_sign=call_sign, kind=kind, capability=capability,
                      station_institution_id=station_institution_id, latitude=latitude, longitude=longitude,
                      position_at=now or utcnow(), status=VehicleStatus.IDLE)
    session.add(vehicle)
    session.flush()
    record_event(session, actor, "vehicle.create", "vehicle", vehicle.id, institution_id=institution_id,
                 details={"kind": kind.value, "capability": capability.value})
    return vehicle


def update_vehicle(session: Session, actor: Principal, vehicle: Vehicle, changes: dict) -> Vehicle:
    """Change a vehicle's capability, station or whether it is in service."""
    authorize(actor, Permission.FLEET_WRITE, institutions=[vehicle.institution_id])
    if "station_institution_id" in changes:
        _institution(session, changes["station_institution_id"], "station_institution_id")
    capability = changes.get("capability") or vehicle.capability
    rules.check_vehicle(vehicle.kind, Capability(capability))
    if changes.get("active") is False and vehicle.status not in (VehicleStatus.IDLE, VehicleStatus.OUT_OF_SERVICE):
        raise Conflict.on("active", "not-on-a-trip", "a vehicle on a trip cannot be taken out of the fleet")
    for key, value in changes.items():
        if key in ("capability", "active") and value is None:
            raise InvalidInput.on(key, "required", "cannot be emptied")
        setattr(vehicle, key, value)
    session.flush()
    record_event(session, actor, "vehicle.update", "vehicle", vehicle.id, institution_id=vehicle.institution_id,
                 details={"fields": sorted(changes)})
    return vehicle


def report_position(session: Session, actor: Principal, vehicle: Vehicle, *, latitude: float, longitude: float,
                    status: VehicleStatus | None = None, now: dt.datetime | None = None) -> Vehicle:
    """A crew (or its institution) reports where the vehicle is, and may put it in or out of service."""
    authorize(actor, Permission.VEHICLE_REPORT, institutions=[vehicle.institution_id])
    triage.check_position(latitude, longitude)
    if status is not None and status is not vehicle.status:
        if status not in rules.REPORTABLE:
            raise InvalidInput.on("status", "reportable", "a crew reports idle or out_of_service; trips move "
                                  "through their request")
        if vehicle.status not in rules.REPORTABLE:
            raise Conflict.on("status", "not-on-a-trip", f"the vehicle is {vehicle.status.value} on a trip")
        vehicle.status = status
    vehicle.latitude, vehicle.longitude, vehicle.position_at = latitude, longitude, now or utcnow()
    session.flush()
    record_event(session, actor, "vehicle.position", "vehicle", vehicle.id, institution_id=vehicle.institution_id,
                 details={"status": vehicle.status.value})
    return vehicle


def list_vehicles(session: Session, actor: Principal, *, status: str | None = None,
                  institution_id: int | None = None) -> list[Vehicle]:
    """The fleet the actor may see: the region's for a dispatcher, else its institution's."""
    scope = scope_of(actor, Permission.TRANSPORT_READ)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.TRANSPORT_READ.value}")
    query = sa.select(Vehicle).where(Vehicle.active.is_(True))
    if scope is not Scope.ANY:
        query = query.where(Vehicle.institution_id == actor.institution_id)
    if institution_id is not None:
        query = query.where(Vehicle.institution_id == institution_id)
    if status:
        query = query.where(Vehicle.status == status)
    return list(session.scalars(query.order_by(Vehicle.call_sign)))


# Requests ---------------------------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> TransportRequest:
    request = session.get(TransportRequest, request_id)
    if request is None:
        raise NotFound(f"transport request {request_id} does not exist")
    return request


def _request_institutions(session: Session, request: TransportRequest) -> list[int | None]:
    owners = [request.origin_institution_id, request.destination_institution_id]
    if request.vehicle_id is not None:
        owners.append(session.get(Vehicle, request.vehicle_id).institution_id)
    return owners


def check_may_read(session: Session, actor: Principal, request: TransportRequest) -> None:
    """Readers: dispatchers, and accounts of the origin, the destination or the assigned vehicle's institution."""
    authorize(actor, Permission.TRANSPORT_READ, institutions=_request_institutions(session, request))
    if request.patient_record_id is not None:
        record_event(session, actor, "transport.read", "transport_request", request.id,
                     institution_id=request.origin_institution_id, patient_record_id=request.patient_record_id)


def list_requests(session: Session, actor: Principal, *, statuses: list[str] | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[TransportRequest], int]:
    """Requests the actor may see, most severe and oldest first among live ones, then the rest newest first."""
    scope = scope_of(actor, Permission.TRANSPORT_READ)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.TRANSPORT_READ.value}")
    query = sa.select(TransportRequest)
    if scope is not Scope.ANY:
        own = sa.select(Vehicle.id).where(Vehicle.institution_id == actor.institution_id)
        query = query.where(sa.or_(TransportRequest.origin_institution_id == actor.institution_id,
                                   TransportRequest.destination_institution_id == actor.institution_id,
                                   TransportRequest.vehicle_id.in_(own)))
    if statuses:
        query = query.where(TransportRequest.status.in_(statuses))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    live = sa.case((TransportRequest.status.in_([s.value for s in rules.LIVE]), 0), else_=1)
    rows = session.scalars(query.order_by(live, TransportRequest.level, TransportRequest.id.desc())
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def destination_for(session: Session, latitude: float, longitude: float, level: int, policy_code: str,
                    needs_tertiary: bool = False) -> int | None:
    """The nearest institution that receives a patient of this level (triage's care level for it)."""
    care = triage_rules.policy_of(policy_code).spec(level).care
    places = triage.nearest_institutions(session, latitude, longitude, care, needs_tertiary, k=1)
    return places[0].id if places else None


def request_transport(session: Session, principal: Principal, *, latitude: float, longitude: float, level: int,
                      can_sit: bool = False, policy: str = triage_rules.DEFAULT_POLICY,
                      origin_institution_id: int | None = None, destination_institution_id: int | None = None,
                      triage_assessment_id: int | None = None, patient_record_id: int | None = None,
                      source: str = "api", source_ref: str = "", note: str = "", auto_assign: bool = True,
                      now: dt.datetime | None = None) -> TransportRequest:
    """Ask for a vehicle to carry a patient from (latitude, longitude); with auto_assign the nearest suitable idle
    vehicle is sent at once (the request stays `requested` when none is free).

    The stable entry point for other capabilities (night care escalates here). level is the triage level under
    policy (cn4: 1–4, cn5: 1–5); can_sit lets a partner car carry a level the policy allows seated; without a
    destination the nearest institution receiving that level is chosen. Returns the request (flushed).
    """
    now = now or utcnow()
    origin_institution_id = origin_institution_id or principal.institution_id
    authorize(principal, Permission.TRANSPORT_REQUEST, institutions=[origin_institution_id])
    if origin_institution_id is None and scope_of(principal, Permission.TRANSPORT_REQUEST) is not Scope.ANY:
        raise Forbidden("only accounts of an institution or dispatchers request transport")
    table = triage_rules.policy_of(policy)
    table.spec(level)
    triage.check_position(latitude, longitude)
    _institution(session, origin_institution_id, "origin_institution_id")
    _institution(session, destination_institution_id, "destination_institution_id")
    needs_tertiary = False
    if triage_assessment_id is not None:
        assessment = session.get(TriageAssessment, triage_assessment_id)
        if assessment is None:
            raise InvalidInput.on("triage_assessment_id", "exists", "no such triage assessment")
        authorize(principal, Permission.TRANSPORT_REQUEST, institutions=[assessment.institution_id])
        needs_tertiary = assessment.complaint in triage_rules.TERTIARY_COMPLAINTS and assessment.level <= 2
        destination_institution_id = destination_institution_id or assessment.destination_institution_id
    if patient_record_id is not None:
        try:
            identity.load_patient_record(session, patient_record_id)
        except NotFound:
            raise InvalidInput.on("patient_record_id", "exists", "no such patient record") from None
    if destination_institution_id is None:
        destination_institution_id = destination_for(session, latitude, longitude, level, table.code, needs_tertiary)
    request = TransportRequest(
        policy=table.code, level=level, can_sit=can_sit,
        capability=rules.needed_capability(level, can_sit, table.seated_levels, table.capability),
        latitude=latitude, longitude=longitude, origin_institution_id=origin_institution_id,
        destination_institution_id=destination_institution_id, triage_assessment_id=triage_assessment_id,
        patient_record_id=patient_record_id, source=source[:20], source_ref=source_ref[:64], note=note[:500],
        requested_at=now, created_by_user_id=principal.user_id)
    session.add(request)
    session.flush()
    record_event(session, principal, "transport.request", "transport_request", request.id,
                 institution_id=origin_institution_id, patient_record_id=patient_record_id,
                 details={"level": level, "capability": request.capability.value, "source": request.source})
    if auto_assign:
        assign_nearest(session, principal, request, now=now, authorised=True)
    return request


# Dispatch ---------------------------------------------------------------------------------------------------


def _idle_vehicles(session: Session, needed: Capability | None = None) -> list[Vehicle]:
    query = sa.select(Vehicle).where(Vehicle.status == VehicleStatus.IDLE, Vehicle.active.is_(True))
    if needed is not None:
        allowed = [c for c in Capability if rules.may_carry(c, needed)]
        query = query.where(Vehicle.capability.in_(allowed))
    return list(session.scalars(query.order_by(Vehicle.id)))


def _fleet(vehicles: list[Vehicle]) -> opt.Fleet:
    return opt.Fleet(lat=np.array([v.latitude for v in vehicles], float),
                     lon=np.array([v.longitude for v in vehicles], float),
                     rank=np.array([opt.CAPABILITY_RANK[v.capability.value] for v in vehicles], int),
                     ambulance=np.array([v.kind is VehicleKind.AMBULANCE for v in vehicles], bool))


def _requests(requests: list[TransportRequest]) -> opt.Requests:
    return opt.Requests(lat=np.array([r.latitude for r in requests], float),
                        lon=np.array([r.longitude for r in requests], float),
                        need=np.array([opt.CAPABILITY_RANK[r.capability.value] for r in requests], int),
                        weight=np.array([policy().weight(r.level) for r in requests], float))


def _claim(session: Session, vehicle: Vehicle) -> bool:
    """Take an idle vehicle for a trip; False when another dispatch took it first."""
    taken = session.execute(sa.update(Vehicle).where(Vehicle.id == vehicle.id, Vehicle.status == VehicleStatus.IDLE)
                            .values(status=VehicleStatus.ASSIGNED, updated_at=utcnow())
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    session.refresh(vehicle)
    return True


def _give(session: Session, actor: Principal | None, request: TransportRequest, vehicle: Vehicle, eta: float,
          method: str, now: dt.datetime) -> None:
    request.vehicle_id, request.status, request.assigned_at = vehicle.id, RequestStatus.ASSIGNED, now
    request.eta_minutes = round(float(eta), 1)
    request.distance_km = round(float(opt.haversine_km(vehicle.latitude, vehicle.longitude, request.latitude,
                                                       request.longitude)), 2)
    request.assignment = method
    session.flush()
    record_event(session, actor, "transport.assign", "transport_request", request.id,
                 institution_id=request.origin_institution_id,
                 details={"vehicle_id": vehicle.id, "method": method, "eta_minutes": request.eta_minutes})


def _check_assignable(request: TransportRequest) -> None:
    if request.status is not RequestStatus.REQUESTED:
        raise Conflict.on("status", "requested", f"the request is {request.status.value}, not waiting for a vehicle")


def assign_nearest(session: Session, actor: Principal, request: TransportRequest, *, now: dt.datetime | None = None,
                   authorised: bool = False) -> Vehicle | None:
    """Send the suitable idle vehicle with the smallest ETA; None (and the request keeps waiting) when none is free
    within the policy's longest useful ETA (penalty_minutes)."""
    if not authorised:
        authorize(actor, Permission.TRANSPORT_DISPATCH)
    _check_assignable(request)
    now = now or utcnow()
    vehicles = _idle_vehicles(session, request.capability)
    if not vehicles:
        return None
    eta = opt.eta_matrix(_requests([request]), _fleet(vehicles), local_hour(now), policy().eta)[0]
    for j in np.argsort(eta, kind="stable"):
        if not eta[j] <= policy().penalty_minutes:  # unsuitable, or too far to be worth sending: wait
            break
        if _claim(session, vehicles[j]):
            _give(session, actor, request, vehicles[j], eta[j], "nearest", now)
            return vehicles[j]
    return None


def assign_vehicle(session: Session, actor: Principal, request: TransportRequest, vehicle_id: int, *,
                   now: dt.datetime | None = None) -> Vehicle:
    """A dispatcher sends a chosen vehicle; refused when it may not carry the patient or is not idle."""
    authorize(actor, Permission.TRANSPORT_DISPATCH)
    _check_assignable(request)
    now = now or utcnow()
    try:
        vehicle = get_vehicle(session, vehicle_id)
    except NotFound:
        raise InvalidInput.on("vehicle_id", "exists", f"vehicle {vehicle_id} does not exist") from None
    if not rules.may_carry(vehicle.capability, request.capability):
        raise InvalidInput.on("vehicle_id", "suitable", f"a {vehicle.capability.value} vehicle may not carry a "
                              f"patient who needs {request.capability.value}")
    if not vehicle.active or not _claim(session, vehicle):
        raise Conflict.on("vehicle_id", "idle", "the vehicle is not idle")
    eta = opt.eta_matrix(_requests([request]), _fleet([vehicle]), local_hour(now), policy().eta)[0, 0]
    _give(session, actor, request, vehicle, eta, "manual", now)
    return vehicle


@dataclass
class SurgeResult:
    """A surge solved jointly, next to closest-idle on the same data; committed or only proposed."""

    requests: list[TransportRequest]
    vehicles: list[Vehicle]
    joint: opt.Plan
    baseline: opt.Plan
    figures: dict
    committed: bool


def solve_surge(session: Session, actor: Principal, *, request_ids: list[int] | None = None, commit: bool = False,
                now: dt.datetime | None = None) -> SurgeResult:
    """Assign every waiting request (or those named) jointly to the idle fleet: minimum Σ severity weight × ETA."""
    authorize(actor, Permission.TRANSPORT_DISPATCH)
    now = now or utcnow()
    query = sa.select(TransportRequest).where(TransportRequest.status == RequestStatus.REQUESTED)
    if request_ids:
        query = query.where(TransportRequest.id.in_(request_ids))
    waiting = list(session.scalars(query.order_by(TransportRequest.requested_at, TransportRequest.id)))
    if request_ids and len(waiting) != len(set(request_ids)):
        missing = sorted(set(request_ids) - {r.id for r in waiting})
        raise InvalidInput.on("request_ids", "waiting", f"requests {missing} are not waiting for a vehicle")
    vehicles = _idle_vehicles(session)
    reqs, fleet, p = _requests(waiting), _fleet(vehicles), policy()
    hour = local_hour(now)
    eta = opt.eta_matrix(reqs, fleet, hour, p.eta)
    baseline = opt.closest_idle(reqs, fleet, hour, model=p.eta, penalty_minutes=p.penalty_minutes, eta=eta)
    plan = opt.joint(reqs, fleet, hour, model=p.eta, penalty_minutes=p.penalty_minutes, eta=eta,
                     candidates=p.candidates)
    critical = np.array([r.level <= 2 for r in waiting], bool)
    figures = {"requests": len(waiting), "idle_vehicles": len(vehicles),
               "joint": opt.summary(plan, reqs, critical), "closest_idle": opt.summary(baseline, reqs, critical)}
    if commit:
        for i, request in enumerate(waiting):
            j = int(plan.vehicle[i])
            if j < 0:
                continue
            if not _claim(session, vehicles[j]):  # taken since the solve: the nearest still free instead
                assign_nearest(session, actor, request, now=now, authorised=True)
                continue
            _give(session, actor, request, vehicles[j], plan.eta[i], "joint", now)
        record_event(session, actor, "transport.surge", "transport_surge", len(waiting),
                     details={"requests": len(waiting), "assigned": int((plan.vehicle >= 0).sum())})
    return SurgeResult(waiting, vehicles, plan, baseline, figures, commit)


# The trip ---------------------------------------------------------------------------------------------------


def advance(session: Session, actor: Principal, request: TransportRequest, target: RequestStatus, *,
            latitude: float | None = None, longitude: float | None = None,
            now: dt.datetime | None = None) -> TransportRequest:
    """Move a trip one step (en route → on scene → transporting → at hospital → done); the vehicle follows."""
    vehicle = session.get(Vehicle, request.vehicle_id) if request.vehicle_id else None
    authorize(actor, Permission.TRANSPORT_PROGRESS, institutions=[vehicle.institution_id if vehicle else None])
    if target is RequestStatus.CANCELLED:
        raise InvalidInput.on("status", "cancel-separately", "cancel through the request's cancel action")
    rules.check_transition(request.status, target)
    now = now or utcnow()
    request.status = target
    setattr(request, f"{target.value}_at", now)
    if vehicle is not None:
        vehicle.status = rules.VEHICLE_STATUS.get(target, vehicle.status)
        if latitude is not None and longitude is not None:
            triage.check_position(latitude, longitude)
            vehicle.latitude, vehicle.longitude = latitude, longitude
        elif target is RequestStatus.ON_SCENE:
            vehicle.latitude, vehicle.longitude = request.latitude, request.longitude
        elif target is RequestStatus.AT_HOSPITAL and request.destination_institution_id:
            destination = session.get(Institution, request.destination_institution_id)
            vehicle.latitude, vehicle.longitude = destination.latitude, destination.longitude
        vehicle.position_at = now
    session.flush()
    record_event(session, actor, f"transport.{target.value}", "transport_request", request.id,
                 institution_id=request.origin_institution_id, details={"status": target.value})
    return request


def cancel(session: Session, actor: Principal, request: TransportRequest, reason: str, *,
           now: dt.datetime | None = None) -> TransportRequest:
    """Cancel a request before the patient is carried; its vehicle becomes idle again."""
    if not (has(actor, Permission.TRANSPORT_DISPATCH)
            and scope_of(actor, Permission.TRANSPORT_DISPATCH) is Scope.ANY):
        authorize(actor, Permission.TRANSPORT_REQUEST, institutions=[request.origin_institution_id])
    if not reason.strip():
        raise InvalidInput.on("reason", "required", "say why the request is cancelled")
    rules.check_transition(request.status, RequestStatus.CANCELLED)
    now = now or utcnow()
    request.status, request.cancelled_at, request.cancel_reason = RequestStatus.CANCELLED, now, reason[:300]
    if request.vehicle_id is not None:
        session.get(Vehicle, request.vehicle_id).status = VehicleStatus.IDLE
    session.flush()
    record_event(session, actor, "transport.cancel", "transport_request", request.id,
                 institution_id=request.origin_institution_id)
    return request
