"""record_event: the one way every state change and every read of patient data is recorded."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.models import AuditEvent
from medshare.audit.sealing import mark_unsealed
from medshare.db import utcnow
from medshare.permissions import Principal


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the channel (api, web, cli), the client address, the request."""

    channel: str = "internal"
    source_ip: str = ""
    request_id: str = ""


current_origin: ContextVar[Origin | None] = ContextVar("current_origin", default=None)


def record_event(
    session: Session,
    actor: Principal | None,
    action: str,
    object_type: str,
    object_id: object,
    *,
    institution_id: int | None = None,
    patient_record_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Append one event to the audit trail, in the caller's transaction (hash-chained at commit).

    details must not hold secrets or personal data: name the fields that changed, not
    their values.
    """
    origin = current_origin.get() or Origin()
    audit_event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=actor.user_id if actor else None,
        actor_role=actor.role.value if actor else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        institution_id=institution_id,
        patient_record_id=patient_record_id,
        source_ip=origin.source_ip,
        channel=origin.channel,
        request_id=origin.request_id,
        details=details or {},
    )
    session.add(audit_event)
    # Sealed into the hash chain just before the transaction commits (medshare.audit.sealing).
    mark_unsealed(session, audit_event)


def list_events(
    session: Session,
    *,
    institution_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events, newest first, with the total that match."""
    query = sa.select(AuditEvent)
    if institution_id is not None:
        query = query.where(AuditEvent.institution_id == institution_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def export_checkpoints(session: Session) -> dict:
    """Every signed checkpoint with its public key, as a JSON document to keep outside the database."""
    from medshare.audit.models import AuditCheckpoint, AuditSigningKey

    keys = {k.id: k for k in session.scalars(sa.select(AuditSigningKey))}
    items = []
    for cp in session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        key = keys.get(cp.key_id)
        items.append({"seq": cp.seq, "hash": cp.hash, "signed_at": cp.signed_at.isoformat(), "key_id": cp.key_id,
                      "algorithm": "Ed25519", "signature": cp.signature,
                      "public_key_pem": key.public_key_pem if key else ""})
    return {"format": "medshare-audit-checkpoints/1", "exported_at": utcnow().isoformat(), "checkpoints": items}
