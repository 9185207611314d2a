"""The hash-chained audit trail on both databases: untouched it verifies; each kind of tampering done
directly in the database (the append-only triggers switched off first, as an attacker with database
access would) is caught and the first bad event named."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit import chain, sealing
from medshare.audit.models import AuditChainHead, AuditEvent, AuditSigningKey
from medshare.audit.service import record_event
from medshare.audit.signing import Signer, load_public
from medshare.audit.verify import verify
from medshare.db import transaction


def _record_trail(session: Session, n: int = 6) -> list[AuditEvent]:
    for i in range(n):
        record_event(session, None, "test.tamper", "thing", i, institution_id=1, details={"i": i})
    sealing.seal(session)
    return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(n)))[::-1]


def _as_attacker(session: Session) -> None:
    """Switch the append-only triggers off inside the test's transaction (rolled back after the test)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("DROP TRIGGER audit_events_no_update"))
        session.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
    else:
        session.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))


def _trusted(session: Session) -> list:
    return [load_public(k.public_key_pem) for k in session.scalars(sa.select(AuditSigningKey))]


@pytest.fixture
def trail(session):
    events = _record_trail(session)
    report = verify(session)
    assert report.ok, report.first_bad
    _as_attacker(session)
    return events


def _run(session, sql: str, **params) -> None:
    session.execute(sa.text(sql), params)


def test_an_untouched_trail_verifies(session):
    events = _record_trail(session, 3)
    report = verify(session)
    assert report.ok and report.first_bad is None
    assert report.events == events[-1].seq
    assert events[1].prev_hash == events[0].hash


def test_a_changed_event_is_named(session, trail):
    _run(session, "UPDATE audit_events SET action = 'test.innocent' WHERE id = :id", id=trail[2].id)
    report = verify(session)
    assert not report.ok
    assert (report.first_bad.kind, report.first_bad.event_id) == ("changed", trail[2].id)


def test_a_deleted_event_is_caught_at_the_gap(session, trail):
    _run(session, "DELETE FROM audit_events WHERE id = :id", id=trail[2].id)
    report = verify(session)
    assert (report.first_bad.kind, report.first_bad.event_id) == ("missing", trail[3].id)
    assert report.first_bad.seq == trail[3].seq


def test_deleting_and_renumbering_is_caught_as_a_broken_link(session, trail):
    _run(session, "DELETE FROM audit_events WHERE id = :id", id=trail[2].id)
    for event in trail[3:]:
        _run(session, "UPDATE audit_events SET seq = seq - 1 WHERE id = :id", id=event.id)
    report = verify(session)
    assert (report.first_bad.kind, report.first_bad.event_id) == ("broken-link", trail[3].id)


def test_deleting_the_newest_events_is_caught(session, trail):
    _run(session, "DELETE FROM audit_events WHERE id = :id", id=trail[-1].id)
    report = verify(session)
    assert report.first_bad.kind == "truncated"
    assert report.first_bad.seq == trail[-1].seq


def test_an_event_inserted_outside_the_chain_is_named(session, trail):
    _run(session, "INSERT INTO audit_events (occurred_at, actor_role, action, object_type, object_id, source_ip, "
                  "channel, request_id, details) SELECT occurred_at, actor_role, 'test.forged', object_type, "
                  "object_id, source_ip, channel, request_id, details FROM audit_events WHERE id = :id", id=trail[1].id)
    forged = session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    report = verify(session)
    assert (report.first_bad.kind, report.first_bad.event_id) == ("not-in-chain", forged)


def test_an_event_inserted_into_the_chain_breaks_the_next_link(session, trail):
    target = trail[3]
    for event in reversed(trail[3:]):
        _run(session, "UPDATE audit_events SET seq = seq + 1 WHERE id = :id", id=event.id)
    _run(session, "INSERT INTO audit_events (occurred_at, actor_role, action, object_type, object_id, source_ip, "
                  "channel, request_id, details, seq, prev_hash, hash) SELECT occurred_at, actor_role, 'test.forged', "
                  "object_type, object_id, source_ip, channel, request_id, details, :seq, hash, :fake "
                  "FROM audit_events WHERE id = :id", seq=target.seq, fake="f" * 64, id=trail[2].id)
    report = verify(session)
    assert not report.ok
    # The forged row's hash is wrong too; either way the walk stops at the forged position.
    assert report.first_bad.seq == target.seq
    assert report.first_bad.kind in ("changed", "broken-link")


