"""Who may do what: the one place where every permission is granted and checked.

Deny by default: a role holds only the permissions listed in GRANTS, each with the scope
of objects it reaches. Routes declare the permission they need with require(); services
check the object in hand with authorize() or narrow a listing with scope_of().
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from medshare.accounts.models import Role
from medshare.errors import Forbidden


class Permission(enum.StrEnum):
    INSTITUTION_CREATE = "registry:institution:create"
    INSTITUTION_UPDATE = "registry:institution:update"
    COMMUNITY_WRITE = "registry:community:write"
    PRACTITIONER_WRITE = "registry:practitioner:write"
    REGISTRATION_WRITE = "registry:registration:write"
    PATIENT_READ = "identity:patient:read"
    PATIENT_WRITE = "identity:patient:write"
    PERSON_READ = "identity:person:read"
    IDENTITY_REVIEW = "identity:linkage:review"
    ASSET_WRITE = "assets:asset:write"
    BOOKING_CREATE = "assets:booking:create"
    BOOKING_MANAGE = "assets:booking:manage"
    LEDGER_READ = "assets:ledger:read"
    UTILISATION_READ = "assets:utilisation:read"
    USER_READ = "accounts:user:read"
    USER_WRITE = "accounts:user:write"
    AUDIT_READ = "audit:event:read"
    AUDIT_VERIFY = "audit:chain:verify"
    SUPERVISION_READ = "supervision:case:read"
    SUPERVISION_ACT = "supervision:case:act"  # regulators: cases, sanctions, complaints, remediation, policy
    SUPERVISION_ANSWER = "supervision:case:answer"  # the institution: respond, appeal, ask for remediation
    EXAM_REQUEST_WRITE = "scheduling:request:write"
    SCHEDULING_RUN = "scheduling:run:write"
    SUPPLY_READ = "supplies:dashboard:read"
    SUPPLY_CATALOGUE_WRITE = "supplies:catalogue:write"
    SUPPLY_STOCK_WRITE = "supplies:stock:write"  # locations, stock reports, capacity, consumption
    SUPPLY_REQUEST_WRITE = "supplies:request:write"  # requests and receipts
    SUPPLY_DISPATCH = "supplies:shipment:dispatch"
    SUPPLY_ALLOCATE = "supplies:allocation:write"
    REFERRAL_WRITE = "care:referral:write"
    CARE_FIGURES_READ = "care:figures:read"
    CARE_POLICY_WRITE = "care:policy:write"
    TELECONSULT_REQUEST = "care:teleconsult:request"
    TELECONSULT_ANSWER = "care:teleconsult:answer"
    FAMILY_DOCTOR_WRITE = "care:family:write"
    ROTA_WRITE = "care:rota:write"
    NIGHT_CARE_REQUEST = "care:night:request"
    NIGHT_CARE_ANSWER = "care:night:answer"
    RISK_READ = "risk:alert:read"
    RISK_MANAGE = "risk:alert:manage"
    COVERAGE_WRITE = "claims:coverage:write"
    CLAIM_READ = "claims:claim:read"
    CLAIM_SUBMIT = "claims:claim:submit"
    CLAIM_ADJUDICATE = "claims:claim:adjudicate"
    CERTIFICATE_ISSUE = "pki:certificate:issue"
    CERTIFICATE_REVOKE = "pki:certificate:revoke"
    DOCUMENT_SIGN = "pki:document:sign"
    SIGNATURE_VERIFY = "pki:signature:verify"
    RECOGNITION_CHECK = "recognition:check:write"
    RECOGNITION_POLICY = "recognition:policy:write"
    RECOGNITION_FIGURES = "recognition:figures:read"
    RECORDS_READ = "records:clinical:read"  # beyond the own institution only in care, by consent or emergency
    RECORDS_WRITE = "records:clinical:write"
    RECORDS_EMERGENCY = "records:clinical:emergency"  # read with a stated emergency reason, flagged
    CONSENT_WRITE = "records:consent:write"
    ACCESS_LOG_READ = "records:access-log:read"  # who read a patient's records, when and why
    TRIAGE_ASSESS = "triage:assessment:write"
    TRANSPORT_REQUEST = "transport:request:create"
    TRANSPORT_DISPATCH = "transport:request:dispatch"
    TRANSPORT_PROGRESS = "transport:request:progress"
    TRANSPORT_READ = "transport:board:read"
    FLEET_WRITE = "transport:vehicle:write"
    VEHICLE_REPORT = "transport:vehicle:report"


class Scope(enum.IntEnum):
    """How far a grant reaches; a larger value covers the smaller ones."""

    OWN_RECORD = 1  # a patient's own record
    OWN_INSTITUTION = 2  # objects of the account's institution
    ANY = 3


@dataclass(frozen=True)
class Principal:
    """The authenticated account making a request, as authorisation sees it."""

    user_id: int
    username: str
    role: Role
    institution_id: int | None = None
    practitioner_id: int | None = None
    patient_record_id: int | None = None
    locale: str = "en"


P, S = Permission, Scope
GRANTS: dict[Role, dict[Permission, Scope]] = {
    Role.PLATFORM_ADMIN: {permission: S.ANY for permission in Permission},
    Role.REGULATOR: {
        P.SUPPLY_READ: S.ANY, P.SUPPLY_CATALOGUE_WRITE: S.ANY, P.SUPPLY_STOCK_WRITE: S.ANY, P.SUPPLY_ALLOCATE: S.ANY,
        P.LEDGER_READ: S.ANY,
        P.UTILISATION_READ: S.ANY,
        P.INSTITUTION_CREATE: S.ANY,
        P.INSTITUTION_UPDATE: S.ANY,
        P.COMMUNITY_WRITE: S.ANY,
        P.PRACTITIONER_WRITE: S.ANY,
        P.REGISTRATION_WRITE: S.ANY,
        P.PERSON_READ: S.ANY,
        P.IDENTITY_REVIEW: S.ANY,
        P.USER_READ: S.ANY,
        P.USER_WRITE: S.ANY,
        P.AUDIT_READ: S.ANY,
        P.AUDIT_VERIFY: S.ANY,
        P.SUPERVISION_READ: S.ANY,
        P.SUPERVISION_ACT: S.ANY,
        P.SCHEDULING_RUN: S.ANY,
        P.TRANSPORT_REQUEST: S.ANY, P.TRANSPORT_DISPATCH: S.ANY,  # the health commission's 120 command centre
        P.TRANSPORT_PROGRESS: S.ANY, P.TRANSPORT_READ: S.ANY,
        P.CARE_FIGURES_READ: S.ANY,
        P.CARE_POLICY_WRITE: S.ANY,
        P.RISK_READ: S.ANY,
        P.RISK_MANAGE: S.ANY,
        P.CLAIM_READ: S.ANY,
        P.CERTIFICATE_ISSUE: S.ANY,
        P.CERTIFICATE_REVOKE: S.ANY,
        P.SIGNATURE_VERIFY: S.ANY,
        P.RECOGNITION_POLICY: S.ANY,
        P.RECOGNITION_FIGURES: S.ANY,
    },
    Role.INSTITUTION_ADMIN: {
        P.SUPERVISION_READ: S.OWN_INSTITUTION,
        P.SUPERVISION_ANSWER: S.OWN_INSTITUTION,
        P.SUPPLY_READ: S.OWN_INSTITUTION, P.SUPPLY_STOCK_WRITE: S.OWN_INSTITUTION,
        P.SUPPLY_REQUEST_WRITE: S.OWN_INSTITUTION, P.SUPPLY_DISPATCH: S.OWN_INSTITUTION,
        P.ASSET_WRITE: S.OWN_INSTITUTION,
        P.BOOKING_CREATE: S.OWN_INSTITUTION,
        P.BOOKING_MANAGE: S.OWN_INSTITUTION,
        P.LEDGER_READ: S.OWN_INSTITUTION,
        P.UTILISATION_READ: S.OWN_INSTITUTION,
        P.INSTITUTION_UPDATE: S.OWN_INSTITUTION,
        P.PRACTITIONER_WRITE: S.OWN_INSTITUTION,
        P.REGISTRATION_WRITE: S.OWN_INSTITUTION,
        P.PATIENT_READ: S.OWN_INSTITUTION,
        P.PATIENT_WRITE: S.OWN_INSTITUTION,
        P.PERSON_READ: S.OWN_INSTITUTION,
        P.IDENTITY_REVIEW: S.OWN_INSTITUTION,
        P.USER_READ: S.OWN_INSTITUTION,
        P.USER_WRITE: S.OWN_INSTITUTION,
        P.AUDIT_READ: S.OWN_INSTITUTION,
        P.EXAM_REQUEST_WRITE: S.OWN_INSTITUTION,
        P.SCHEDULING_RUN: S.OWN_INSTITUTION,  # their own requests, or their medical community's desk
        P.TRIAGE_ASSESS: S.OWN_INSTITUTION, P.TRANSPORT_REQUEST: S.OWN_INSTITUTION,
        P.FLEET_WRITE: S.OWN_INSTITUTION, P.VEHICLE_REPORT: S.OWN_INSTITUTION,
        P.TRANSPORT_PROGRESS: S.OWN_INSTITUTION, P.TRANSPORT_READ: S.OWN_INSTITUTION,
        P.REFERRAL_WRITE: S.OWN_INSTITUTION,
        P.CARE_FIGURES_READ: S.OWN_INSTITUTION,
        P.TELECONSULT_REQUEST: S.OWN_INSTITUTION,
        P.FAMILY_DOCTOR_WRITE: S.OWN_INSTITUTION,
        P.ROTA_WRITE: S.OWN_INSTITUTION,
        P.NIGHT_CARE_REQUEST: S.OWN_INSTITUTION,
        P.COVERAGE_WRITE: S.OWN_INSTITUTION,  # their patients' insurance
        P.CLAIM_READ: S.OWN_INSTITUTION,  # claims they bill, or (insurer) claims addressed to them
        P.CLAIM_SUBMIT: S.OWN_INSTITUTION,
        P.CERTIFICATE_ISSUE: S.OWN_INSTITUTION,
        P.CERTIFICATE_REVOKE: S.OWN_INSTITUTION,
        P.SIGNATURE_VERIFY: S.ANY,  # an outcome and a signer, no clinical content
        P.RECOGNITION_CHECK: S.OWN_INSTITUTION,
        P.RECOGNITION_FIGURES: S.OWN_INSTITUTION,
        P.RECORDS_READ: S.OWN_INSTITUTION, P.RECORDS_WRITE: S.OWN_INSTITUTION,
        P.CONSENT_WRITE: S.OWN_INSTITUTION, P.ACCESS_LOG_READ: S.OWN_INSTITUTION,
    },
    Role.PRACTITIONER: {
        P.RECORDS_READ: S.OWN_INSTITUTION, P.RECORDS_WRITE: S.OWN_INSTITUTION,
        P.RECORDS_EMERGENCY: S.OWN_INSTITUTION, P.CONSENT_WRITE: S.OWN_INSTITUTION,
        P.REFERRAL_WRITE: S.OWN_INSTITUTION,
        P.TELECONSULT_REQUEST: S.OWN_INSTITUTION,
        P.TELECONSULT_ANSWER: S.OWN_INSTITUTION,
        P.FAMILY_DOCTOR_WRITE: S.OWN_INSTITUTION,
        P.NIGHT_CARE_REQUEST: S.OWN_INSTITUTION,
        P.NIGHT_CARE_ANSWER: S.OWN_INSTITUTION,
        P.TRIAGE_ASSESS: S.OWN_INSTITUTION, P.TRANSPORT_REQUEST: S.OWN_INSTITUTION,
        P.VEHICLE_REPORT: S.OWN_INSTITUTION, P.TRANSPORT_PROGRESS: S.OWN_INSTITUTION,  # crews
        P.TRANSPORT_READ: S.OWN_INSTITUTION,
        P.BOOKING_CREATE: S.OWN_INSTITUTION,
        P.EXAM_REQUEST_WRITE: S.OWN_INSTITUTION,
        P.PATIENT_READ: S.OWN_INSTITUTION,
        P.PATIENT_WRITE: S.OWN_INSTITUTION,
        P.PERSON_READ: S.OWN_INSTITUTION,
        P.DOCUMENT_SIGN: S.OWN_INSTITUTION,
        P.SIGNATURE_VERIFY: S.ANY,
        P.RECOGNITION_CHECK: S.OWN_INSTITUTION,
    },
    Role.SUPPLIER: {  # suppliers and logistics firms: their own stock, capacity and shipments
        P.SUPPLY_READ: S.OWN_INSTITUTION, P.SUPPLY_STOCK_WRITE: S.OWN_INSTITUTION, P.SUPPLY_DISPATCH: S.OWN_INSTITUTION,
    },
    Role.INSURER: {P.CLAIM_READ: S.OWN_INSTITUTION, P.CLAIM_ADJUDICATE: S.OWN_INSTITUTION,
                   P.COVERAGE_WRITE: S.OWN_INSTITUTION},
    Role.PATIENT: {P.PATIENT_READ: S.OWN_RECORD, P.PERSON_READ: S.OWN_RECORD, P.CLAIM_READ: S.OWN_RECORD,
                   P.NIGHT_CARE_REQUEST: S.OWN_RECORD, P.SIGNATURE_VERIFY: S.OWN_RECORD,
                   P.RECORDS_READ: S.OWN_RECORD, P.CONSENT_WRITE: S.OWN_RECORD, P.ACCESS_LOG_READ: S.OWN_RECORD},
}


def scope_of(principal: Principal, permission: Permission) -> Scope | None:
    """The reach of principal's grant of permission, or None when it has none."""
    return GRANTS.get(principal.role, {}).get(permission)


def has(principal: Principal, permission: Permission) -> bool:
    """Whether principal holds permission over at least some objects."""
    return scope_of(principal, permission) is not None


def authorize(
    principal: Principal,
    permission: Permission,
    *,
    institutions: Iterable[int | None] = (),
    patient_record_id: int | None = None,
) -> None:
    """Raise Forbidden unless principal may use permission on an object.

    institutions: the institutions the object belongs to (owning one of them is enough);
    patient_record_id: the patient record the object is, or is about.
    """
    scope = scope_of(principal, permission)
    if scope is None:
        raise Forbidden(f"the role {principal.role.value} lacks the permission {permission.value}")
    if scope is Scope.ANY:
        return
    owned = principal.institution_id is not None and principal.institution_id in set(institutions)
    if scope is Scope.OWN_INSTITUTION and owned:
        return
    if (
        scope is Scope.OWN_RECORD
        and patient_record_id is not None
        and patient_record_id == principal.patient_record_id
    ):
        return
    raise Forbidden(f"{permission.value} reaches only objects of the account's own institution or record")
