"""JSON API of the shared record for patients: who read my records, when and why."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from medshare.deps import CurrentPrincipal, PageParams, SessionDep
from medshare.records import access

router = APIRouter(prefix="/api/v1/records", tags=["shared records"])


class AccessLogItem(BaseModel):
    """One read of a patient's records."""

    occurred_at: dt.datetime
    reader: str
    reader_role: str
    reader_institution: str
    what: str
    count: int
    purpose: str
    basis: str
    emergency: bool
    reason: str
    record_institution_id: int | None


class AccessLogPage(BaseModel):
    items: list[AccessLogItem]
    total: int
    limit: int
    offset: int


def log_items(session, rows) -> list[AccessLogItem]:
    readers = access.readers(session, [r.actor_user_id for r in rows])
    items = []
    for row in rows:
        d = row.details or {}
        name, role, institution = readers.get(row.actor_user_id, ("", row.actor_role, ""))
        items.append(AccessLogItem(
            occurred_at=row.occurred_at, reader=name, reader_role=role or row.actor_role,
            reader_institution=institution, what=row.object_type, count=int(d.get("count", 1)),
            purpose=str(d.get("purpose", "TREAT" if row.action != "patient.read" else "")),
            basis=str(d.get("basis", "")), emergency=bool(d.get("emergency", False)),
            reason=str(d.get("reason", "")), record_institution_id=row.institution_id))
    return items


@router.get("/access-log", response_model=AccessLogPage,
            summary="Reads of a patient's records: who, when, what and why (the patient's own by default)")
def access_log(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
               person_id: Annotated[int | None, Query(description="a person of the patient index")] = None):
    rows, total = access.access_log(session, principal, person_id=person_id, **page)
    return AccessLogPage(items=log_items(session, rows), total=total, **page)
