"""API shapes of emergency transport."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.schemas import Out, Patch, Strict
from medshare.transport.rules import RequestStatus, VehicleKind, VehicleStatus
from medshare.triage.rules import DEFAULT_POLICY, Capability


class VehicleIn(Strict):
    institution_id: int = Field(description="the owner: a hospital, the emergency centre or the taxi association")
    call_sign: str = Field(min_length=1, max_length=40)
    kind: VehicleKind
    capability: Capability = Field(description="als or bls for an ambulance; seated for a partner car")
    station_institution_id: int | None = Field(None, description="where it waits; default the owner")
    latitude: float | None = None
    longitude: float | None = None


class VehiclePatch(Patch):
    clearable = frozenset({"station_institution_id"})
    capability: Capability | None = None
    station_institution_id: int | None = None
    active: bool | None = None


class PositionIn(Strict):
    latitude: float
    longitude: float
    status: VehicleStatus | None = Field(None, description="idle or out_of_service; trips move through requests")


class VehicleOut(Out):
    id: int
    institution_id: int
    call_sign: str
    kind: VehicleKind
    capability: Capability
    station_institution_id: int | None
    status: VehicleStatus
    latitude: float
    longitude: float
    position_at: dt.datetime
    active: bool


class TransportRequestIn(Strict):
    latitude: float = Field(description="where the patient is")
    longitude: float
    level: int = Field(ge=1, le=5, description="triage level under policy")
    policy: str = Field(DEFAULT_POLICY, description="cn4 or cn5")
    can_sit: bool = Field(False, description="the patient can sit: a partner car may carry levels the policy allows")
    origin_institution_id: int | None = Field(None, description="the requesting institution; default the caller's")
    destination_institution_id: int | None = Field(None, description="default: the nearest that receives the level")
    triage_assessment_id: int | None = None
    patient_record_id: int | None = None
    note: str = Field("", max_length=500)
    auto_assign: bool = Field(True, description="send the nearest suitable idle vehicle at once")


class AssignIn(Strict):
    vehicle_id: int | None = Field(None, description="a chosen vehicle; none: the nearest suitable idle one")


class ProgressIn(Strict):
    status: RequestStatus = Field(description="the next step: en_route, on_scene, transporting, at_hospital, done")
    latitude: float | None = None
    longitude: float | None = None


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=300)


class SurgeIn(Strict):
    request_ids: list[int] | None = Field(None, max_length=2000, description="default: every waiting request")
    commit: bool = Field(False, description="send the vehicles; false only proposes")


class TransportRequestOut(Out):
    id: int
    status: RequestStatus
    policy: str
    level: int
    can_sit: bool
    capability: Capability
    latitude: float
    longitude: float
    origin_institution_id: int | None
    destination_institution_id: int | None
    triage_assessment_id: int | None
    patient_record_id: int | None
    source: str
    note: str
    vehicle_id: int | None
    assignment: str
    eta_minutes: float | None
    distance_km: float | None
    requested_at: dt.datetime
    assigned_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    transporting_at: dt.datetime | None
    at_hospital_at: dt.datetime | None
    done_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str


class SurgeAssignmentOut(Out):
    request_id: int
    level: int
    vehicle_id: int | None
    eta_minutes: float | None
    closest_idle_vehicle_id: int | None
    closest_idle_eta_minutes: float | None


class SurgeOut(Out):
    committed: bool
    figures: dict
    assignments: list[SurgeAssignmentOut]
