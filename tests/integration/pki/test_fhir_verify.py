"""DiagnosticReport/$verify over the FHIR API: valid, altered, revoked, expired and unsigned, as Parameters; the
signature's Provenance is a FHIR resource that points at the signed version of the report."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.identity.models import PatientRecord
from medshare.pki import reports
from medshare.pki import service as pki
from medshare.pki.models import Signature
from medshare.records.models import DiagnosticReport
from tests import factories as f
from tests.integration.recognition.data import report


def _values(parameters: dict) -> dict:
    out: dict = {}
    for p in parameters["parameter"]:
        value = next(v for k, v in p.items() if k.startswith("value"))
        out.setdefault(p["name"], []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


@pytest.fixture
def signed(committed):
    """A final CT report signed by its author (platform-held key); the author's FHIR token."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        author = f.make_practitioner(session, admin, hospital.id)
        user = f.make_user(session, Role.PRACTITIONER, institution_id=hospital.id, practitioner_id=author.id)
        ct = report(session, f.make_patient(session, admin, hospital.id), hospital.id, author=author.id)
        certificate = pki.issue_certificate(session, admin, author.id, secret=f.SECRET_KEY)
        signature, _ = reports.sign_report(session, accounts.principal_of(user), ct, secret=f.SECRET_KEY)
        return {"report": ct.fhir_id, "row": ct.id, "certificate": certificate.id, "signature": signature.id,
                "token": f.token_for(session, user), "admin": admin, "author": author.id}


def verify(live_server, signed, method: str = "GET") -> dict:
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {signed['token']}"}) as client:
        response = client.request(method, f"/fhir/DiagnosticReport/{signed['report']}/$verify")
        assert response.status_code == 200, response.text
        assert response.json()["resourceType"] == "Parameters"
        return _values(response.json())


def test_a_signed_report_verifies_and_its_provenance_carries_the_signature(live_server, signed):
    answer = verify(live_server, signed)
    assert answer["outcome"] == "valid" and answer["valid"] is True
    assert answer["signer"] == {"reference": f"Practitioner/{signed['author']}"}
    assert verify(live_server, signed, "POST")["outcome"] == "valid"
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {signed['token']}"}) as client:
        provenance = client.get(f"/fhir/{answer['provenance']['reference']}").json()
        assert provenance["target"][0]["reference"].startswith(f"DiagnosticReport/{signed['report']}/_history/")
        assert provenance["signature"][0]["data"] and provenance["signature"][0]["sigFormat"] == "application/jose"
        served = client.get(f"/fhir/DiagnosticReport/{signed['report']}").json()
        assert any(e.get("valueReference") == answer["provenance"] for e in served.get("extension", []))
        found = client.get("/fhir/Provenance", params={"target": f"DiagnosticReport/{signed['report']}"}).json()
        assert [e["resource"]["id"] for e in found["entry"]] == [provenance["id"]]


def test_a_tampered_report_is_altered(live_server, signed, committed):
    with transaction(committed) as session:
        session.get(DiagnosticReport, signed["row"]).conclusion = "Mass in the left lung."
    answer = verify(live_server, signed)
    assert answer["outcome"] == "altered" and answer["valid"] is False and answer["reason"]


def test_a_revoked_certificate_fails_verification(live_server, signed, committed):
    with transaction(committed) as session:
        pki.revoke_certificate(session, signed["admin"], pki.get_certificate(session, signed["certificate"]),
                               "key_compromise")
    answer = verify(live_server, signed)
    assert answer["outcome"] == "revoked" and answer["certificateStatus"] == "revoked"


def test_a_signature_outside_the_certificates_validity_is_expired(live_server, signed, committed):
    with transaction(committed) as session:
        certificate = pki.get_certificate(session, signed["certificate"])
        session.get(Signature, signed["signature"]).signed_at = certificate.not_after + dt.timedelta(hours=1)
    assert verify(live_server, signed)["outcome"] == "expired"


def test_an_unsigned_report_says_so_and_an_unknown_one_is_not_found(live_server, signed, committed):
    with transaction(committed) as session:
        row = session.get(DiagnosticReport, signed["row"])
        unsigned = report(session, session.get(PatientRecord, row.patient_record_id), row.custodian_institution_id,
                          author=signed["author"])
    answer = verify(live_server, {**signed, "report": unsigned.fhir_id})
    assert answer["outcome"] == "unsigned" and answer["valid"] is False
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {signed['token']}"}) as client:
        missing = client.get("/fhir/DiagnosticReport/no-such-report/$verify")
        assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
