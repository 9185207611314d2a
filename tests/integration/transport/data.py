"""Hospital A's fleet and transport requests, for the API's authorisation table."""

from __future__ import annotations

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.registry.models import Institution
from medshare.transport import service as transport
from medshare.transport.rules import VehicleKind
from medshare.triage.rules import Capability
from tests import factories as f
from tests.integration.transport.conftest import quick_principal


def add_transport(committed, w):
    """Two ALS ambulances of hospital A (one on a trip), and A's requests waiting, assigned and cancellable."""
    with transaction(committed) as session:
        admin_a = quick_principal(session, Role.INSTITUTION_ADMIN, w.hospital_a)
        home = session.get(Institution, w.hospital_a)
        w.transport_lat, w.transport_lon = home.latitude, home.longitude

        def vehicle() -> int:
            return transport.create_vehicle(session, admin_a, institution_id=w.hospital_a, call_sign=f.unique("A"),
                                            kind=VehicleKind.AMBULANCE, capability=Capability.ALS).id

        def request(auto: bool) -> int:
            return transport.request_transport(session, admin_a, latitude=home.latitude, longitude=home.longitude,
                                               level=2, auto_assign=auto).id  # others' vehicles may stand here

        w.vehicle_a = vehicle()
        w.transport_live = request(False)
        operator = quick_principal(session, Role.PLATFORM_ADMIN, None)
        transport.assign_vehicle(session, operator, transport.get_request(session, w.transport_live), w.vehicle_a)
        w.vehicle_spare = vehicle()
        # The assign case's own pair: a seated patient and a partner car, which no ALS request of
        # this run (triage, surge, other tests' auto-assignments) can take first.
        w.vehicle_seated = transport.create_vehicle(session, admin_a, institution_id=w.hospital_a,
                                                    call_sign=f.unique("T"), kind=VehicleKind.PARTNER_CAR,
                                                    capability=Capability.SEATED).id
        w.transport_waiting = transport.request_transport(session, admin_a, latitude=home.latitude,
                                                          longitude=home.longitude, level=4, can_sit=True,
                                                          auto_assign=False).id
        w.transport_cancellable = request(False)
        w.transport_surge = request(False)
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The triage and transport API's write routes aimed at hospital A's objects."""
    r, v = "/api/v1/transport-requests", "/api/v1/vehicles"
    here = {"latitude": w.transport_lat, "longitude": w.transport_lon}
    return {
        ("POST", "/api/v1/triage/assessments"): ("/api/v1/triage/assessments", {
            "institution_id": w.hospital_a, "heart_rate": 190, "complaint": "chest_pain", **here}),
        ("POST", v): (v, {"institution_id": w.hospital_a, "call_sign": f.unique("A"), "kind": "ambulance",
                          "capability": "bls"}),
        ("PATCH", v + "/{vehicle_id}"): (f"{v}/{w.vehicle_a}", {"station_institution_id": w.hospital_a}),
        ("POST", v + "/{vehicle_id}/position"): (f"{v}/{w.vehicle_spare}/position", here),
        ("POST", r): (r, {"origin_institution_id": w.hospital_a, "level": 3, "auto_assign": False, **here}),
        ("POST", r + "/{request_id}/assign"): (f"{r}/{w.transport_waiting}/assign",
                                               {"vehicle_id": w.vehicle_seated}),
        ("POST", r + "/{request_id}/progress"): (f"{r}/{w.transport_live}/progress", {"status": "en_route"}),
        ("POST", r + "/{request_id}/cancel"): (f"{r}/{w.transport_cancellable}/cancel", {"reason": "walked in"}),
        ("POST", "/api/v1/dispatch/surge"): ("/api/v1/dispatch/surge", {"request_ids": [w.transport_surge],
                                                                          "commit": True}),
    }


ALLOWED = [
    ("admin_a", "POST", "/api/v1/triage/assessments"),
    ("admin_a", "POST", "/api/v1/vehicles"),
    ("admin_a", "PATCH", "/api/v1/vehicles/{vehicle_id}"),
    ("doctor_a", "POST", "/api/v1/vehicles/{vehicle_id}/position"),
    ("doctor_a", "POST", "/api/v1/transport-requests"),
    ("regulator", "POST", "/api/v1/transport-requests/{request_id}/assign"),
    ("doctor_a", "POST", "/api/v1/transport-requests/{request_id}/progress"),
    ("doctor_a", "POST", "/api/v1/transport-requests/{request_id}/cancel"),
    ("regulator", "POST", "/api/v1/dispatch/surge"),
]
