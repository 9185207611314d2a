"""Use cases of the platform CA: set-up, issuing, revoking, the revocation list, signing and verifying.

Plain functions over a session; other capabilities sign through sign_document() and check
through verify() (a teleconsultation opinion, a report), and supervision revokes through
revoke_certificates_of().
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, authorize, has
from medshare.pki import keys, rules
from medshare.pki.models import (
    Certificate,
    CertificateAuthority,
    CertificateStatus,
    RevocationReason,
    Signature,
    SignatureMode,
)
from medshare.registry import service as registry
from medshare.registry.models import Practitioner
from medshare.settings import get_settings
from medshare.supervision.standing import ensure_in_good_standing

CA_PURPOSE = "ca-key"
SIGNER_PURPOSE = "practitioner-key"


def _secret(secret: str | None) -> str:
    return secret if secret is not None else get_settings().resolved_secret_key()


def current_authority(session: Session) -> CertificateAuthority | None:
    """The CA in use, if set up."""
    return session.scalar(sa.select(CertificateAuthority).where(CertificateAuthority.current == 1))


def ensure_authority(session: Session, *, secret: str | None = None, now: dt.datetime | None = None
                     ) -> CertificateAuthority:
    """The CA in use, generating its key pair and certificate on first need (set-up, `medshare pki init`)."""
    found = current_authority(session)
    if found is not None:
        return found
    now = now or utcnow()
    key = keys.new_key()
    cert = keys.make_ca(key, now)
    authority = CertificateAuthority(current=1, subject=cert.subject.rfc4514_string(), certificate_pem=keys.pem(cert),
                                     encrypted_key_pem=keys.encrypt_key(key, _secret(secret), CA_PURPOSE),
                                     not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc)
    try:
        with session.begin_nested():
            session.add(authority)
    except IntegrityError:  # another process set it up at the same moment: theirs is the one
        found = current_authority(session)
        if found is None:
            raise
        return found
    record_event(session, None, "pki.authority.create", "certificate_authority", authority.id,
                 details={"subject": authority.subject})
    return authority


def _ca_key(authority: CertificateAuthority, secret: str | None):
    try:
        return keys.decrypt_key(authority.encrypted_key_pem, _secret(secret), CA_PURPOSE)
    except ValueError as error:
        raise Conflict("the CA key cannot be opened with this platform's secret key "
                       "(MEDSHARE_SECRET_KEY changed since set-up?)") from error


def get_certificate(session: Session, certificate_id: int) -> Certificate:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(f"certificate {certificate_id} does not exist")
    return certificate


def certificate_by_serial(session: Session, serial: str) -> Certificate:
    certificate = session.scalar(sa.select(Certificate).where(Certificate.serial_number == serial.lower()))
    if certificate is None:
        raise NotFound(f"no certificate has the serial number {serial}")
    return certificate


def certificates_of(session: Session, practitioner_id: int) -> list[Certificate]:
    """A practitioner's certificates, newest first."""
    return list(session.scalars(sa.select(Certificate).where(Certificate.practitioner_id == practitioner_id)
                                .order_by(Certificate.id.desc())))


