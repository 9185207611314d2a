"""JSON API of the platform CA and of signed reports: certificates, revocation list, sign, verify."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse

from medshare.deps import AuditedReadSessionDep, PageParams, SessionDep, require
from medshare.errors import NotFound
from medshare.permissions import Permission, Principal
from medshare.pki import keys, reports
from medshare.pki import service as pki
from medshare.pki.models import CertificateStatus
from medshare.pki.schemas import (
    CertificateIn,
    CertificateOut,
    RevokeIn,
    SignatureOut,
    SignedOut,
    SignIn,
    SigningInput,
    VerificationOut,
    certificate_out,
)
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["certificates and signed reports"])
PEM = {200: {"content": {"application/x-pem-file": {}}}}


def _secret(request: Request) -> str:
    return request.app.state.settings.resolved_secret_key()


def _authority(session):
    authority = pki.current_authority(session)
    if authority is None:
        raise NotFound("the platform CA is not set up yet: `medshare pki init`, or issue a first certificate")
    return authority


@router.get("/pki/ca", summary="The platform CA's certificate (PEM), the trust anchor of every signature",
            response_class=PlainTextResponse, responses=PEM)
def ca_certificate(session: SessionDep):
    return PlainTextResponse(_authority(session).certificate_pem, media_type="application/x-pem-file")


@router.get("/pki/crl", summary="The current certificate revocation list (PEM, signed by the CA just now)",
            response_class=PlainTextResponse, responses=PEM)
def revocation_list(session: SessionDep, request: Request):
    _authority(session)
    return PlainTextResponse(pki.revocation_list_pem(session, secret=_secret(request)),
                             media_type="application/x-pem-file")


@router.get("/certificates", response_model=Page[CertificateOut], summary="Practitioners' certificates (public)")
def list_certificates(session: SessionDep, page: PageParams, practitioner_id: int | None = None,
                      status_: Annotated[CertificateStatus | None, Query(alias="status")] = None):
    rows, total = pki.list_certificates(session, practitioner_id=practitioner_id,
                                        status=status_.value if status_ else None, **page)
    return Page(items=[certificate_out(c) for c in rows], total=total, **page)


@router.get("/certificates/{certificate_id}", response_model=CertificateOut, summary="A certificate (public)")
def read_certificate(session: SessionDep, certificate_id: int):
    return certificate_out(pki.get_certificate(session, certificate_id))


@router.post("/certificates", response_model=CertificateOut, status_code=status.HTTP_201_CREATED,
             summary="Issue a practitioner a certificate (earlier ones are superseded)")
def issue(session: SessionDep, request: Request, data: CertificateIn,
          actor: Annotated[Principal, require(Permission.CERTIFICATE_ISSUE)]):
    return certificate_out(pki.issue_certificate(session, actor, data.practitioner_id, csr_pem=data.csr_pem,
                                                 validity_days=data.validity_days, secret=_secret(request)))


@router.post("/certificates/{certificate_id}/revoke", response_model=CertificateOut,
             summary="Revoke a certificate with an RFC 5280 reason")
def revoke(session: SessionDep, certificate_id: int, data: RevokeIn,
           actor: Annotated[Principal, require(Permission.CERTIFICATE_REVOKE)]):
    return certificate_out(pki.revoke_certificate(session, actor, pki.get_certificate(session, certificate_id),
                                                  data.reason))


@router.get("/reports/{report_id}/signing-input", response_model=SigningInput,
            summary="The canonical bytes of a report that its author signs (for a signature made elsewhere)")
def signing_input(session: AuditedReadSessionDep, report_id: str,
                  actor: Annotated[Principal, require(Permission.DOCUMENT_SIGN)]):
    report = reports.load_report(session, report_id)
    reports._check_author(actor, report)
    data = reports.payload(session, report)
    return SigningInput(report_id=report.fhir_id, payload_b64=base64.b64encode(data).decode(),
                        digest_sha256=keys.digest(data), algorithm=keys.ALGORITHM)


@router.post("/reports/{report_id}/sign", response_model=SignedOut, status_code=status.HTTP_201_CREATED,
             summary="Sign a final report as its author (server-side, or upload your own signature)")
def sign(session: SessionDep, request: Request, report_id: str, data: SignIn,
         actor: Annotated[Principal, require(Permission.DOCUMENT_SIGN)]):
    report = reports.load_report(session, report_id)
    signature, provenance = reports.sign_report(session, actor, report, signature_b64=data.signature_b64,
                                                secret=_secret(request))
    return SignedOut(signature=SignatureOut.model_validate(signature), provenance_id=provenance.fhir_id)


def verification_out(result: reports.ReportVerification) -> VerificationOut:
    checked = result.verification
    return VerificationOut(
        report_id=result.report.fhir_id, outcome=result.outcome.value, valid=result.outcome.value == "valid",
        reasons=result.reasons, signed_at=checked.signature.signed_at if checked else None,
        signer_practitioner_id=checked.signature.practitioner_id if checked else None,
        certificate_serial=checked.certificate.serial_number if checked else None,
        certificate_status=checked.certificate.status.value if checked else None,
        checked_at=checked.checked_at if checked else reports.utcnow())


@router.post("/reports/{report_id}/verify", response_model=VerificationOut,
             summary="$verify: valid, altered, or signed with a revoked or expired certificate")
def verify(session: SessionDep, report_id: str, actor: Annotated[Principal, require(Permission.SIGNATURE_VERIFY)]):
    return verification_out(reports.verify_report(session, actor, reports.load_report(session, report_id)))


@router.get("/reports/{report_id}/signatures", response_model=list[SignatureOut],
            summary="The signatures recorded for a report, newest first")
def report_signatures(session: SessionDep, report_id: str,
                      actor: Annotated[Principal, require(Permission.SIGNATURE_VERIFY)]):
    report = reports.load_report(session, report_id)
    reports.verify_report(session, actor, report)  # the same access rule (and audit) as $verify
    return [SignatureOut.model_validate(s) for s in pki.signatures_of(session, reports.DOCUMENT_TYPE,
                                                                      report.fhir_id)]
