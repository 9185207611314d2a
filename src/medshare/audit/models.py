"""The audit tables: the events, the head of their hash chain, signed checkpoints and the keys that signed them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, utcnow

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class AuditEvent(Base):
    """Who did what to which object, when and from where.

    Rows are only ever inserted (triggers refuse DELETE, and any UPDATE except the one that
    seals a fresh row into the hash chain: seq, prev_hash and hash set once, at commit).
    seq is the event's place in the chain (commit order; ids are handed out at flush, so two
    concurrent transactions may commit in the other order).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str] = mapped_column(sa.String(40), default="")
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    institution_id: Mapped[int | None] = mapped_column(index=True)
    patient_record_id: Mapped[int | None] = mapped_column(index=True)
    source_ip: Mapped[str] = mapped_column(sa.String(64), default="")
    channel: Mapped[str] = mapped_column(sa.String(16), default="")
    request_id: Mapped[str] = mapped_column(sa.String(64), default="")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))
    seq: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),
                      sa.Index("uq_audit_events_seq", "seq", unique=True))


class AuditChainHead(Base):
    """The one row naming the newest sealed event; locked by every sealing transaction so appends queue."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditSigningKey(Base):
    """A public key of the platform that signs checkpoints (the private half never enters the database)."""

    __tablename__ = "audit_signing_keys"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # SHA-256 of the raw public key
    algorithm: Mapped[str] = mapped_column(sa.String(20), default="Ed25519")
    public_key_pem: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditCheckpoint(Base):
    """A signature over the chain's hash at one seq: rewriting anything before it breaks the signature."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[dt.datetime] = mapped_column()
    key_id: Mapped[str] = mapped_column(sa.ForeignKey("audit_signing_keys.id"), index=True)
    signature: Mapped[str] = mapped_column(sa.String(200))  # base64
