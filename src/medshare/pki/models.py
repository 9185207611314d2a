"""Tables of the platform certificate authority: its key pair, practitioners' certificates, signatures."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, string_enum, utcnow


class CertificateStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class RevocationReason(enum.StrEnum):
    """RFC 5280 reason codes a revocation states."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"  # a sanction: licence suspended, blacklisted


class SignatureMode(enum.StrEnum):
    SERVER = "server"  # made by the platform with the key it holds, on the signer's authenticated action
    CLIENT = "client"  # made by the signer's own key elsewhere, uploaded and checked


class CertificateAuthority(Base):
    """The platform CA. Its private key is kept encrypted under a key derived from the platform secret."""

    __tablename__ = "pki_authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1 for the CA in use, NULL for retired ones: the unique constraint makes two racing set-ups agree on one.
    current: Mapped[int | None] = mapped_column(unique=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    encrypted_key_pem: Mapped[str] = mapped_column(sa.Text)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    crl_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Certificate(Base):
    """A practitioner's signing certificate, with the licence number in its subject."""

    __tablename__ = "pki_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("pki_authorities.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    serial_number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # hex
    subject: Mapped[str] = mapped_column(sa.String(300))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    # Set when the platform holds the signer's key (server-side signing); NULL for a key made by the signer.
    encrypted_key_pem: Mapped[str | None] = mapped_column(sa.Text)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[CertificateStatus] = mapped_column(string_enum(CertificateStatus), default=CertificateStatus.ACTIVE,
                                                      index=True)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(string_enum(RevocationReason))
    revoked_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint("not_after > not_before", name="validity"),)


class Signature(Base):
    """A detached signature of a document's canonical bytes, by one certificate, at a time the platform recorded."""

    __tablename__ = "pki_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("pki_certificates.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    document_type: Mapped[str] = mapped_column(sa.String(40))
    document_id: Mapped[str] = mapped_column(sa.String(64))
    digest_sha256: Mapped[str] = mapped_column(sa.String(64))
    algorithm: Mapped[str] = mapped_column(sa.String(40), default="ecdsa-p256-sha256")
    signature_b64: Mapped[str] = mapped_column(sa.Text)
    mode: Mapped[SignatureMode] = mapped_column(string_enum(SignatureMode))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.Index("ix_pki_signatures_document", "document_type", "document_id"),)
