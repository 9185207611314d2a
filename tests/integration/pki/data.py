"""Hospital A's signing objects for the authorisation table: a final report by practitioner A, a certificate."""

from __future__ import annotations

from medshare.db import transaction
from medshare.pki import service as pki
from tests import factories as f
from tests.integration.recognition.data import report


def add_pki(committed, w):
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        colleague = f.make_practitioner(session, admin, w.hospital_a)
        w.pki_certificate = pki.issue_certificate(session, admin, colleague.id, secret=f.SECRET_KEY).id
        patient = f.make_patient(session, admin, w.hospital_a)  # not patient_a: that account may read its own
        w.pki_report = report(session, patient, w.hospital_a, author=w.practitioner_a).fhir_id
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    return {
        ("POST", "/api/v1/certificates"): ("/api/v1/certificates", {"practitioner_id": w.practitioner_a}),
        ("POST", "/api/v1/certificates/{certificate_id}/revoke"): (
            f"/api/v1/certificates/{w.pki_certificate}/revoke", {"reason": "affiliation_changed"}),
        ("POST", "/api/v1/reports/{report_id}/sign"): (f"/api/v1/reports/{w.pki_report}/sign", {}),
        ("POST", "/api/v1/reports/{report_id}/verify"): (f"/api/v1/reports/{w.pki_report}/verify", None),
    }


# Order matters: the certificate is issued before the author signs with it, and verified after.
ALLOWED = [
    ("admin_a", "POST", "/api/v1/certificates"),
    ("doctor_a", "POST", "/api/v1/reports/{report_id}/sign"),
    ("doctor_a", "POST", "/api/v1/reports/{report_id}/verify"),
    ("admin_a", "POST", "/api/v1/certificates/{certificate_id}/revoke"),
]