def test_reordered_events_are_caught(session, trail):
    first, second = trail[2], trail[3]
    _run(session, "UPDATE audit_events SET seq = -1 WHERE id = :id", id=first.id)
    _run(session, "UPDATE audit_events SET seq = :seq WHERE id = :id", seq=first.seq, id=second.id)
    _run(session, "UPDATE audit_events SET seq = :seq WHERE id = :id", seq=second.seq, id=first.id)
    report = verify(session)
    assert (report.first_bad.kind, report.first_bad.event_id) == ("broken-link", second.id)


def _rechain_from(session: Session, start_seq: int) -> None:
    """What a careful attacker does after a change: recompute every hash after it, and the head."""
    prev = session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == start_seq - 1)) or chain.GENESIS
    rows = session.execute(sa.select(*sealing.HASHED_COLUMNS).where(AuditEvent.seq >= start_seq)
                           .order_by(AuditEvent.seq)).all()
    for row in rows:
        digest = chain.link(prev, list(row))
        _run(session, "UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id", p=prev, h=digest, id=row.id)
        prev = digest
    session.execute(sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=prev))


def test_a_rewrite_with_every_hash_recomputed_fails_the_signed_checkpoint(session):
    signer = Signer.generate()
    events = _record_trail(session)
    sealing.checkpoint(session, signer)
    trusted = [*_trusted(session), signer.public_key]
    _as_attacker(session)
    _run(session, "UPDATE audit_events SET action = 'test.innocent' WHERE id = :id", id=events[2].id)
    _rechain_from(session, events[2].seq)
    assert verify(session, trusted_keys=None).first_bad.kind == "checkpoint"
    report = verify(session, trusted_keys=trusted)
    assert report.first_bad.kind == "checkpoint"
    assert report.first_bad.event_id == events[-1].id  # the checkpoint sits on the newest event


def test_a_checkpoint_re_signed_with_another_key_is_refused(session):
    signer = Signer.generate()
    events = _record_trail(session)
    made = sealing.checkpoint(session, signer)
    trusted = [*_trusted(session), signer.public_key]
    _as_attacker(session)
    _run(session, "UPDATE audit_events SET action = 'test.innocent' WHERE id = :id", id=events[2].id)
    _rechain_from(session, events[2].seq)
    forger = Signer.generate()
    new_hash = session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == made.seq))
    sealing.register_key(session, forger)
    _run(session, "UPDATE audit_checkpoints SET hash = :h, key_id = :k, signature = :s WHERE id = :id",
         h=new_hash, k=forger.key_id, s=forger.sign(made.seq, new_hash), id=made.id)
    report = verify(session, trusted_keys=trusted)
    assert report.first_bad.kind == "checkpoint" and "not the platform's key" in report.first_bad.message


def test_an_exported_checkpoint_catches_a_deleted_checkpoint_and_rewrite(session):
    from medshare.audit.service import export_checkpoints

    signer = Signer.generate()
    events = _record_trail(session)
    sealing.checkpoint(session, signer)
    exported = export_checkpoints(session)["checkpoints"]
    _as_attacker(session)
    _run(session, "UPDATE audit_events SET action = 'test.innocent' WHERE id = :id", id=events[2].id)
    _rechain_from(session, events[2].seq)
    _run(session, "DELETE FROM audit_checkpoints")
    assert verify(session).ok  # the database alone no longer shows it...
    report = verify(session, exported=exported)  # ...the copy kept outside does
    assert report.first_bad.kind == "checkpoint" and report.first_bad.event_id == events[-1].id


def test_concurrent_writers_each_link_to_the_previous_commit(committed):
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(10):
                with transaction(committed) as s:
                    record_event(s, None, "test.concurrent", "worker", worker, details={"i": i})
                    record_event(s, None, "test.concurrent", "worker", worker, details={"i": i, "second": True})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with committed() as s:
        report = verify(s)
        assert report.ok, report.first_bad
        seqs = s.scalars(sa.select(AuditEvent.seq).where(AuditEvent.action == "test.concurrent")).all()
        assert len(seqs) == 120 and None not in seqs


def test_checkpoints_are_signed_as_the_chain_grows(session):
    from medshare.audit.models import AuditCheckpoint

    signer = Signer.generate()
    head = sa.select(sa.func.coalesce(sa.func.max(AuditEvent.seq), 0))
    crossed = 0  # the chain may already hold other tests' events, so count the boundaries each seal crosses
    for _ in range(4):
        for i in range(3):
            record_event(session, None, "test.grow", "thing", i)
        before = session.scalar(head)
        sealing.seal(session, signer=signer, every=5)
        crossed += before // 5 != session.scalar(head) // 5
    rows = session.scalars(sa.select(AuditCheckpoint).where(AuditCheckpoint.key_id == signer.key_id)).all()
    assert len(rows) == crossed >= 2  # 12 events at 5 per checkpoint cross two or three boundaries
    assert verify(session, trusted_keys=None).ok
