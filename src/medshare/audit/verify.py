"""Verifying the audit trail: walk the chain in seq order, recompute every hash, check every signed checkpoint.

The first event that does not fit is named with what is wrong with it:
- changed: its fields no longer give its hash;
- missing: events before it are gone (a gap in seq);
- broken-link: it does not follow its predecessor (an event before it was deleted, inserted or moved);
- not-in-chain: a row without a place in the chain (inserted behind the platform's back);
- checkpoint: the chain at a signed checkpoint is not what was signed (rewritten and re-hashed);
- truncated: the newest events are gone (the head, or a checkpoint, points past the end).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from medshare.audit import chain
from medshare.audit.models import AuditChainHead, AuditCheckpoint, AuditSigningKey
from medshare.audit.sealing import HASHED_COLUMNS, HEAD_ID, _events
from medshare.audit.signing import key_id, load_public, verify_signature


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    seq: int | None = None
    event_id: int | None = None


@dataclass
class Report:
    ok: bool = True
    events: int = 0
    head_seq: int = 0
    checkpoints: int = 0
    exported_checkpoints: int = 0
    first_bad: Finding | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class _Stop(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def _check_checkpoint_signatures(session: Session, trusted: dict[str, Ed25519PublicKey] | None,
                                 report: Report) -> dict[int, str]:
    # Plain rows, not ORM objects: what is in the database now, not what the session remembers.
    keys = {k.id: k for k in session.execute(sa.select(AuditSigningKey.id, AuditSigningKey.public_key_pem))}
    signed: dict[int, str] = {}
    checkpoints = sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash, AuditCheckpoint.key_id,
                            AuditCheckpoint.signature).order_by(AuditCheckpoint.seq)
    for cp in session.execute(checkpoints):
        stored = keys.get(cp.key_id)
        public = None
        if trusted is not None:
            public = trusted.get(cp.key_id)
            if public is None:
                raise _Stop(Finding("checkpoint", f"checkpoint at seq {cp.seq} is signed by key {cp.key_id[:16]}…, "
                                    "not the platform's key", seq=cp.seq))
        elif stored is not None:
            public = load_public(stored.public_key_pem)
            if key_id(public) != cp.key_id:
                raise _Stop(Finding("checkpoint", f"the stored key {cp.key_id[:16]}… does not match its id",
                                    seq=cp.seq))
        if public is None:
            raise _Stop(Finding("checkpoint", f"checkpoint at seq {cp.seq} names an unknown key", seq=cp.seq))
        if not verify_signature(public, cp.seq, cp.hash, cp.signature):
            raise _Stop(Finding("checkpoint", f"checkpoint at seq {cp.seq} has an invalid signature", seq=cp.seq))
        signed[cp.seq] = cp.hash
    report.checkpoints = len(signed)
    return signed


def _check_exported(exported: list[dict], signed: dict[int, str], report: Report) -> dict[int, str]:
    """Checkpoints kept outside the database must each still be in it, unchanged, and validly signed."""
    expected: dict[int, str] = {}
    for item in exported:
        public = load_public(item["public_key_pem"])
        seq, digest = int(item["seq"]), item["hash"]
        if not verify_signature(public, seq, digest, item["signature"]):
            raise _Stop(Finding("checkpoint", f"the exported checkpoint at seq {seq} has an invalid signature",
                                seq=seq))
        if signed.get(seq) not in (None, digest):
            raise _Stop(Finding("checkpoint", f"the checkpoint at seq {seq} differs from its exported copy", seq=seq))
        if seq not in signed:
            report.notes.append(f"checkpoint at seq {seq} is missing from the database; its exported copy is used")
        expected[seq] = digest
    report.exported_checkpoints = len(expected)
    return expected


def verify(session: Session, *, trusted_keys: list[Ed25519PublicKey] | None = None,
           exported: list[dict] | None = None, batch: int = 20_000) -> Report:
    """Check the whole trail; report the first bad event (or checkpoint) and the figures."""
    started = time.perf_counter()
    report = Report()
    try:
        trusted = None if trusted_keys is None else {key_id(k): k for k in trusted_keys}
        anchors = _check_checkpoint_signatures(session, trusted, report)
        if exported:
            anchors |= _check_exported(exported, anchors, report)
        _walk(session, anchors, report, batch)
    except _Stop as stop:
        report.ok = False
        report.first_bad = stop.finding
    report.seconds = round(time.perf_counter() - started, 3)
    return report


PG_ROWS = """SELECT seq, id, occurred_at AT TIME ZONE 'UTC', actor_user_id, actor_role, action, object_type, object_id,
    institution_id, patient_record_id, source_ip, channel, request_id, details::text, prev_hash, hash
    FROM audit_events WHERE seq IS NOT NULL ORDER BY seq"""


def _chain_rows(session: Session, batch: int):
    """The sealed events in chain order, streamed. On PostgreSQL straight from a server-side cursor of the
    driver, the instant already in UTC: the same values as through SQLAlchemy, at about twice the speed."""
    if session.get_bind().dialect.name == "postgresql":
        driver = session.connection().connection.driver_connection
        with driver.cursor(name="medshare_audit_verify") as cursor:
            cursor.itersize = batch
            cursor.execute(PG_ROWS)
            yield from cursor
        return
    query = (sa.select(*HASHED_COLUMNS, _events.c.prev_hash, _events.c.hash)
             .where(_events.c.seq.is_not(None)).order_by(_events.c.seq))
    yield from session.execute(query, execution_options={"yield_per": batch, "stream_results": True})


def _walk(session: Session, anchors: dict[int, str], report: Report, batch: int) -> None:
    head = session.execute(sa.select(AuditChainHead.seq, AuditChainHead.hash)
                           .where(AuditChainHead.id == HEAD_ID)).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, chain.GENESIS)
    report.head_seq = head_seq
    expected, prev = 1, chain.GENESIS
    link = chain.link
    for row in _chain_rows(session, batch):
        seq = row[0]
        if seq != expected:
            raise _Stop(Finding("missing", f"events {expected}–{seq - 1} of the chain are missing before this one",
                                seq=seq, event_id=row[1]))
        if row[14] != prev:
            raise _Stop(Finding("broken-link", "the event does not follow its predecessor (an event before it was "
                                "deleted, inserted or moved)", seq=seq, event_id=row[1]))
        digest = link(prev, row[:14])
        if digest != row[15]:
            raise _Stop(Finding("changed", "the event's fields do not give its hash (it was changed)",
                                seq=seq, event_id=row[1]))
        anchor = anchors.get(seq)
        if anchor is not None and anchor != digest:
            raise _Stop(Finding("checkpoint", f"the chain up to seq {seq} is not what was signed there (events at "
                                "or before it were rewritten)", seq=seq, event_id=row[1]))
        prev = digest
        expected += 1
    last = expected - 1
    report.events = last
    beyond = [s for s in anchors if s > last]
    if beyond:
        raise _Stop(Finding("truncated", f"the chain ends at seq {last} but a checkpoint was signed at seq "
                            f"{min(beyond)}: the newest events were deleted", seq=last + 1))
    if (head_seq, head_hash) != (last, prev):
        raise _Stop(Finding("truncated", f"the chain ends at seq {last} but its head says {head_seq}",
                            seq=last + 1))
    loose = session.execute(sa.select(sa.func.min(_events.c.id), sa.func.count())
                            .where(_events.c.seq.is_(None))).first()
    if loose and loose[1]:
        raise _Stop(Finding("not-in-chain", f"{loose[1]} event(s) have no place in the chain (inserted outside it)",
                            event_id=loose[0]))
