"""JSON API of the audit trail (read only: nothing can change it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from medshare.audit import service
from medshare.audit.schemas import AuditEventOut
from medshare.deps import PageParams, SessionDep, require
from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-events", response_model=Page[AuditEventOut], summary="Search the audit trail")
def list_events(
    session: SessionDep,
    page: PageParams,
    actor: Annotated[Principal, require(Permission.AUDIT_READ)],
    action: Annotated[str, Query(max_length=80)] = "",
    object_type: Annotated[str, Query(max_length=60)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    institution_id: int | None = None,
):
    if scope_of(actor, Permission.AUDIT_READ) is not Scope.ANY:
        institution_id = actor.institution_id  # an institution sees its own trail only
    rows, total = service.list_events(session, institution_id=institution_id, action=action,
                                      object_type=object_type, object_id=object_id, **page)
    return Page(items=[AuditEventOut.model_validate(e) for e in rows], total=total, **page)
