"""The platform CA on a real database: set-up, issue, sign, verify, tamper, revoke, expire, CRL."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.pki import keys
from medshare.pki import service as pki
from medshare.pki.rules import Outcome
from tests import factories as f


@pytest.fixture
def signer(session):
    admin = f.admin_principal(session)
    hospital = f.make_institution(session, admin)
    practitioner = f.make_practitioner(session, admin, hospital.id)
    user = f.make_user(session, Role.PRACTITIONER, institution_id=hospital.id, practitioner_id=practitioner.id)
    return admin, practitioner, accounts.principal_of(user)


def test_the_ca_key_is_encrypted_at_rest_and_opens_only_with_the_platform_secret(session):
    authority = pki.ensure_authority(session, secret=f.SECRET_KEY)
    assert "ENCRYPTED PRIVATE KEY" in authority.encrypted_key_pem
    assert pki.ensure_authority(session, secret=f.SECRET_KEY).id == authority.id  # set up once
    with pytest.raises(TypeError):  # no password: refused
        serialization.load_pem_private_key(authority.encrypted_key_pem.encode(), None)
    with pytest.raises(ValueError):
        keys.decrypt_key(authority.encrypted_key_pem, "another secret", pki.CA_PURPOSE)
    ca = keys.load_certificate(authority.certificate_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_certificate_names_the_licence_number_and_chains_to_the_platform_ca(session, signer):
    admin, practitioner, _ = signer
    certificate = pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    cert = keys.load_certificate(certificate.certificate_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == practitioner.licence_number
    assert keys.issued_by(cert, keys.load_certificate(pki.current_authority(session).certificate_pem))
    assert certificate.encrypted_key_pem and "ENCRYPTED" in certificate.encrypted_key_pem


def test_a_signed_document_verifies_and_a_changed_one_is_altered(session, signer):
    admin, practitioner, author = signer
    pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    signature = pki.sign_document(session, author, practitioner.id, b'{"k":4.1}', document_type="test",
                                  document_id="1", secret=f.SECRET_KEY)
    assert pki.verify(session, signature, b'{"k":4.1}').verdict.outcome is Outcome.VALID
    assert pki.verify(session, signature, b'{"k":4.2}').verdict.outcome is Outcome.ALTERED
    signature.signature_b64 = signature.signature_b64[:-4] + "AAA="
    assert pki.verify(session, signature, b'{"k":4.1}').verdict.outcome is Outcome.ALTERED


def test_only_the_author_signs_for_themself(session, signer):
    admin, practitioner, author = signer
    pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    colleague = f.make_practitioner(session, admin, practitioner.primary_institution_id)
    with pytest.raises(Forbidden):
        pki.sign_document(session, author, colleague.id, b"x", secret=f.SECRET_KEY)
    with pytest.raises(Forbidden):
        pki.sign_document(session, admin, practitioner.id, b"x", secret=f.SECRET_KEY)


def test_a_revoked_certificate_fails_verification_and_can_no_longer_sign(session, signer):
    admin, practitioner, author = signer
    certificate = pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    signature = pki.sign_document(session, author, practitioner.id, b"report", secret=f.SECRET_KEY)
    pki.revoke_certificate(session, admin, certificate, "key_compromise")
    verification = pki.verify(session, signature, b"report")
    assert verification.verdict.outcome is Outcome.REVOKED
    assert certificate.encrypted_key_pem is None
    with pytest.raises(Conflict):
        pki.sign_document(session, author, practitioner.id, b"report", secret=f.SECRET_KEY)
    crl = x509.load_pem_x509_crl(pki.revocation_list_pem(session, secret=f.SECRET_KEY).encode())
    entry = crl.get_revoked_certificate_by_serial_number(int(certificate.serial_number, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise


def test_a_sanction_revokes_every_certificate_of_the_practitioner(session, signer):
    admin, practitioner, author = signer
    pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    assert pki.revoke_certificates_of(session, practitioner.id, "privilege_withdrawn") == 1
    assert pki.revoke_certificates_of(session, practitioner.id, "privilege_withdrawn") == 0
    with pytest.raises(Conflict):
        pki.sign_document(session, author, practitioner.id, b"opinion", secret=f.SECRET_KEY)


def test_an_expired_certificate_cannot_sign_and_a_signature_outside_its_validity_is_expired(session, signer):
    admin, practitioner, author = signer
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    certificate = pki.issue_certificate(session, admin, practitioner.id, validity_days=30, secret=f.SECRET_KEY,
                                        now=issued)
    with pytest.raises(Conflict):
        pki.sign_document(session, author, practitioner.id, b"late", secret=f.SECRET_KEY)
    signature = pki.sign_document(session, author, practitioner.id, b"late", secret=f.SECRET_KEY,
                                  now=issued + dt.timedelta(days=1))
    assert pki.verify(session, signature, b"late").verdict.outcome is Outcome.VALID  # valid when it signed
    signature.signed_at = certificate.not_after + dt.timedelta(hours=1)  # a signing time past the validity
    assert pki.verify(session, signature, b"late").verdict.outcome is Outcome.EXPIRED


def test_a_client_made_signature_is_checked_before_it_is_recorded(session, signer):
    admin, practitioner, author = signer
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "anyone")])).sign(key, hashes.SHA256()))
    certificate = pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY,
                                        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode())
    assert certificate.encrypted_key_pem is None  # the signer keeps their key
    cert = keys.load_certificate(certificate.certificate_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == practitioner.name
    good = keys.sign(key, b"payload")
    with pytest.raises(InvalidInput):
        pki.attach_signature(session, author, practitioner.id, b"other payload", good)
    signature = pki.attach_signature(session, author, practitioner.id, b"payload", good)
    assert pki.verify(session, signature, b"payload").verdict.outcome is Outcome.VALID
    with pytest.raises(Conflict):  # no platform-held key to sign with
        pki.sign_document(session, author, practitioner.id, b"payload", secret=f.SECRET_KEY)


def test_another_institutions_admin_cannot_issue_or_revoke(session, signer):
    admin, practitioner, _ = signer
    other = f.make_institution(session, admin)
    other_admin = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=other.id))
    with pytest.raises(Forbidden):
        pki.issue_certificate(session, other_admin, practitioner.id, secret=f.SECRET_KEY)
    certificate = pki.issue_certificate(session, admin, practitioner.id, secret=f.SECRET_KEY)
    with pytest.raises(Forbidden):
        pki.revoke_certificate(session, other_admin, certificate, "unspecified")
