"""Sealing audit events into the hash chain, at commit, one transaction at a time.

record_event inserts a row at once (so the transaction itself sees it); just before the
transaction commits, every unsealed row it can see is given its seq, prev_hash and hash, in id
order, after the chain head row is locked (SELECT ... FOR UPDATE on PostgreSQL; an SQLite writer
already holds the database's write lock). The lock is held only from that moment to COMMIT, so
writers queue on the chain for a few statements, not for their whole transaction, and no two
commits can ever link to the same predecessor. Every `every` events a checkpoint is signed when
the process has a signer.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from medshare.audit import chain
from medshare.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditSigningKey
from medshare.audit.signing import Signer, current_signer, public_pem
from medshare.db import utcnow

CHECKPOINT_EVERY = 1000  # events between automatic checkpoints
UNSEALED = "medshare.audit.unsealed"
TRACKED = "medshare.audit.tracked"
HEAD_ID = 1

_events = AuditEvent.__table__
HASHED_COLUMNS = [
    _events.c.seq, _events.c.id, _events.c.occurred_at, _events.c.actor_user_id, _events.c.actor_role,
    _events.c.action, _events.c.object_type, _events.c.object_id, _events.c.institution_id,
    _events.c.patient_record_id, _events.c.source_ip, _events.c.channel, _events.c.request_id,
    # The JSON exactly as stored: the same text at sealing and at verifying, without a parse.
    sa.cast(_events.c.details, sa.Text).label("details"),
]


def _url_of(session: Session):
    bind = session.get_bind()
    return getattr(bind, "engine", bind).url


def mark_unsealed(session: Session, audit_event: AuditEvent | None = None) -> None:
    """Note that session holds events to seal before it commits."""
    session.info[UNSEALED] = True
    if audit_event is not None:
        session.info.setdefault(TRACKED, []).append(audit_event)


def lock_head(session: Session) -> tuple[int, str]:
    """The chain head (seq, hash), locked until the transaction ends."""
    row = session.execute(
        sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID).with_for_update()
    ).first()
    if row is None:
        session.execute(sa.insert(AuditChainHead).values(id=HEAD_ID, seq=0, hash=chain.GENESIS, updated_at=utcnow()))
        return 0, chain.GENESIS
    return row.seq, row.hash


def _move_head(session: Session, seq: int, chain_hash: str) -> None:
    session.execute(sa.update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                    .values(seq=seq, hash=chain_hash, updated_at=utcnow()))


def seal(session: Session, *, signer: Signer | None = None, every: int = CHECKPOINT_EVERY) -> int:
    """Seal every unsealed event the transaction sees into the chain; return how many."""
    session.flush()
    start_seq, prev = lock_head(session)
    rows = session.execute(sa.select(*HASHED_COLUMNS).where(_events.c.seq.is_(None)).order_by(_events.c.id)).all()
    if not rows:
        return 0
    seq = start_seq
    updates = []
    for row in rows:
        seq += 1
        values = list(row)
        values[0] = seq
        digest = chain.link(prev, values)
        updates.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
        prev = digest
    session.execute(
        sa.update(_events).where(_events.c.id == sa.bindparam("b_id"))
        .values(seq=sa.bindparam("b_seq"), prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")),
        updates,
    )
    _move_head(session, seq, prev)
    _refresh_tracked(session, {u["b_id"]: u for u in updates})
    signer = signer or current_signer(_url_of(session))
    if signer is not None and every > 0 and start_seq // every != seq // every:
        _write_checkpoint(session, signer, seq, prev)
    return len(rows)


def _refresh_tracked(session: Session, sealed: dict[int, dict]) -> None:
    for obj in session.info.pop(TRACKED, []):
        update = sealed.get(obj.id)
        if update is not None:
            set_committed_value(obj, "seq", update["b_seq"])
            set_committed_value(obj, "prev_hash", update["b_prev"])
            set_committed_value(obj, "hash", update["b_hash"])


def register_key(session: Session, signer: Signer) -> str:
    """Store signer's public key (once); return its id."""
    if session.get(AuditSigningKey, signer.key_id) is None:
        session.add(AuditSigningKey(id=signer.key_id, algorithm="Ed25519", public_key_pem=public_pem(signer.public_key),
                                    created_at=utcnow()))
        session.flush()
    return signer.key_id


