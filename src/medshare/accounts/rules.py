"""Pure rules of accounts: which roles an account may hand out, and what each role is bound to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed sign-ins an account, or one source address, may make before a pause (regional policy)."""

    max_failures_per_account: int = 5
    max_failures_per_source: int = 50
    window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)

    @property
    def lookback(self) -> dt.timedelta:
        """How far back a failure can still matter."""
        return self.window + self.lockout


def locked_until(failures: Iterable[dt.datetime], now: dt.datetime, limit: int, window: dt.timedelta,
                 lockout: dt.timedelta) -> dt.datetime | None:
    """When a lock ends, or None: limit failures within one window lock for lockout from the last of them.

    failures are the counted failed attempts (for an account: those since its last success).
    Attempts refused while locked are not failures, so a lock never extends itself.
    """
    if limit < 1:
        return None
    times = sorted(t for t in failures if t <= now)
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] < window:
            until = times[i] + lockout
    return until if until is not None and until > now else None
