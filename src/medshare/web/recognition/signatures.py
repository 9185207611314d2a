"""Pages of the platform CA: practitioners' certificates (issue, revoke) and a report's signature ($verify, sign)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.permissions import Permission, Principal, Scope, has, scope_of
from medshare.pki import reports
from medshare.pki import service as pki
from medshare.registry import service as registry
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, Viewer, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt
from medshare.web.recognition import common

router = APIRouter()
Issuer = Annotated[Principal, page_require(Permission.CERTIFICATE_ISSUE)]


def _secret(request: Request) -> str:
    return request.app.state.settings.resolved_secret_key()


def _certificates_page(request: Request, session, viewer: Principal, errors: FormErrors = NO_ERRORS,
                       status_code: int = 200):
    in_viewers_language(request)
    institution_id = None if scope_of(viewer, Permission.CERTIFICATE_ISSUE) is Scope.ANY else viewer.institution_id
    staff, _ = registry.search_practitioners(session, institution_id=institution_id, limit=200)
    shown = []
    for p in staff:
        for c in pki.certificates_of(session, p.id)[:3]:
            shown.append({"c": c, "practitioner": p,
                          "reason": common.word(common.REVOCATION_REASONS, c.revocation_reason)
                          if c.revocation_reason else ""})
    return render(request, "recognition/certificates.html", {
        "staff": staff, "certificates": shown, "errors": errors, "tab": "certificates",
        "reasons": [(k, common.word(common.REVOCATION_REASONS, k)) for k in common.REVOCATION_REASONS],
        "authority": pki.current_authority(session)}, status_code)


@router.get("/pki/certificates")
def certificates(request: Request, session: SessionDep, viewer: Issuer):
    """Practitioners' signing certificates: status, validity, revocation; issue and revoke."""
    return _certificates_page(request, session, viewer)


@router.post("/pki/certificates", dependencies=[CsrfChecked])
def issue(request: Request, session: SessionDep, viewer: Issuer, form: FormFields):
    """Issue a practitioner a certificate with a platform-held key (earlier ones are superseded)."""
    practitioner = form.get("practitioner_id", "")
    _, errors = attempt(session, lambda: pki.issue_certificate(
        session, viewer, int(practitioner) if practitioner.isdigit() else 0, secret=_secret(request)))
    if errors:
        return _certificates_page(request, session, viewer, errors, 422)
    return redirect("/pki/certificates")


@router.post("/pki/certificates/{certificate_id}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, session: SessionDep, viewer: Issuer, certificate_id: int, form: FormFields):
    """Revoke a certificate with a reason."""
    certificate = pki.get_certificate(session, certificate_id)
    _, errors = attempt(session, lambda: pki.revoke_certificate(session, viewer, certificate,
                                                                form.get("reason") or "unspecified"))
    if errors:
        return _certificates_page(request, session, viewer, errors, 422)
    return redirect("/pki/certificates")


def _report_page(request: Request, session, viewer: Principal, report_id: str, errors: FormErrors = NO_ERRORS,
                 status_code: int = 200):
    in_viewers_language(request)
    report = reports.load_report(session, report_id)
    result = reports.verify_report(session, viewer, report)
    checked = result.verification
    signer = registry.get_practitioner(session, checked.signature.practitioner_id) if checked else None
    can_sign = (has(viewer, Permission.DOCUMENT_SIGN) and viewer.practitioner_id in reports.authors(report)
                and str(getattr(report.status, "value", report.status)) in reports.SIGNABLE)
    return render(request, "recognition/report_signature.html", {
        "report": report, "result": result, "outcome": common.word(common.OUTCOMES, result.outcome.value),
        "checked": checked, "signer": signer, "can_sign": can_sign, "errors": errors,
        "status": str(getattr(report.status, "value", report.status))}, status_code)


@router.get("/reports/{report_id}/signature")
def report_signature(request: Request, session: AuditedReadSessionDep, viewer: Viewer, report_id: str):
    """$verify as a page: valid, altered, or signed with a revoked or expired certificate; the author signs here."""
    return _report_page(request, session, viewer, report_id)


@router.post("/reports/{report_id}/signature", dependencies=[CsrfChecked])
def sign(request: Request, session: SessionDep, viewer: Viewer, report_id: str):
    """The author signs the final report with the key the platform holds for them."""
    report = reports.load_report(session, report_id)
    _, errors = attempt(session, lambda: reports.sign_report(session, viewer, report, secret=_secret(request)))
    if errors:
        return _report_page(request, session, viewer, report_id, errors, 422)
    return redirect(f"/reports/{report_id}/signature")
