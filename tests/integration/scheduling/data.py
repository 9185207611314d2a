"""Hospital A's exam requests and a proposed run, for the API's authorisation table."""

from __future__ import annotations

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.scheduling import service as scheduling
from medshare.scheduling.schemas import ExamRequestIn
from tests import factories as f


def add_scheduling(committed, w):
    """Three open MRI requests of hospital A, a run proposing slots for two, and a patient to refer."""
    with transaction(committed) as session:
        admin_a = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=w.hospital_a))
        w.referred_patient = f.make_patient(session, f.admin_principal(session), w.hospital_a).id

        def request(**extra) -> int:
            data = ExamRequestIn(patient_record_id=w.referred_patient, modality="MRI", **extra)
            return scheduling.create_request(session, admin_a, data).id

        w.request_changed = request()
        w.request_instant = request(urgency="urgent")
        w.run_a = scheduling.propose(session, admin_a, institution_id=w.hospital_a).id
        w.request_cancelled = request()
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The scheduling API's write routes aimed at hospital A's objects."""
    r = "/api/v1/exam-requests"
    return {
        ("POST", r): (r, {"patient_record_id": w.referred_patient, "modality": "MRI", "urgency": "urgent"}),
        ("PATCH", r + "/{request_id}"): (f"{r}/{w.request_changed}", {"max_travel_km": 20}),
        ("POST", r + "/{request_id}/cancel"): (f"{r}/{w.request_cancelled}/cancel", None),
        ("POST", "/api/v1/scheduling/runs"): ("/api/v1/scheduling/runs", {"institution_id": w.hospital_a}),
        ("POST", "/api/v1/scheduling/runs/{run_id}/commit"): (f"/api/v1/scheduling/runs/{w.run_a}/commit", None),
        ("POST", "/api/v1/scheduling/instant"): ("/api/v1/scheduling/instant", {"request_id": w.request_instant}),
    }


# Order matters: the instant booking comes before the run that would book the same request.
ALLOWED = [
    ("doctor_a", "POST", "/api/v1/exam-requests"),
    ("doctor_a", "PATCH", "/api/v1/exam-requests/{request_id}"),
    ("doctor_a", "POST", "/api/v1/scheduling/instant"),
    ("admin_a", "POST", "/api/v1/scheduling/runs"),
    ("regulator", "POST", "/api/v1/scheduling/runs/{run_id}/commit"),
    ("admin_a", "POST", "/api/v1/exam-requests/{request_id}/cancel"),
]
