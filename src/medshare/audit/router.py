"""JSON API of the audit trail (read only: nothing can change it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.audit import sealing, service, signing
from medshare.audit.schemas import AuditEventOut
from medshare.audit.service import record_event
from medshare.audit.verify import verify
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


@router.get("/audit/verify", summary="Verify the hash chain and signed checkpoints; name the first bad event")
def verify_trail(
    request: Request,
    session: SessionDep,
    _actor: Annotated[Principal, require(Permission.AUDIT_VERIFY)],
) -> dict:
    signer = signing.current_signer(request.app.state.engine.url) or signing.configure(request.app.state.settings)
    return verify(session, trusted_keys=[signer.public_key]).as_dict()


@router.get("/audit/checkpoints", summary="Every signed checkpoint with its public key, to keep outside the database")
def export_checkpoints(
    session: SessionDep,
    _actor: Annotated[Principal, require(Permission.AUDIT_VERIFY)],
) -> dict:
    return service.export_checkpoints(session)


@router.post("/audit/checkpoints", status_code=201, summary="Sign a checkpoint at the chain's head now")
def sign_checkpoint(
    request: Request,
    session: SessionDep,
    actor: Annotated[Principal, require(Permission.AUDIT_VERIFY)],
) -> dict:
    signer = signing.current_signer(request.app.state.engine.url) or signing.configure(request.app.state.settings)
    record_event(session, actor, "audit.checkpoint.signed", "audit_chain", "head")
    made = sealing.checkpoint(session, signer)
    return {"seq": made.seq, "hash": made.hash, "key_id": made.key_id, "signature": made.signature}
