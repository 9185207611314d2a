"""The platform's checkpoint key: Ed25519; the private half in a file beside the data (mode 600), the public
half in the database."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from medshare.audit.chain import b64, checkpoint_message, unb64

KEY_FILE = "audit-signing-key.pem"


def key_id(public_key: Ed25519PublicKey) -> str:
    """The fingerprint of a public key: SHA-256 of its raw bytes, hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_signature(public_key: Ed25519PublicKey, seq: int, chain_hash: str, signature: str) -> bool:
    """Whether signature is the key's signature of the chain's hash at seq."""
    try:
        public_key.verify(unb64(signature), checkpoint_message(seq, chain_hash))
        return True
    except (InvalidSignature, ValueError):
        return False


@dataclass(frozen=True)
class Signer:
    """Signs checkpoints with the platform's private key."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, seq: int, chain_hash: str) -> str:
        return b64(self.private_key.sign(checkpoint_message(seq, chain_hash)))

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        """The key kept in path, generated there first if missing (concurrent workers agree on one)."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
            tmp.write_bytes(pem)
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)


# One signer per database: several apps in one process (tests, benchmarks) keep their keys apart.
_signers: dict[str, Signer] = {}


def _key(url) -> str:
    import sqlalchemy as sa

    return sa.make_url(str(url) if not isinstance(url, str) else url).render_as_string(hide_password=True)


def configure(settings) -> Signer:
    """Use the key in settings' data folder for checkpoints of settings' database (made at intervals while sealing)."""
    signer = Signer.from_file(Path(settings.data_dir) / KEY_FILE)
    _signers[_key(settings.resolved_database_url())] = signer
    return signer


def current_signer(url=None) -> Signer | None:
    """The signer configured for the database at url (or the only one configured, when url is not given)."""
    if url is None:
        return next(iter(_signers.values())) if len(_signers) == 1 else None
    return _signers.get(_key(url))
