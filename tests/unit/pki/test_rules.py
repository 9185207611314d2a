"""What a verification concludes, by the rules alone."""

from __future__ import annotations

import datetime as dt

from medshare.pki.rules import Evidence, Outcome, canonical_json, judge

T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def evidence(**changes) -> Evidence:
    values = {"digest_matches": True, "signature_holds": True, "issued_by_platform": True, "signed_at": T0,
              "not_before": T0 - dt.timedelta(days=30), "not_after": T0 + dt.timedelta(days=335)} | changes
    return Evidence(**values)


def test_an_intact_document_signed_in_date_is_valid():
    assert judge(evidence(), T0 + dt.timedelta(days=1)).outcome is Outcome.VALID


def test_a_changed_document_is_altered_whatever_else_holds():
    verdict = judge(evidence(digest_matches=False, signature_holds=False, revoked_at=T0), T0)
    assert verdict.outcome is Outcome.ALTERED
    assert len(verdict.reasons) == 2


def test_a_certificate_from_elsewhere_is_untrusted():
    assert judge(evidence(issued_by_platform=False), T0).outcome is Outcome.UNTRUSTED


def test_a_key_compromise_undoes_even_earlier_signatures():
    revoked = evidence(revoked_at=T0 + dt.timedelta(days=10), revocation_reason="key_compromise")
    assert judge(revoked, T0 + dt.timedelta(days=11)).outcome is Outcome.REVOKED
    # Not yet revoked at the time of checking: still valid.
    assert judge(revoked, T0 + dt.timedelta(days=5)).outcome is Outcome.VALID


def test_a_sanction_after_signing_keeps_the_earlier_signature_but_says_so():
    later = evidence(revoked_at=T0 + dt.timedelta(days=10), revocation_reason="privilege_withdrawn")
    verdict = judge(later, T0 + dt.timedelta(days=11))
    assert verdict.outcome is Outcome.VALID and "revoked after signing" in verdict.reasons[0]
    before = evidence(revoked_at=T0 - dt.timedelta(days=1), revocation_reason="privilege_withdrawn")
    assert judge(before, T0).outcome is Outcome.REVOKED


def test_signing_outside_the_validity_is_expired_but_expiry_since_is_not():
    assert judge(evidence(not_after=T0 - dt.timedelta(seconds=1)), T0).outcome is Outcome.EXPIRED
    assert judge(evidence(not_before=T0 + dt.timedelta(days=1)), T0).outcome is Outcome.EXPIRED
    since = judge(evidence(not_after=T0 + dt.timedelta(days=1)), T0 + dt.timedelta(days=400))
    assert since.outcome is Outcome.VALID and "expired since" in since.reasons[0]


def test_canonical_bytes_ignore_key_order_and_spacing_but_not_values():
    assert canonical_json({"b": 1, "a": "钾"}) == canonical_json({"a": "钾", "b": 1}) == '{"a":"钾","b":1}'.encode()
    assert canonical_json({"a": 4.1}) != canonical_json({"a": 4.2})
