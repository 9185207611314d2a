"""The cryptography of the platform CA: key pairs, certificates, revocation lists, signatures.

No database and no web here: PEM and bytes in, PEM and bytes out. ECDSA P-256 with SHA-256
(SM2, the national algorithm, is not offered by the `cryptography` library). Private keys
are only ever stored encrypted (BestAvailableEncryption) under a password derived from the
platform secret with HKDF, one derived password per purpose.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

CURVE = ec.SECP256R1()
ALGORITHM = "ecdsa-p256-sha256"
CA_NAME = "medshare Regional Practitioner CA"

REASON_FLAGS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


def key_password(secret: str, purpose: str) -> bytes:
    """The password that encrypts the private keys of purpose, derived from the platform secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"medshare-pki-v1", info=purpose.encode())
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(CURVE)


def encrypt_key(key: ec.EllipticCurvePrivateKey, secret: str, purpose: str) -> str:
    """key as an encrypted PKCS#8 PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(key_password(secret, purpose))).decode()


def decrypt_key(pem: str, secret: str, purpose: str) -> ec.EllipticCurvePrivateKey:
    """The private key of an encrypted PEM; ValueError when the secret is not the one it was made with."""
    key = serialization.load_pem_private_key(pem.encode(), key_password(secret, purpose))
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    return key


def _name(**parts: str) -> x509.Name:
    oids = {"cn": NameOID.COMMON_NAME, "serial": NameOID.SERIAL_NUMBER, "o": NameOID.ORGANIZATION_NAME,
            "ou": NameOID.ORGANIZATIONAL_UNIT_NAME, "title": NameOID.TITLE, "c": NameOID.COUNTRY_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items() if v])


def make_ca(key: ec.EllipticCurvePrivateKey, now: dt.datetime, years: int = 10) -> x509.Certificate:
    """A self-signed CA certificate that may sign practitioners' certificates and revocation lists."""
    name = _name(c="CN", o="medshare", cn=CA_NAME)
    public = key.public_key()
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))


@dataclass(frozen=True)
class Subject:
    """Who a practitioner's certificate names: the licence number is the subject's serialNumber."""

    name: str
    licence_number: str
    institution: str = ""
    profession: str = ""

    def x509(self) -> x509.Name:
        return _name(c="CN", o=self.institution, ou=self.profession, cn=self.name, serial=self.licence_number)


def issue(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, public_key, subject: Subject,
          not_before: dt.datetime, not_after: dt.datetime) -> x509.Certificate:
    """A signing certificate (digital signature, non-repudiation) for public_key, issued by the CA."""
    return (x509.CertificateBuilder().subject_name(subject.x509()).issuer_name(ca_cert.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def public_key_of_csr(csr_pem: str):
    """The public key of a certificate signing request whose own signature holds (proof of possession)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    if not csr.is_signature_valid:
        raise ValueError("the request's signature does not match its key")
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVE.name:
        raise ValueError("the key must be an ECDSA P-256 key")
    return key


def revocation_list(ca_key, ca_cert: x509.Certificate, revoked: list[tuple[str, dt.datetime, str]],
                    number: int, now: dt.datetime, next_hours: int = 24) -> x509.CertificateRevocationList:
    """A CRL, signed by the CA, of (serial hex, revoked at, reason) entries."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now).next_update(now + dt.timedelta(hours=next_hours))
               .add_extension(x509.CRLNumber(number), critical=False))
    for serial, at, reason in revoked:
        entry = (x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(at)
                 .add_extension(x509.CRLReason(REASON_FLAGS.get(reason, x509.ReasonFlags.unspecified)),
                                critical=False).build())
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, hashes.SHA256())


def pem(obj) -> str:
    """A certificate or CRL as PEM text."""
    return obj.public_bytes(serialization.Encoding.PEM).decode()


def load_certificate(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode())


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def digest(payload: bytes) -> str:
    """The SHA-256 of payload, hex."""
    return hashlib.sha256(payload).hexdigest()


def sign(key: ec.EllipticCurvePrivateKey, payload: bytes) -> str:
    """A detached ECDSA signature of payload, DER then base64."""
    return base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()


def signature_holds(cert: x509.Certificate, payload: bytes, signature_b64: str) -> bool:
    """Whether signature_b64 is cert's key's signature of exactly payload."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        cert.public_key().verify(raw, payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """Whether cert was issued (signed) by the CA certificate."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
