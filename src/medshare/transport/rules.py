"""Pure rules of emergency transport: vehicle kinds and suitability, the request lifecycle, dispatch policy."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from medshare.errors import Conflict, InvalidInput
from medshare.optim.dispatch import CAPABILITY_RANK, DEFAULT_ETA, EtaModel
from medshare.triage.rules import Capability


class VehicleKind(enum.StrEnum):
    AMBULANCE = "ambulance"
    PARTNER_CAR = "partner_car"  # the taxi association's cars: seated patients only


class VehicleStatus(enum.StrEnum):
    IDLE = "idle"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    DONE = "done"
    CANCELLED = "cancelled"


LIFECYCLE = (RequestStatus.REQUESTED, RequestStatus.ASSIGNED, RequestStatus.EN_ROUTE, RequestStatus.ON_SCENE,
             RequestStatus.TRANSPORTING, RequestStatus.AT_HOSPITAL, RequestStatus.DONE)
# Forward one step at a time; a request not yet carrying the patient may be cancelled.
NEXT = {LIFECYCLE[i]: LIFECYCLE[i + 1] for i in range(len(LIFECYCLE) - 1)}
CANCELLABLE = frozenset({RequestStatus.REQUESTED, RequestStatus.ASSIGNED, RequestStatus.EN_ROUTE,
                         RequestStatus.ON_SCENE})
LIVE = frozenset(set(LIFECYCLE) - {RequestStatus.DONE})
# The vehicle's status while its request is in each status.
VEHICLE_STATUS = {
    RequestStatus.ASSIGNED: VehicleStatus.ASSIGNED, RequestStatus.EN_ROUTE: VehicleStatus.EN_ROUTE,
    RequestStatus.ON_SCENE: VehicleStatus.ON_SCENE, RequestStatus.TRANSPORTING: VehicleStatus.TRANSPORTING,
    RequestStatus.AT_HOSPITAL: VehicleStatus.AT_HOSPITAL, RequestStatus.DONE: VehicleStatus.IDLE,
    RequestStatus.CANCELLED: VehicleStatus.IDLE,
}
# Statuses a crew may report for its vehicle directly (the others follow its request).
REPORTABLE = frozenset({VehicleStatus.IDLE, VehicleStatus.OUT_OF_SERVICE})


def check_transition(current: RequestStatus, target: RequestStatus) -> None:
    """A request moves one step forward along its lifecycle (assignment has its own use case), or is cancelled."""
    if target is RequestStatus.CANCELLED:
        if current not in CANCELLABLE:
            raise Conflict.on("status", "cancellable", f"a request that is {current.value} cannot be cancelled")
        return
    if target is RequestStatus.ASSIGNED:
        raise InvalidInput.on("status", "assign-through-dispatch", "assign a vehicle through dispatch")
    if NEXT.get(current) is not target:
        expected = NEXT.get(current)
        raise Conflict.on("status", "lifecycle", f"a request that is {current.value} moves next to "
                          f"{expected.value if expected else 'nothing'}, not {target.value}")


def check_vehicle(kind: VehicleKind, capability: Capability) -> None:
    """Partner cars carry seated patients only; an ambulance has basic or advanced life support."""
    if kind is VehicleKind.PARTNER_CAR and capability is not Capability.SEATED:
        raise InvalidInput.on("capability", "partner-cars-seat", "a partner car carries seated patients only")
    if kind is VehicleKind.AMBULANCE and capability is Capability.SEATED:
        raise InvalidInput.on("capability", "ambulance-life-support", "an ambulance has bls or als")


def may_carry(vehicle_capability: Capability, needed: Capability) -> bool:
    """Whether a vehicle of this capability may carry a patient who needs `needed` (ALS ⊇ BLS ⊇ seated)."""
    return CAPABILITY_RANK[vehicle_capability.value] >= CAPABILITY_RANK[needed.value]


def needed_capability(level: int, can_sit: bool, seated_levels: frozenset[int],
                      by_level: dict[int, Capability]) -> Capability:
    """What a request needs: its level's life support, or a seat when the patient can sit and the level allows."""
    needed = by_level.get(level, Capability.ALS)
    if needed is Capability.BLS and can_sit and level in seated_levels:
        return Capability.SEATED
    return needed


@dataclass(frozen=True)
class DispatchPolicy:
    """The region's dispatch policy: severity weights, the penalty of leaving a request waiting, ETAs."""

    weights: dict[int, float] = field(default_factory=lambda: {1: 16.0, 2: 8.0, 3: 2.0, 4: 1.0, 5: 0.5})
    penalty_minutes: float = 120.0  # what an unassigned request is charged, as if it waited that long
    candidates: int = 40  # per request, in a surge (the matrix stays small for any fleet)
    eta: EtaModel = DEFAULT_ETA

    def weight(self, level: int) -> float:
        return self.weights.get(level, 1.0)


DEFAULT_POLICY = DispatchPolicy()
