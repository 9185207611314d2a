"""Signed diagnostic reports: the canonical bytes of a report, signing by its author, a Provenance, $verify.

The signed bytes are built from the report's columns and its results' columns (not from the
FHIR JSON a serialiser renders), so a change of the platform's FHIR rendering never breaks a
signature, while a change of any clinical value (a result, the conclusion, the status, the
subject, the performer) does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, NotFound
from medshare.permissions import Permission, Principal, has
from medshare.pki import rules
from medshare.pki import service as pki
from medshare.pki.models import Signature
from medshare.records import access
from medshare.records.models import DiagnosticReport, Observation, Provenance

SIGNABLE = frozenset({"final", "amended", "corrected", "appended"})
AUTHOR_SIGNATURE = "1.2.840.10065.1.12.1.1"  # ASTM E1762 signature type: author's signature
SIG_FORMAT = "application/jose"  # a detached signature over canonical JSON (FHIR Signature.sigFormat)
DOCUMENT_TYPE = "DiagnosticReport"


def _t(value) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _v(value):
    return getattr(value, "value", value)


def _observation(o: Observation) -> dict:
    return {"id": o.fhir_id, "status": _v(o.status), "code": [o.code_system, o.code], "valueKind": _v(o.value_kind),
            "quantity": o.value_quantity, "unit": o.value_unit_code or o.value_unit, "string": o.value_string,
            "valueCode": [o.value_code_system, o.value_code], "low": o.reference_low, "high": o.reference_high,
            "interpretation": o.interpretation, "effective": _t(o.effective_at), "components": o.components}


def report_document(session: Session, report: DiagnosticReport) -> dict:
    """What a report's signature covers: the report's clinical columns and each result's, in order."""
    results = session.scalars(sa.select(Observation).join(
        _link(), _link().c.observation_id == Observation.id).where(_link().c.report_id == report.id)
        .order_by(_link().c.position, Observation.id)).all()
    return {"resourceType": "DiagnosticReport", "id": report.fhir_id, "status": _v(report.status),
            "category": report.category, "code": [report.code_system, report.code],
            "subject": report.patient_record_id, "effective": _t(report.effective_at), "issued": _t(report.issued),
            "performer": [report.performer_institution_id, report.performer_practitioner_id],
            "interpreter": report.interpreter_practitioner_id, "conclusion": report.conclusion,
            "conclusionCode": report.conclusion_code, "imagingStudy": report.imaging_study_id,
            "result": [_observation(o) for o in results]}


def _link():
    from medshare.records.models import DiagnosticReportResult

    return DiagnosticReportResult.__table__


def payload(session: Session, report: DiagnosticReport) -> bytes:
    """The canonical bytes a report's author signs (and a client signs for an uploaded signature)."""
    return rules.canonical_json(report_document(session, report))


def load_report(session: Session, report_id: str) -> DiagnosticReport:
    """A report by its FHIR logical id (or, all digits, its row id)."""
    report = session.scalar(sa.select(DiagnosticReport).where(DiagnosticReport.fhir_id == report_id))
    if report is None and report_id.isdigit():
        report = session.get(DiagnosticReport, int(report_id))
    if report is None:
        raise NotFound(f"DiagnosticReport {report_id} does not exist")
    return report


def authors(report: DiagnosticReport) -> set[int]:
    """The practitioners who may sign the report: its performer and its interpreter."""
    return {p for p in (report.performer_practitioner_id, report.interpreter_practitioner_id) if p is not None}


def _check_author(principal: Principal, report: DiagnosticReport) -> int:
    if not has(principal, Permission.DOCUMENT_SIGN):
        raise Forbidden(f"the role {principal.role.value} lacks the permission {Permission.DOCUMENT_SIGN.value}")
    if principal.practitioner_id is None or principal.practitioner_id not in authors(report):
        raise Forbidden("only the report's author (its performer or interpreter) signs it")
    if _v(report.status) not in SIGNABLE:
        raise Conflict.on("status", "final-report", f"a {_v(report.status)} report cannot be signed; "
                                                    "sign it once it is final")
    return principal.practitioner_id


