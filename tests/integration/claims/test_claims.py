"""Claims through their states: made when a shared exam completes, decided by the insurer, paid directly."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.claim import Claim as FhirClaim
from fhir.resources.R4B.claimresponse import ClaimResponse as FhirClaimResponse

from medshare.assets import ledger
from medshare.assets.models import JournalEntry
from medshare.audit.models import AuditEvent
from medshare.claims import fhir
from medshare.claims import service as claims
from medshare.claims.models import Claim, ClaimStatus
from medshare.claims.schemas import AdjudicationIn, ClaimOut, CoverageIn
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.identity.models import PatientRecord
from tests import factories as f
from tests.integration.claims.conftest import MONDAY, completed_exam


def claim_of(session, booking) -> Claim | None:
    return session.scalar(sa.select(Claim).where(Claim.booking_id == booking.id))


def decide(outcome, approved=None, *codes):
    return AdjudicationIn(outcome=outcome, approved_fen=approved, reasons=[{"code": c, "note": ""} for c in codes])


def test_a_completed_exam_of_a_covered_patient_is_claimed_once_from_its_insurer(session, world):
    booking = completed_exam(session, world)
    claim = claim_of(session, booking)
    assert claim is not None and claim.status is ClaimStatus.SUBMITTED
    assert (claim.insurer_institution_id, claim.provider_institution_id, claim.facility_institution_id) == (
        world.insurer_id, world.region.outsider_id, world.region.owner_id)
    assert (claim.item_code, claim.item_display, claim.total_fen) == ("MRI-HEAD", "MRI head", 60000)
    assert claim.service_date == MONDAY + dt.timedelta(days=1)
    # Completing again (a retried request) does not bill twice.
    assert claims.claim_for_booking(session, booking).id == claim.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.booking_id == booking.id)) == 1


def test_no_claim_without_coverage_and_a_later_coverage_is_claimed_by_hand(session, world):
    admin = f.admin_principal(session)
    uncovered = f.make_patient(session, admin, world.region.outsider_id)
    booking = completed_exam(session, world, patient_record_id=uncovered.id)
    assert claim_of(session, booking) is None
    with pytest.raises(InvalidInput) as refused:
        claims.submit_for_booking(session, world.region.outsider, booking.id)
    assert refused.value.problems[0].rule == "coverage"
    claims.add_coverage(session, world.insurer, CoverageIn(
        patient_record_id=uncovered.id, insurer_institution_id=world.insurer_id, policy_number=f.unique("P"),
        valid_from=MONDAY))
    claim = claims.submit_for_booking(session, world.region.outsider, booking.id)
    assert claim.status is ClaimStatus.SUBMITTED
    with pytest.raises(Conflict):
        claims.submit_for_booking(session, world.region.outsider, booking.id)


def test_coverage_outside_its_validity_claims_nothing(session, world):
    admin = f.admin_principal(session)
    lapsed = f.make_patient(session, admin, world.region.outsider_id)
    claims.add_coverage(session, world.region.outsider, CoverageIn(
        patient_record_id=lapsed.id, insurer_institution_id=world.insurer_id, policy_number=f.unique("P"),
        valid_from=MONDAY - dt.timedelta(days=400), valid_to=MONDAY - dt.timedelta(days=1)))
    assert claim_of(session, completed_exam(session, world, patient_record_id=lapsed.id)) is None


def test_coverage_names_an_insurer_and_is_written_by_the_record_or_the_insurer(session, world):
    with pytest.raises(InvalidInput) as refused:
        claims.add_coverage(session, world.region.outsider, CoverageIn(
            patient_record_id=world.patient_id, insurer_institution_id=world.region.owner_id, policy_number="X1",
            valid_from=MONDAY))
    assert refused.value.problems[0].field == "insurer_institution_id"
    with pytest.raises(Forbidden):
        claims.add_coverage(session, world.region.member, CoverageIn(
            patient_record_id=world.patient_id, insurer_institution_id=world.insurer_id, policy_number="X2",
            valid_from=MONDAY))


def test_approve_then_settle_pays_the_provider_on_the_ledger(session, world):
    claim = claim_of(session, completed_exam(session, world))
    claims.adjudicate(session, world.insurer, claim, decide("approve"))
    assert (claim.status, claim.approved_fen, ClaimOut.model_validate(claim).settlement) == (
        ClaimStatus.APPROVED, 60000, "awaiting_payment")
    claims.settle(session, world.insurer, claim, reference="PAY-1")
    assert claim.status is ClaimStatus.SETTLED and claim.settlement_ref == "PAY-1"
    entry = session.scalar(sa.select(JournalEntry).where(JournalEntry.booking_id == claim.booking_id,
                                                         JournalEntry.reason == claims.SETTLEMENT_REASON))
    amounts = {line.account_id: line.amount_fen for line in entry.lines}
    insurer = ledger.account_for(session, institution_id=world.insurer_id)
    provider = ledger.account_for(session, institution_id=world.region.outsider_id)
    assert amounts == {insurer: 60000, provider: -60000}
    assert ledger.imbalance(session) == 0
    with pytest.raises(Conflict):
        claims.settle(session, world.insurer, claim)


def test_a_partial_payment_states_its_reasons_and_leaves_the_patient_the_rest(session, world):
    claim = claim_of(session, completed_exam(session, world))
    with pytest.raises(InvalidInput) as refused:
        claims.adjudicate(session, world.insurer, claim, decide("partial", 40000))
    assert refused.value.problems[0].field == "reasons"
    with pytest.raises(InvalidInput) as refused:
        claims.adjudicate(session, world.insurer, claim, decide("partial", 60000, "over-limit"))
    assert refused.value.problems[0].rule == "between"
    assert claim.status is ClaimStatus.SUBMITTED  # bad input changes nothing
    claims.adjudicate(session, world.insurer, claim, decide("partial", 40000, "over-limit"))
    out = ClaimOut.model_validate(claim)
    assert (out.status, out.approved_fen, out.patient_share_fen, out.reasons[0]["code"]) == (
        ClaimStatus.PARTIAL, 40000, 20000, "over-limit")
    response = FhirClaimResponse.model_validate(fhir.response_resource(claim))
    assert [a.amount.value for a in response.item[0].adjudication] == [600.0, 400.0]
    assert response.item[0].adjudication[1].reason.coding[0].code == "over-limit"


def test_a_denied_claim_is_final_and_pays_nothing(session, world):
    claim = claim_of(session, completed_exam(session, world))
    claims.adjudicate(session, world.insurer, claim, decide("deny", None, "not-covered"))
    assert (claim.status, claim.approved_fen, ClaimOut.model_validate(claim).settlement) == (
        ClaimStatus.DENIED, 0, "not_payable")
    with pytest.raises(Conflict):
        claims.settle(session, world.insurer, claim)
    with pytest.raises(Conflict):
        claims.adjudicate(session, world.insurer, claim, decide("approve"))


def test_the_provider_withdraws_only_an_undecided_claim(session, world):
    claim = claim_of(session, completed_exam(session, world))
    claims.withdraw(session, world.region.outsider, claim)
    assert claim.status is ClaimStatus.WITHDRAWN
    with pytest.raises(Conflict):
        claims.adjudicate(session, world.insurer, claim, decide("approve"))


def test_only_the_claims_insurer_decides_and_only_its_parties_and_patient_read_it(session, world):
    claim = claim_of(session, completed_exam(session, world))
    for outsider in (world.other_insurer, world.region.owner):
        with pytest.raises(Forbidden):
            claims.adjudicate(session, outsider, claim, decide("approve"))
    with pytest.raises(Forbidden):
        claims.read_claim(session, world.region.member, claim.id)
    with pytest.raises(Forbidden):
        claims.read_claim(session, world.stranger, claim.id)
    assert claims.read_claim(session, world.patient, claim.id).id == claim.id
    assert [c.id for c in claims.list_claims(session, world.patient)[0]] == [claim.id]
    assert claims.list_claims(session, world.stranger)[0] == []
    queue, _ = claims.list_claims(session, world.insurer, status="submitted")
    assert claim.id in {c.id for c in queue}
    assert claims.list_claims(session, world.other_insurer)[0] == []
    provider, _ = claims.list_claims(session, world.region.outsider)
    assert claim.id in {c.id for c in provider}
    reads = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "claim.read",
                                                        AuditEvent.object_id == str(claim.id))).all()
    assert reads and all(r.patient_record_id == world.patient_id for r in reads)


def test_the_fhir_claim_validates_and_carries_no_personal_data(session, world):
    claim = claim_of(session, completed_exam(session, world))
    resource = fhir.claim_resource(claim)
    parsed = FhirClaim.model_validate(resource)
    assert parsed.patient.reference == f"Patient/{world.patient_id}"
    assert parsed.insurer.reference == f"Organization/{world.insurer_id}"
    assert parsed.total.value == 600.0 and parsed.total.currency == "CNY"
    record = session.get(PatientRecord, world.patient_id)
    text = str(resource)
    assert record.name not in text and record.national_id not in text
    assert fhir.response_resource(claim) is None
    claims.adjudicate(session, world.insurer, claim, decide("approve"))
    claims.settle(session, world.insurer, claim)
    response = FhirClaimResponse.model_validate(fhir.response_resource(claim))
    assert response.outcome == "complete" and response.payment.amount.value == 600.0
    assert response.request.reference == f"Claim/{claim.id}"