def list_certificates(session: Session, *, practitioner_id: int | None = None, status: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[Certificate], int]:
    """Certificates (public: they hold public keys and names), newest first, with the total."""
    query = sa.select(Certificate)
    if practitioner_id is not None:
        query = query.where(Certificate.practitioner_id == practitioner_id)
    if status:
        query = query.where(Certificate.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Certificate.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


def _practitioner_institutions(p: Practitioner) -> list[int]:
    return [p.primary_institution_id, *(r.institution_id for r in p.registrations if not r.ended)]


def issue_certificate(session: Session, actor: Principal | None, practitioner_id: int, *, csr_pem: str | None = None,
                      validity_days: int | None = None, secret: str | None = None, now: dt.datetime | None = None
                      ) -> Certificate:
    """Issue the practitioner a certificate (their licence number in the subject); earlier ones are superseded.

    Without a CSR the platform makes the key pair and keeps the private key encrypted, for
    server-side signing; with a CSR the signer keeps their own key and uploads signatures.
    """
    practitioner = registry.get_practitioner(session, practitioner_id)
    if actor is not None:
        authorize(actor, Permission.CERTIFICATE_ISSUE, institutions=[practitioner.primary_institution_id])
    if not practitioner.active:
        raise Conflict.on("practitioner_id", "active-practitioner", "the practitioner is deactivated")
    ensure_in_good_standing(session, practitioner_id=practitioner_id, action="hold_certificate")
    days = validity_days or rules.DEFAULT_VALIDITY_DAYS
    if not 1 <= days <= 3650:
        raise InvalidInput.on("validity_days", "range", "a certificate is valid for 1 to 3650 days")
    now = now or utcnow()
    authority = ensure_authority(session, secret=secret, now=now)
    ca_key = _ca_key(authority, secret)
    ca_cert = keys.load_certificate(authority.certificate_pem)
    held = None
    if csr_pem:
        try:
            public = keys.public_key_of_csr(csr_pem)
        except ValueError as error:
            raise InvalidInput.on("csr_pem", "valid-csr", str(error)) from error
    else:
        key = keys.new_key()
        public = key.public_key()
        held = keys.encrypt_key(key, _secret(secret), SIGNER_PURPOSE)
    institution = registry.get_institution(session, practitioner.primary_institution_id)
    subject = keys.Subject(name=practitioner.name, licence_number=practitioner.licence_number,
                           institution=institution.name, profession=practitioner.profession.value)
    not_after = min(now + dt.timedelta(days=days), authority.not_after)
    cert = keys.issue(ca_key, ca_cert, public, subject, now - dt.timedelta(minutes=1), not_after)
    for old in certificates_of(session, practitioner_id):
        if old.status is CertificateStatus.ACTIVE:
            _revoke(session, actor, old, RevocationReason.SUPERSEDED, now)
    certificate = Certificate(
        authority_id=authority.id, practitioner_id=practitioner_id, serial_number=keys.serial_hex(cert),
        subject=cert.subject.rfc4514_string(), certificate_pem=keys.pem(cert), encrypted_key_pem=held,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, status=CertificateStatus.ACTIVE,
        issued_by_user_id=actor.user_id if actor else None, created_at=now)
    session.add(certificate)
    session.flush()
    record_event(session, actor, "pki.certificate.issue", "certificate", certificate.id,
                 institution_id=practitioner.primary_institution_id,
                 details={"practitioner_id": practitioner_id, "serial": certificate.serial_number,
                          "key": "platform-held" if held else "signer-held"})
    return certificate


def _revoke(session: Session, actor: Principal | None, certificate: Certificate, reason: RevocationReason,
            now: dt.datetime) -> None:
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    certificate.revoked_by_user_id = actor.user_id if actor else None
    certificate.encrypted_key_pem = None  # nothing may sign with it again: the platform forgets the key
    authority = session.get(CertificateAuthority, certificate.authority_id)
    authority.crl_number += 1
    session.flush()
    record_event(session, actor, "pki.certificate.revoke", "certificate", certificate.id,
                 details={"practitioner_id": certificate.practitioner_id, "reason": reason.value})


def revoke_certificate(session: Session, actor: Principal | None, certificate: Certificate,
                       reason: RevocationReason | str = RevocationReason.UNSPECIFIED,
                       now: dt.datetime | None = None) -> Certificate:
    """Revoke a certificate with an RFC 5280 reason; it appears on the next revocation list."""
    if actor is not None:
        practitioner = registry.get_practitioner(session, certificate.practitioner_id)
        authorize(actor, Permission.CERTIFICATE_REVOKE, institutions=[practitioner.primary_institution_id])
    try:
        reason = RevocationReason(reason)
    except ValueError as error:
        raise InvalidInput.on("reason", "known-reason", f"{reason} is not a revocation reason") from error
    if certificate.status is CertificateStatus.REVOKED:
        raise Conflict.on("certificate", "active-certificate", "the certificate is already revoked")
    _revoke(session, actor, certificate, reason, now or utcnow())
    return certificate


def revoke_certificates_of(session: Session, practitioner_id: int,
                           reason: RevocationReason | str = RevocationReason.PRIVILEGE_WITHDRAWN, *,
                           actor: Principal | None = None, now: dt.datetime | None = None) -> int:
    """Revoke every active certificate of a practitioner (a sanction, a blacklisting); how many were revoked."""
    reason = RevocationReason(reason)
    count = 0
    for certificate in certificates_of(session, practitioner_id):
        if certificate.status is CertificateStatus.ACTIVE:
            _revoke(session, actor, certificate, reason, now or utcnow())
            count += 1
    return count


def revocation_list_pem(session: Session, *, secret: str | None = None, now: dt.datetime | None = None) -> str:
    """The CA's current CRL (PEM), signed now, listing every revoked certificate."""
    authority = ensure_authority(session, secret=secret)
    revoked = session.execute(sa.select(Certificate.serial_number, Certificate.revoked_at,
                                        Certificate.revocation_reason)
                              .where(Certificate.authority_id == authority.id,
                                     Certificate.status == CertificateStatus.REVOKED)
                              .order_by(Certificate.revoked_at)).all()
    entries = [(serial, at, reason.value if reason else "unspecified") for serial, at, reason in revoked]
    crl = keys.revocation_list(_ca_key(authority, secret), keys.load_certificate(authority.certificate_pem),
                               entries, authority.crl_number, now or utcnow())
    return keys.pem(crl)


def signing_certificate(session: Session, practitioner_id: int, *, platform_held: bool,
                        now: dt.datetime | None = None) -> Certificate:
    """The practitioner's certificate that may sign now; Conflict when none is active and in date."""
    now = now or utcnow()
    for certificate in certificates_of(session, practitioner_id):
        if certificate.status is not CertificateStatus.ACTIVE:
            continue
        if not certificate.not_before <= now <= certificate.not_after:
            continue
        if platform_held and certificate.encrypted_key_pem is None:
            continue
        return certificate
    kind = "with a platform-held key " if platform_held else ""
    raise Conflict.on("certificate", "active-certificate",
                      f"the practitioner has no active, unexpired certificate {kind}to sign with")


def _check_signer(principal: Principal, practitioner_id: int) -> None:
    if not has(principal, Permission.DOCUMENT_SIGN):
        raise Forbidden(f"the role {principal.role.value} lacks the permission {Permission.DOCUMENT_SIGN.value}")
    if principal.practitioner_id != practitioner_id:
        raise Forbidden("only the practitioner named as author signs, from their own account")


def _record(session: Session, principal: Principal | None, certificate: Certificate, payload: bytes,
            signature_b64: str, mode: SignatureMode, document_type: str, document_id: str,
            now: dt.datetime) -> Signature:
    signature = Signature(certificate_id=certificate.id, practitioner_id=certificate.practitioner_id,
                          document_type=document_type[:40], document_id=str(document_id)[:64],
                          digest_sha256=keys.digest(payload), algorithm=keys.ALGORITHM, signature_b64=signature_b64,
                          mode=mode, signed_at=now, signed_by_user_id=principal.user_id if principal else None)
    session.add(signature)
    session.flush()
    record_event(session, principal, "pki.document.sign", document_type, document_id,
                 details={"signature_id": signature.id, "certificate_id": certificate.id, "mode": mode.value})
    return signature


def sign_document(session: Session, principal: Principal, practitioner_id: int, payload_bytes: bytes, *,
                  document_type: str = "document", document_id: str = "", secret: str | None = None,
                  now: dt.datetime | None = None) -> Signature:
    """Sign payload_bytes with the practitioner's platform-held key, on their own authenticated action."""
    _check_signer(principal, practitioner_id)
    ensure_in_good_standing(session, practitioner_id=practitioner_id, action="sign")
    now = now or utcnow()
    certificate = signing_certificate(session, practitioner_id, platform_held=True, now=now)
    try:
        key = keys.decrypt_key(certificate.encrypted_key_pem, _secret(secret), SIGNER_PURPOSE)
    except ValueError as error:
        raise Conflict("the signing key cannot be opened with this platform's secret key") from error
    return _record(session, principal, certificate, payload_bytes, keys.sign(key, payload_bytes),
                   SignatureMode.SERVER, document_type, document_id, now)


def attach_signature(session: Session, principal: Principal, practitioner_id: int, payload_bytes: bytes,
                     signature_b64: str, *, document_type: str = "document", document_id: str = "",
                     now: dt.datetime | None = None) -> Signature:
    """Record a signature the practitioner made with their own key, after checking it against their certificate."""
    _check_signer(principal, practitioner_id)
    ensure_in_good_standing(session, practitioner_id=practitioner_id, action="sign")
    now = now or utcnow()
    certificate = signing_certificate(session, practitioner_id, platform_held=False, now=now)
    cert = keys.load_certificate(certificate.certificate_pem)
    if not keys.signature_holds(cert, payload_bytes, signature_b64):
        raise InvalidInput.on("signature", "matches-document",
                              "the signature does not verify against the document and the signer's certificate")
    return _record(session, principal, certificate, payload_bytes, signature_b64, SignatureMode.CLIENT,
                   document_type, document_id, now)


def get_signature(session: Session, signature_id: int) -> Signature:
    signature = session.get(Signature, signature_id)
    if signature is None:
        raise NotFound(f"signature {signature_id} does not exist")
    return signature


def signatures_of(session: Session, document_type: str, document_id: str) -> list[Signature]:
    """The signatures of one document, newest first."""
    return list(session.scalars(sa.select(Signature).where(Signature.document_type == document_type,
                                                           Signature.document_id == str(document_id))
                                .order_by(Signature.id.desc())))


@dataclass
class Verification:
    """A signature checked against today's document: the verdict, and who signed with what."""

    signature: Signature
    certificate: Certificate
    verdict: rules.Verdict
    checked_at: dt.datetime


def verify(session: Session, signature: Signature, payload_bytes: bytes, *, now: dt.datetime | None = None
           ) -> Verification:
    """Check a recorded signature against the document as it is now: valid, altered, revoked, expired, untrusted."""
    now = now or utcnow()
    certificate = session.get(Certificate, signature.certificate_id)
    authority = session.get(CertificateAuthority, certificate.authority_id)
    cert = keys.load_certificate(certificate.certificate_pem)
    evidence = rules.Evidence(
        digest_matches=keys.digest(payload_bytes) == signature.digest_sha256,
        signature_holds=keys.signature_holds(cert, payload_bytes, signature.signature_b64),
        issued_by_platform=keys.issued_by(cert, keys.load_certificate(authority.certificate_pem)),
        signed_at=signature.signed_at, not_before=certificate.not_before, not_after=certificate.not_after,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason.value if certificate.revocation_reason else None)
    return Verification(signature, certificate, rules.judge(evidence, now), now)
