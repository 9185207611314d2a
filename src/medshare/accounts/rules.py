"""Pure rules of accounts: which roles an account may hand out, and what each role is bound to."""

from __future__ import annotations

from medshare.accounts.models import Role
from medshare.errors import Forbidden, InvalidInput

# Roles an account of each role may create or assign; nobody hands out more than they hold.
ASSIGNABLE: dict[Role, set[Role]] = {
    Role.PLATFORM_ADMIN: set(Role),
    Role.REGULATOR: set(Role) - {Role.PLATFORM_ADMIN},
    Role.INSTITUTION_ADMIN: {Role.INSTITUTION_ADMIN, Role.PRACTITIONER, Role.SUPPLIER, Role.INSURER},
}
MIN_PASSWORD_LENGTH = 10


def check_assignable(assigner: Role, role: Role) -> None:
    """assigner may give an account the role."""
    if role not in ASSIGNABLE.get(assigner, set()):
        raise Forbidden(f"a {assigner.value} cannot give an account the role {role.value}")


def check_binding(role: Role, institution_id: int | None, patient_record_id: int | None) -> None:
    """Every role but platform admin is bound to an institution; a patient to a patient record."""
    if role is Role.PATIENT:
        if patient_record_id is None:
            raise InvalidInput.on("patient_record_id", "required-for-role", "a patient account needs its record")
    elif role is not Role.PLATFORM_ADMIN and institution_id is None:
        raise InvalidInput.on("institution_id", "required-for-role", f"a {role.value} account needs an institution")


def check_password(password: str) -> None:
    """A password long enough to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.on("password", "min-length", f"must be at least {MIN_PASSWORD_LENGTH} characters")
