"""Signed reports over a real HTTP server: issue, sign server-side and client-side, $verify, tamper, revoke, CRL."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from medshare.accounts.models import Role
from medshare.db import transaction
from medshare.pki import keys
from medshare.records.models import DiagnosticReport, Provenance
from tests import factories as f
from tests.integration.recognition.data import observation, report


@pytest.fixture(scope="module")
def world(committed):
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3)
        author = f.make_practitioner(session, admin, hospital.id)
        patient = f.make_patient(session, admin, hospital.id)
        ct = report(session, patient, hospital.id, author=author.id)
        draft = report(session, patient, hospital.id, author=author.id, status="preliminary")
        potassium = observation(session, patient, hospital.id)
        session.execute(DiagnosticReport.results.property.secondary.insert().values(
            report_id=ct.id, observation_id=potassium.id, position=0))
        tokens = {
            "author": f.token_for(session, f.make_user(session, Role.PRACTITIONER, institution_id=hospital.id,
                                                       practitioner_id=author.id)),
            "admin": f.token_for(session, f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id)),
        }
        return {"author": author.id, "report": ct.fhir_id, "report_id": ct.id, "draft": draft.fhir_id,
                "observation": potassium.id, "tokens": tokens}


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def _auth(world, who):
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def test_a_report_signed_by_its_author_verifies_then_fails_once_altered_or_revoked(client, world, committed):
    issued = client.post("/api/v1/certificates", json={"practitioner_id": world["author"]},
                         headers=_auth(world, "admin"))
    assert issued.status_code == 201, issued.text
    assert issued.json()["platform_held_key"] is True
    refused = client.post(f"/api/v1/reports/{world['draft']}/sign", json={}, headers=_auth(world, "author"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["rule"] == "final-report"
    by_admin = client.post(f"/api/v1/reports/{world['report']}/sign", json={}, headers=_auth(world, "admin"))
    assert by_admin.status_code == 403

    signed = client.post(f"/api/v1/reports/{world['report']}/sign", json={}, headers=_auth(world, "author"))
    assert signed.status_code == 201, signed.text
    with transaction(committed) as session:
        row = session.get(DiagnosticReport, world["report_id"])
        provenance = session.get(Provenance, row.provenance_id)
        assert provenance.signature_data == signed.json()["signature"]["signature_b64"]
        assert provenance.target_fhir_id == world["report"]

    verify = f"/api/v1/reports/{world['report']}/verify"
    assert client.post(verify, headers=_auth(world, "author")).json()["outcome"] == "valid"

    from medshare.records.models import Observation
    with transaction(committed) as session:  # a result's value changed behind the signature
        session.get(Observation, world["observation"]).value_quantity = 5.9
    altered = client.post(verify, headers=_auth(world, "author")).json()
    assert altered["outcome"] == "altered" and altered["valid"] is False
    with transaction(committed) as session:
        session.get(Observation, world["observation"]).value_quantity = 4.1
    assert client.post(verify, headers=_auth(world, "author")).json()["outcome"] == "valid"

    revoked = client.post(f"/api/v1/certificates/{issued.json()['id']}/revoke", json={"reason": "key_compromise"},
                          headers=_auth(world, "admin"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    after = client.post(verify, headers=_auth(world, "author")).json()
    assert after["outcome"] == "revoked" and after["certificate_status"] == "revoked"
    crl = x509.load_pem_x509_crl(client.get("/api/v1/pki/crl").content)
    ca = keys.load_certificate(client.get("/api/v1/pki/ca").text)
    assert crl.is_signature_valid(ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(int(issued.json()["serial_number"], 16)) is not None


def test_a_signature_made_with_the_authors_own_key_is_checked_and_recorded(client, world):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "me")])).sign(key, hashes.SHA256())
    issued = client.post("/api/v1/certificates", headers=_auth(world, "admin"), json={
        "practitioner_id": world["author"], "csr_pem": csr.public_bytes(serialization.Encoding.PEM).decode()})
    assert issued.status_code == 201 and issued.json()["platform_held_key"] is False
    given = client.get(f"/api/v1/reports/{world['report']}/signing-input", headers=_auth(world, "author")).json()
    data = base64.b64decode(given["payload_b64"])
    wrong = client.post(f"/api/v1/reports/{world['report']}/sign", headers=_auth(world, "author"),
                        json={"signature_b64": keys.sign(key, data + b" ")})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["rule"] == "matches-document"
    signed = client.post(f"/api/v1/reports/{world['report']}/sign", headers=_auth(world, "author"),
                         json={"signature_b64": keys.sign(key, data)})
    assert signed.status_code == 201 and signed.json()["signature"]["mode"] == "client"
    result = client.post(f"/api/v1/reports/{world['report']}/verify", headers=_auth(world, "author")).json()
    assert result["outcome"] == "valid" and result["certificate_serial"] == issued.json()["serial_number"]