def sign_report(session: Session, principal: Principal, report: DiagnosticReport, *,
                signature_b64: str | None = None, secret: str | None = None,
                now: dt.datetime | None = None) -> tuple[Signature, Provenance]:
    """Sign a final report on its author's action (server-side, or checking the author's uploaded signature);
    a Provenance carrying the signature is recorded and the report points at it."""
    practitioner_id = _check_author(principal, report)
    now = now or utcnow()
    data = payload(session, report)
    if signature_b64:
        signature = pki.attach_signature(session, principal, practitioner_id, data, signature_b64,
                                         document_type=DOCUMENT_TYPE, document_id=report.fhir_id, now=now)
    else:
        signature = pki.sign_document(session, principal, practitioner_id, data, document_type=DOCUMENT_TYPE,
                                      document_id=report.fhir_id, secret=secret, now=now)
    certificate = pki.get_certificate(session, signature.certificate_id)
    provenance = Provenance(
        target_type=DOCUMENT_TYPE, target_fhir_id=report.fhir_id, target_version_id=report.version_id,
        targets=[{"reference": f"DiagnosticReport/{report.fhir_id}/_history/{report.version_id}"}], recorded=now,
        activity="sign", agent_practitioner_id=practitioner_id, agent_institution_id=report.performer_institution_id,
        signature_type=AUTHOR_SIGNATURE, signature_when=now, signature_format=SIG_FORMAT,
        signature_data=signature.signature_b64, custodian_institution_id=report.custodian_institution_id,
        resource={"resourceType": "Provenance",
                  "signature": [{"type": [{"system": "urn:iso-astm:E1762-95:2013", "code": AUTHOR_SIGNATURE}],
                                 "when": now.isoformat(), "who": {"reference": f"Practitioner/{practitioner_id}"},
                                 "sigFormat": SIG_FORMAT, "data": signature.signature_b64}],
                  "extension": [{"url": "https://medshare.example/fhir/StructureDefinition/signing-certificate",
                                 "valueString": certificate.serial_number}]})
    session.add(provenance)
    session.flush()
    report.provenance_id = provenance.id
    session.flush()
    record_event(session, principal, "report.sign", DOCUMENT_TYPE, report.fhir_id,
                 institution_id=report.custodian_institution_id, patient_record_id=report.patient_record_id,
                 details={"signature_id": signature.id, "provenance_id": provenance.id,
                          "mode": signature.mode.value})
    return signature, provenance


@dataclass
class ReportVerification:
    report: DiagnosticReport
    outcome: rules.Outcome
    reasons: list[str]
    verification: pki.Verification | None  # None when unsigned


def verify_report(session: Session, principal: Principal, report: DiagnosticReport, *,
                  now: dt.datetime | None = None) -> ReportVerification:
    """$verify: the report as it is now against its latest signature: valid, altered, revoked, expired, unsigned.

    Reading a report's verification is reading patient data: the records access rules apply, and it is audited.
    """
    if not has(principal, Permission.SIGNATURE_VERIFY):
        raise Forbidden(f"the role {principal.role.value} lacks the permission {Permission.SIGNATURE_VERIFY.value}")
    decision = access.decide(session, principal, patient_record_id=report.patient_record_id,
                             custodian_institution_id=report.custodian_institution_id, resource_type=DOCUMENT_TYPE)
    access.audit_read(session, principal, decision, resource_type=DOCUMENT_TYPE, fhir_ids=[report.fhir_id],
                      patient_record_id=report.patient_record_id,
                      custodian_institution_id=report.custodian_institution_id, interaction="verify")
    signatures = pki.signatures_of(session, DOCUMENT_TYPE, report.fhir_id)
    if not signatures:
        return ReportVerification(report, rules.Outcome.UNSIGNED, ["the report carries no signature"], None)
    checked = pki.verify(session, signatures[0], payload(session, report), now=now)
    return ReportVerification(report, checked.verdict.outcome, checked.verdict.reasons, checked)
