"""Pure rules of signatures: the canonical bytes of a document, and what a verification concludes."""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass, field

# Revoking for these reasons says nothing against the key: what it signed before stays valid.
# Any other reason (key compromise, unspecified) makes every signature of the certificate fail.
NOT_RETROACTIVE = frozenset({"affiliation_changed", "superseded", "cessation_of_operation", "privilege_withdrawn"})

DEFAULT_VALIDITY_DAYS = 730  # two years, as practitioners' CA certificates in China commonly are


class Outcome(enum.StrEnum):
    VALID = "valid"
    ALTERED = "altered"  # the document or the signature changed since signing
    REVOKED = "revoked"  # signed with a certificate since revoked (or revoked before it signed)
    EXPIRED = "expired"  # signed outside the certificate's validity
    UNTRUSTED = "untrusted"  # the certificate was not issued by the platform CA
    UNSIGNED = "unsigned"


def canonical_json(document: object) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no insignificant whitespace, UTF-8 (RFC 8785 style)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


@dataclass(frozen=True)
class Evidence:
    """What the verifier found, as plain values."""

    digest_matches: bool  # today's document hashes to the digest recorded at signing
    signature_holds: bool  # the signature is the certificate's key's signature of today's document
    issued_by_platform: bool
    signed_at: dt.datetime
    not_before: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID


def judge(e: Evidence, now: dt.datetime) -> Verdict:
    """The verification's conclusion; the first failure in this order wins: altered, untrusted, revoked, expired.

    The signing time is the platform's own record of it, so a certificate that expired after it
    signed does not undo the signature (long-term validity), and neither does a revocation that
    is not retroactive (a sanction, a change of post) dated after the signature.
    """
    if not e.digest_matches or not e.signature_holds:
        reasons = []
        if not e.digest_matches:
            reasons.append("the document differs from the one that was signed")
        if not e.signature_holds:
            reasons.append("the signature does not match the document and the certificate's key")
        return Verdict(Outcome.ALTERED, reasons)
    if not e.issued_by_platform:
        return Verdict(Outcome.UNTRUSTED, ["the certificate was not issued by the platform CA"])
    if e.revoked_at is not None and e.revoked_at <= now:
        retroactive = e.revocation_reason not in NOT_RETROACTIVE
        if retroactive or e.signed_at >= e.revoked_at:
            return Verdict(Outcome.REVOKED, [f"the certificate was revoked on {e.revoked_at:%Y-%m-%d %H:%M} UTC "
                                             f"({e.revocation_reason or 'unspecified'})"])
    if not (e.not_before <= e.signed_at <= e.not_after):
        return Verdict(Outcome.EXPIRED, [f"the certificate was valid from {e.not_before:%Y-%m-%d} to "
                                         f"{e.not_after:%Y-%m-%d}, not when it signed"])
    reasons = []
    if e.revoked_at is not None:
        reasons.append("the certificate was revoked after signing, for a reason that keeps earlier signatures")
    if e.not_after < now:
        reasons.append("the certificate has expired since; it was valid when it signed")
    return Verdict(Outcome.VALID, reasons)
