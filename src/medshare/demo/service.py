"""Writing a generated region into the database, in bulk."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts.models import User
from medshare.assets.models import (
    Asset,
    Blackout,
    Booking,
    BookingSeries,
    ExamType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    OpeningHours,
    Price,
    SlotClaim,
)
from medshare.audit.models import AuditEvent
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.demo.generator import Region
from medshare.demo.models import DemoPersonTruth
from medshare.errors import Conflict
from medshare.identity.models import PatientRecord
from medshare.registry.models import (
    CommunityMembership,
    Institution,
    Licence,
    MedicalCommunity,
    Practitioner,
    Registration,
)

# Region attribute -> table, in an order that satisfies the foreign keys.
TABLES = {
    "institutions": Institution.__table__,
    "licences": Licence.__table__,
    "communities": MedicalCommunity.__table__,
    "memberships": CommunityMembership.__table__,
    "practitioners": Practitioner.__table__,
    "registrations": Registration.__table__,
    "patient_records": PatientRecord.__table__,
    "truths": DemoPersonTruth.__table__,
    "users": User.__table__,
    "assets": Asset.__table__,
    "opening_hours": OpeningHours.__table__,
    "exam_types": ExamType.__table__,
    "prices": Price.__table__,
    "blackouts": Blackout.__table__,
    "booking_series": BookingSeries.__table__,
    "bookings": Booking.__table__,
    "slot_claims": SlotClaim.__table__,
    "ledger_accounts": LedgerAccount.__table__,
    "journal_entries": JournalEntry.__table__,
    "journal_lines": JournalLine.__table__,
}
# Tables whose ids the region assigns itself (users get theirs from the database).
NUMBERED = ("institutions", "licences", "communities", "memberships", "practitioners", "registrations",
            "patient_records", "assets", "opening_hours", "exam_types", "prices", "blackouts", "booking_series",
            "bookings", "ledger_accounts", "journal_entries", "journal_lines")
CHUNK = 5_000
SEED_ACTION = "demo.seed"

Progress = Callable[[str, int], None]


def region_is_empty(session: Session) -> bool:
    """No institution is registered yet."""
    return session.scalar(sa.select(Institution.id).limit(1)) is None


def holds_demo_region(session: Session) -> bool:
    """The database was seeded by the demo (its audit trail says so)."""
    query = sa.select(sa.exists().where(AuditEvent.action == SEED_ACTION))
    return bool(session.scalar(query))


def _with_creator(row: dict, user_ids: dict[str, int]) -> dict:
    """A booking row with its creator's id in place of the username (the platform admin if gone)."""
    values = dict(row)
    username = values.pop("created_by_username")
    values["created_by_user_id"] = user_ids.get(username) or user_ids["admin"]
    return values


def load(session: Session, region: Region, *, password_hash: str, progress: Progress | None = None) -> dict:
    """Insert every row of region into an empty registry and audit it once; return the row counts.

    Demo accounts whose usernames are already taken (an operator made "admin" first, say) are
    left as they are. Flushes, never commits.
    """
    if not region_is_empty(session):
        raise Conflict.on("institutions", "empty-registry", "the demo region is seeded only into an empty registry")
    now = utcnow()
    taken = set(session.scalars(sa.select(User.username)))
    counts: dict[str, int] = {}
    user_ids: dict[str, int] = {}
    for name, table in TABLES.items():
        rows = getattr(region, name)
        if name == "users":
            rows = [{**row, "password_hash": password_hash} for row in rows if row["username"] not in taken]
        if name == "bookings":
            rows = [_with_creator(row, user_ids) for row in rows]
        statement = sa.insert(table)
        if "created_at" in table.c and not (rows and "created_at" in rows[0]):
            statement = statement.values(created_at=now, updated_at=now)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            session.execute(statement, chunk)
            if progress is not None:
                progress(name, len(chunk))
        counts[name] = len(rows)
        if name == "users":
            user_ids = {username: id_ for username, id_ in session.execute(sa.select(User.username, User.id))}
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the serial sequences behind; move them past the rows just written.
        for name in NUMBERED:
            table = TABLES[name].name
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                                    " HAVING max(id) IS NOT NULL"))
    record_event(session, None, SEED_ACTION, "region", f"{region.scale}:{region.seed}",
                 details={"scale": region.scale, "seed": region.seed, "counts": counts})
    session.flush()
    return counts