def _write_checkpoint(session: Session, signer: Signer, seq: int, chain_hash: str) -> AuditCheckpoint:
    existing = session.scalar(sa.select(AuditCheckpoint).where(AuditCheckpoint.seq == seq))
    if existing is not None:
        return existing
    checkpoint = AuditCheckpoint(seq=seq, hash=chain_hash, signed_at=utcnow(), key_id=register_key(session, signer),
                                 signature=signer.sign(seq, chain_hash))
    session.add(checkpoint)
    session.flush()
    return checkpoint


def checkpoint(session: Session, signer: Signer) -> AuditCheckpoint | None:
    """Seal what is pending and sign the chain's head now; None while the chain is empty."""
    seal(session, signer=signer, every=0)
    seq, chain_hash = lock_head(session)
    if seq == 0:
        return None
    return _write_checkpoint(session, signer, seq, chain_hash)


def append_events(session: Session, rows: Iterable[dict], *, batch: int = 20_000) -> int:
    """Insert many events already chained (bulk loads, benchmarks): ids and hashes computed here, in one lock.

    rows: dicts of AuditEvent's columns except id, seq, prev_hash and hash.
    """
    session.flush()
    seq, prev = lock_head(session)
    # Own ids: on PostgreSQL drawn from the column's sequence (other writers keep using it);
    # on SQLite the write lock is held, so max + 1 is safe.
    dialect = session.get_bind().dialect.name
    next_id = None if dialect == "postgresql" else (session.scalar(sa.select(sa.func.max(_events.c.id))) or 0) + 1
    count = 0
    pending: list[dict] = []

    def flush_batch() -> None:
        nonlocal next_id
        if not pending:
            return
        if next_id is None or dialect == "postgresql":
            ids = session.execute(sa.text("SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) "
                                          "FROM generate_series(1, :n)"), {"n": len(pending)}).scalars().all()
        else:
            ids = range(next_id, next_id + len(pending))
            next_id += len(pending)
        nonlocal seq, prev
        params = []
        for row, new_id in zip(pending, ids, strict=True):
            seq += 1
            details_text = chain._dumps(row["details"])
            values = [seq, new_id, row["occurred_at"], row["actor_user_id"], row["actor_role"], row["action"],
                      row["object_type"], str(row["object_id"]), row["institution_id"], row["patient_record_id"],
                      row["source_ip"], row["channel"], row["request_id"], details_text]
            digest = chain.link(prev, values)
            params.append({**row, "id": new_id, "seq": seq, "prev_hash": prev, "hash": digest,
                           "object_id": str(row["object_id"]), "details": details_text})
            prev = digest
        session.execute(_insert_raw_details(dialect), params)
        pending.clear()

    for row in rows:
        pending.append({"actor_user_id": None, "institution_id": None, "patient_record_id": None,
                        "actor_role": "system", "source_ip": "", "channel": "internal", "request_id": "",
                        "details": {}, **row})
        count += 1
        if len(pending) >= batch:
            flush_batch()
    flush_batch()
    if count:
        _move_head(session, seq, prev)
        signer = current_signer(_url_of(session))
        if signer is not None:
            _write_checkpoint(session, signer, seq, prev)
    return count


def _insert_raw_details(dialect: str):
    # The details go in as the exact JSON text that was hashed (the column's own serializer
    # could space it differently).
    details = sa.cast(sa.bindparam("details", type_=sa.Text), sa.JSON) if dialect == "postgresql" \
        else sa.bindparam("details", type_=sa.Text)
    cols = {c.name: sa.bindparam(c.name, type_=c.type) for c in _events.columns if c.name != "details"}
    return sa.insert(_events).values(**cols, details=details)


@event.listens_for(Session, "after_flush")
def _notice_new_events(session: Session, _context) -> None:
    if not session.info.get(UNSEALED) and any(isinstance(obj, AuditEvent) for obj in session.new):
        session.info[UNSEALED] = True


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    if session.info.pop(UNSEALED, False):
        seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous) -> None:
    session.info.pop(UNSEALED, None)
    session.info.pop(TRACKED, None)
