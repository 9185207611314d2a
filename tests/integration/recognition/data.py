"""A small region for recognition: hospitals of three grades, one patient known to all of them, results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medshare.accounts.models import Role
from medshare.db import transaction, utcnow
from medshare.permissions import Principal
from medshare.recognition import service as recognition
from medshare.records.models import DiagnosticReport, Observation, ReportStatus, ServiceRequest
from tests import factories as f


def observation(session, record, institution_id: int, code: str = "2823-3", days_ago: float = 2, value: float = 4.1,
                status: str = "final", now: dt.datetime | None = None) -> Observation:
    row = Observation(status=status, category="laboratory", code_system="http://loinc.org", code=code,
                      code_display="Potassium", value_kind="quantity", value_quantity=value, value_unit="mmol/L",
                      effective_at=(now or utcnow()) - dt.timedelta(days=days_ago), patient_record_id=record.id,
                      performer_institution_id=institution_id, custodian_institution_id=institution_id,
                      resource={"resourceType": "Observation"})
    session.add(row)
    session.flush()
    return row


def report(session, record, institution_id: int, code: str = "CT-CHEST-PLAIN", days_ago: float = 5,
           status: ReportStatus = ReportStatus.FINAL, author: int | None = None,
           now: dt.datetime | None = None) -> DiagnosticReport:
    row = DiagnosticReport(status=status, category="CT", code_system="https://medshare.example/fhir/CodeSystem/exam",
                           code=code, code_display="CT chest plain", conclusion="No active lesion.",
                           effective_at=(now or utcnow()) - dt.timedelta(days=days_ago),
                           patient_record_id=record.id, performer_institution_id=institution_id,
                           custodian_institution_id=institution_id, performer_practitioner_id=author,
                           resource={"resourceType": "DiagnosticReport"})
    session.add(row)
    session.flush()
    return row


@dataclass
class Region:
    tertiary: int
    secondary: int
    secondary_other: int
    here: int  # the ordering patient record, at the secondary hospital
    there: int  # the same person's record at the tertiary hospital
    doctor: object  # a practitioner principal at the secondary hospital
    regulator: object
    admin: object


def region(session) -> Region:
    """A tertiary and two secondary hospitals; one person registered at two; the tertiary accredited for K."""
    admin = f.admin_principal(session)
    tertiary = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
    secondary = f.make_institution(session, admin)
    other = f.make_institution(session, admin)
    nid = f.national_id(dt.date(1975, 3, 9), male=False)
    here = f.make_patient(session, admin, secondary.id, national_id=nid, birth_date=dt.date(1975, 3, 9))
    there = f.make_patient(session, admin, tertiary.id, national_id=nid, birth_date=dt.date(1975, 3, 9))
    practitioner = f.make_practitioner(session, admin, secondary.id)
    # Principals of the one account made (hashing a password per account would triple the set-up time).
    doctor = Principal(admin.user_id, "doctor", Role.PRACTITIONER, institution_id=secondary.id,
                       practitioner_id=practitioner.id)
    regulator = Principal(admin.user_id, "regulator", Role.REGULATOR, institution_id=other.id)
    recognition.ensure_catalogue(session)
    today = dt.date.today()
    for code in ("2823-3", "CT-CHEST-PLAIN"):
        recognition.accredit(session, admin, institution_id=tertiary.id,
                             item_id=recognition.item_by_code(session, code).id,
                             passed_on=today - dt.timedelta(days=200), valid_until=today + dt.timedelta(days=165))
    return Region(tertiary.id, secondary.id, other.id, here.id, there.id, doctor, regulator, admin)


def order_without_look_up(session, r: Region, code: str = "2823-3") -> ServiceRequest:
    row = ServiceRequest(status="active", code=code, patient_record_id=r.here, requester_institution_id=r.secondary,
                         authored_on=utcnow(), custodian_institution_id=r.secondary,
                         resource={"resourceType": "ServiceRequest"})
    session.add(row)
    session.flush()
    return row


def add_recognition(committed, w):
    """Hospital A's recognition objects for the authorisation table: a result, an accreditation, two open checks."""
    from medshare.identity.models import PatientRecord

    with transaction(committed) as session:
        admin = f.admin_principal(session)
        recognition.ensure_catalogue(session)
        doctor_a = Principal(admin.user_id, "doctor-a", Role.PRACTITIONER, institution_id=w.hospital_a)
        w.rec_result = observation(session, session.get(PatientRecord, w.patient_a), w.hospital_a).id
        w.rec_item = recognition.item_by_code(session, "2823-3").id
        w.rec_accreditation = recognition.accredit(
            session, admin, institution_id=w.hospital_a, item_id=w.rec_item, passed_on=dt.date(2025, 1, 1),
            valid_until=dt.date(2030, 1, 1)).id
        w.rec_check_accept = recognition.check(session, doctor_a, patient_record_id=w.patient_a,
                                               item_code="2823-3").id
        w.rec_check_repeat = recognition.check(session, doctor_a, patient_record_id=w.patient_a,
                                               item_code="2823-3").id
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The recognition API's write routes aimed at hospital A's objects (and the region's policy)."""
    r = "/api/v1/recognition"
    return {
        ("POST", r + "/items"): (r + "/items", {
            "code": f.unique("LOCAL"), "code_system": "https://medshare.example/fhir/CodeSystem/exam",
            "name": "ECG", "category": "exam", "result_kind": "DiagnosticReport", "validity_days": 14,
            "fee_fen": 2500}),
        ("PATCH", r + "/items/{item_id}"): (f"{r}/items/{w.rec_item}", {"fee_fen": 500}),
        ("PUT", r + "/policy"): (r + "/policy", {}),  # the defaults again: other tests keep their scope
        ("POST", r + "/accreditations"): (r + "/accreditations", {
            "institution_id": w.hospital_a, "item_code": "2951-2", "passed_on": "2026-01-01",
            "valid_until": "2027-01-01"}),
        ("POST", r + "/accreditations/{accreditation_id}/withdraw"): (
            f"{r}/accreditations/{w.rec_accreditation}/withdraw", None),
        ("POST", r + "/checks"): (r + "/checks", {"patient_record_id": w.patient_a, "item_code": "2823-3"}),
        ("POST", r + "/checks/{check_id}/accept"): (f"{r}/checks/{w.rec_check_accept}/accept", {
            "result_kind": "Observation", "result_id": w.rec_result}),
        ("POST", r + "/checks/{check_id}/repeat"): (f"{r}/checks/{w.rec_check_repeat}/repeat",
                                                    {"reason": "patient_request"}),
    }


# Order matters: the result is accepted while hospital A's accreditation still stands (own results need none).
ALLOWED = [
    ("doctor_a", "POST", "/api/v1/recognition/checks"),
    ("doctor_a", "POST", "/api/v1/recognition/checks/{check_id}/accept"),
    ("admin_a", "POST", "/api/v1/recognition/checks/{check_id}/repeat"),
    ("regulator", "POST", "/api/v1/recognition/items"),
    ("regulator", "PATCH", "/api/v1/recognition/items/{item_id}"),
    ("regulator", "PUT", "/api/v1/recognition/policy"),
    ("regulator", "POST", "/api/v1/recognition/accreditations"),
    ("regulator", "POST", "/api/v1/recognition/accreditations/{accreditation_id}/withdraw"),
]
