"""Hospital A's claims (to its patients' insurer) and risk alerts, for the API's authorisation table."""

from __future__ import annotations

import datetime as dt

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets.schemas import BookingIn
from medshare.claims import service as claims
from medshare.claims.schemas import AdjudicationIn, CoverageIn
from medshare.db import transaction, utcnow
from medshare.risk.models import AlertStatus, RiskAlert, RiskRun
from tests import factories as f
from tests.integration.assets.data import local_hour


def add_claims_and_risk(committed, w):
    """An insurer with its account, A's patients' coverage, completed exams with claims in each state, alerts."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        insurer = f.make_institution(session, admin, type="insurer", grade_level=None, grade_class=None)
        w.insurer = insurer.id
        w.tokens["insurer_a"] = f.token_for(session, f.make_user(session, Role.INSURER, institution_id=insurer.id))
        admin_a = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=w.hospital_a))
        covered = f.make_patient(session, admin, w.hospital_a)
        claims.add_coverage(session, admin_a, CoverageIn(
            patient_record_id=covered.id, insurer_institution_id=insurer.id, policy_number=f.unique("POL"),
            valid_from=dt.date(2020, 1, 1)))
        past = utcnow() - dt.timedelta(days=5)

        def exam(hour: int, patient_record_id: int):
            data = BookingIn(asset_id=w.asset_a, exam_code="MRI-HEAD", starts_at=local_hour(-3, hour),
                             patient_record_id=patient_record_id)
            booking, _ = bookings.book(session, admin_a, data, now=past)
            return bookings.record_outcome(session, admin_a, booking, completed=True)

        w.claim_open = claims.claim_for_booking(session, exam(6, covered.id)).id
        w.claim_withdrawable = claims.claim_for_booking(session, exam(7, covered.id)).id
        approved = claims.claim_for_booking(session, exam(8, covered.id))
        insurer_account = accounts.principal_of(f.make_user(session, Role.INSURER, institution_id=insurer.id))
        claims.adjudicate(session, insurer_account, approved, AdjudicationIn(outcome="approve"))
        w.claim_approved = approved.id
        # Done before the patient's coverage was known: claimed by hand.
        w.booking_unclaimed = exam(9, w.patient_a).id

        run = RiskRun(window_start=past, window_end=utcnow(), counts={})
        session.add(run)
        session.flush()

        def alert(status: AlertStatus) -> int:
            row = RiskAlert(rule="overlap", fingerprint=f.unique("overlap:test"), subject_type="practitioner",
                            subject_id=w.practitioner_a, practitioner_id=w.practitioner_a,
                            institution_id=w.hospital_a, summary="two sites at once", evidence={}, status=status,
                            first_run_id=run.id, last_run_id=run.id)
            session.add(row)
            session.flush()
            return row.id

        w.alert_dismissable, w.alert_referrable = alert(AlertStatus.OPEN), alert(AlertStatus.OPEN)
        w.alert_dismissed = alert(AlertStatus.DISMISSED)
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The claims and risk API's write routes aimed at hospital A's objects."""
    c, r = "/api/v1/claims", "/api/v1/risk/alerts"
    return {
        ("POST", "/api/v1/coverages"): ("/api/v1/coverages", {
            "patient_record_id": w.patient_a, "insurer_institution_id": w.insurer, "policy_number": f.unique("POL"),
            "valid_from": "2020-01-01"}),
        ("POST", c): (c, {"booking_id": w.booking_unclaimed}),
        ("POST", c + "/{claim_id}/adjudicate"): (f"{c}/{w.claim_open}/adjudicate", {
            "outcome": "partial", "approved_fen": 100, "reasons": [{"code": "over-limit", "note": "annual cap"}]}),
        ("POST", c + "/{claim_id}/settle"): (f"{c}/{w.claim_approved}/settle", {"reference": "PAY-7"}),
        ("POST", c + "/{claim_id}/withdraw"): (f"{c}/{w.claim_withdrawable}/withdraw", None),
        ("POST", "/api/v1/risk/scans"): ("/api/v1/risk/scans", {"lookback_days": 7, "lookahead_days": 7}),
        ("POST", r + "/{alert_id}/dismiss"): (f"{r}/{w.alert_dismissable}/dismiss", {"reason": "a locum, approved"}),
        ("POST", r + "/{alert_id}/refer"): (f"{r}/{w.alert_referrable}/refer", {"case_ref": "JS-1"}),
        ("POST", r + "/{alert_id}/reopen"): (f"{r}/{w.alert_dismissed}/reopen", {"reason": "a new complaint"}),
    }


ALLOWED = [
    ("admin_a", "POST", "/api/v1/coverages"),
    ("admin_a", "POST", "/api/v1/claims"),
    ("insurer_a", "POST", "/api/v1/claims/{claim_id}/adjudicate"),
    ("insurer_a", "POST", "/api/v1/claims/{claim_id}/settle"),
    ("admin_a", "POST", "/api/v1/claims/{claim_id}/withdraw"),
    ("regulator", "POST", "/api/v1/risk/scans"),
    ("regulator", "POST", "/api/v1/risk/alerts/{alert_id}/dismiss"),
    ("regulator", "POST", "/api/v1/risk/alerts/{alert_id}/refer"),
    ("regulator", "POST", "/api/v1/risk/alerts/{alert_id}/reopen"),
]
