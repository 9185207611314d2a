"""Hospital A's supervision objects (a case, a complaint, a remediation) for the API's authorisation table."""

from __future__ import annotations

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.supervision import cases, complaints
from tests import factories as f


def add_supervision(committed, w):
    """A case about hospital A, a public complaint about it, a pending remediation for its practitioner."""
    with transaction(committed) as session:
        operator = f.admin_principal(session)
        bureau = f.make_institution(session, operator, type="regulator", grade_level=None, grade_class=None)
        regulator = accounts.principal_of(f.make_user(session, Role.REGULATOR, institution_id=bureau.id))
        w.regulator_user = regulator.user_id
        w.case_a = cases.open_case(session, regulator, institution_id=w.hospital_a, title="imaging quality").id
        w.complaint_a = complaints.file_complaint(session, institution_id=w.hospital_a, category="service",
                                                  text="the scanner room was closed at the booked time",
                                                  source=f.unique("src")).id
        admin_a = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=w.hospital_a))
        w.remediation_a = cases.request_remediation(session, admin_a, practitioner_id=w.practitioner_a,
                                                    plan="retraining on consent forms completed").id
    return w


def cases_of(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """Supervision's and the audit chain's write routes aimed at hospital A's objects."""
    s = "/api/v1/supervision"
    return {
        ("POST", "/api/v1/audit/checkpoints"): ("/api/v1/audit/checkpoints", None),
        ("POST", f"{s}/cases"): (f"{s}/cases", {"institution_id": w.hospital_a, "title": "joint inspection"}),
        ("POST", f"{s}/cases/{{case_id}}/actions"): (f"{s}/cases/{w.case_a}/actions",
                                                     {"kind": "response", "text": "protocols revised"}),
        ("POST", f"{s}/complaints/{{complaint_id}}/handle"): (f"{s}/complaints/{w.complaint_a}/handle",
                                                              {"status": "investigating"}),
        ("POST", f"{s}/remediations"): (f"{s}/remediations", {"institution_id": w.hospital_a,
                                                               "plan": "all licences renewed and displayed"}),
        ("POST", f"{s}/remediations/{{remediation_id}}/decision"): (
            f"{s}/remediations/{w.remediation_a}/decision", {"approve": True, "note": "verified"}),
        ("PUT", f"{s}/policy"): (f"{s}/policy", {"half_life_days": 365}),
        ("POST", f"{s}/credit/refresh"): (f"{s}/credit/refresh", None),
        ("PUT", f"{s}/departments/{{user_id}}"): (f"{s}/departments/{w.regulator_user}", {"department": "market"}),
    }


ALLOWED = [
    ("regulator", "POST", "/api/v1/audit/checkpoints"),
    ("regulator", "POST", "/api/v1/supervision/cases"),
    ("admin_a", "POST", "/api/v1/supervision/cases/{case_id}/actions"),
    ("regulator", "POST", "/api/v1/supervision/complaints/{complaint_id}/handle"),
    ("admin_a", "POST", "/api/v1/supervision/remediations"),
    ("regulator", "POST", "/api/v1/supervision/remediations/{remediation_id}/decision"),
    ("regulator", "PUT", "/api/v1/supervision/policy"),
    ("regulator", "POST", "/api/v1/supervision/credit/refresh"),
    ("regulator", "PUT", "/api/v1/supervision/departments/{user_id}"),
]
