"""API shapes of the platform CA, certificates, signatures and verification."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.pki.models import CertificateStatus, RevocationReason, SignatureMode
from medshare.schemas import Out, Strict


class CertificateIn(Strict):
    practitioner_id: int
    csr_pem: str | None = Field(None, max_length=8000, description="a PKCS#10 request with the signer's own P-256 "
                                "key; omitted: the platform makes the key and holds it encrypted")
    validity_days: int | None = Field(None, ge=1, le=3650, description="default 730")


class RevokeIn(Strict):
    reason: RevocationReason = RevocationReason.UNSPECIFIED


class CertificateOut(Out):
    id: int
    practitioner_id: int
    serial_number: str
    subject: str
    certificate_pem: str
    not_before: dt.datetime
    not_after: dt.datetime
    status: CertificateStatus
    revoked_at: dt.datetime | None
    revocation_reason: RevocationReason | None
    platform_held_key: bool = False


def certificate_out(c) -> CertificateOut:
    out = CertificateOut.model_validate(c)
    out.platform_held_key = c.encrypted_key_pem is not None
    return out


class SignIn(Strict):
    signature_b64: str | None = Field(None, max_length=2000, description="the author's own detached ECDSA P-256 "
                                      "SHA-256 signature (DER, base64) of the signing input; omitted: the platform "
                                      "signs with the key it holds for the author")


class SigningInput(Out):
    report_id: str
    payload_b64: str
    digest_sha256: str
    algorithm: str


class SignatureOut(Out):
    id: int
    certificate_id: int
    practitioner_id: int
    document_type: str
    document_id: str
    digest_sha256: str
    algorithm: str
    signature_b64: str
    mode: SignatureMode
    signed_at: dt.datetime


class SignedOut(Out):
    signature: SignatureOut
    provenance_id: str


class VerificationOut(Out):
    report_id: str
    outcome: str = Field(description="valid, altered, revoked, expired, untrusted or unsigned")
    valid: bool
    reasons: list[str]
    signed_at: dt.datetime | None = None
    signer_practitioner_id: int | None = None
    certificate_serial: str | None = None
    certificate_status: str | None = None
    checked_at: dt.datetime
