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
    EXAM_REQUEST_WRITE = "scheduling:request:write"
    SCHEDULING_RUN = "scheduling:run:write"


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
        P.SCHEDULING_RUN: S.ANY,
    },
    Role.INSTITUTION_ADMIN: {
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
    },
    Role.PRACTITIONER: {
        P.BOOKING_CREATE: S.OWN_INSTITUTION,
        P.EXAM_REQUEST_WRITE: S.OWN_INSTITUTION,
        P.PATIENT_READ: S.OWN_INSTITUTION,
        P.PATIENT_WRITE: S.OWN_INSTITUTION,
        P.PERSON_READ: S.OWN_INSTITUTION,
    },
    Role.SUPPLIER: {},
    Role.INSURER: {},
    Role.PATIENT: {P.PATIENT_READ: S.OWN_RECORD, P.PERSON_READ: S.OWN_RECORD},
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
