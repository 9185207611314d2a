"""Claims as FHIR R4B Claim and ClaimResponse resources, validated by fhir.resources.

Minimal by design: the patient is a reference to the record, never a name or an ID number.
"""

from __future__ import annotations

from fhir.resources.R4B.claim import Claim as FhirClaim
from fhir.resources.R4B.claimresponse import ClaimResponse as FhirClaimResponse

from medshare.claims.models import Claim, ClaimStatus

CURRENCY = "CNY"
ITEM_SYSTEM = "urn:medshare:exam-code"
REASON_SYSTEM = "urn:medshare:claim-reason"
CLAIM_TYPE = {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
DISPOSITIONS = {"approved": "approved in full", "partial": "approved in part", "denied": "denied", "settled": "paid"}


def _money(fen: int) -> dict:
    return {"value": round(fen / 100, 2), "currency": CURRENCY}


def _org(institution_id: int | None) -> dict:
    return {"reference": f"Organization/{institution_id}"}


def claim_resource(claim: Claim) -> dict:
    """The claim as a validated FHIR Claim (JSON-ready dict)."""
    item = {"sequence": 1,
            "productOrService": {"coding": [{"system": ITEM_SYSTEM, "code": claim.item_code,
                                             **({"display": claim.item_display} if claim.item_display else {})}]},
            "servicedDate": claim.service_date.isoformat(), "quantity": {"value": 1},
            "unitPrice": _money(claim.total_fen), "net": _money(claim.total_fen)}
    if claim.facility_institution_id:
        item["extension"] = [{"url": "urn:medshare:performing-organization",
                              "valueReference": _org(claim.facility_institution_id)}]
    body = {
        "resourceType": "Claim", "id": str(claim.id),
        "identifier": [{"system": "urn:medshare:service", "value": claim.service_ref}],
        "status": "cancelled" if claim.status is ClaimStatus.WITHDRAWN else "active",
        "type": {"coding": [CLAIM_TYPE]}, "use": "claim",
        "patient": {"reference": f"Patient/{claim.patient_record_id}"},
        "created": claim.submitted_at.isoformat(),
        "insurer": _org(claim.insurer_institution_id), "provider": _org(claim.provider_institution_id),
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                                 "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": f"Coverage/{claim.coverage_id}"}}],
        "item": [item], "total": _money(claim.total_fen),
    }
    if claim.practitioner_id:
        body["careTeam"] = [{"sequence": 1, "provider": {"reference": f"Practitioner/{claim.practitioner_id}"}}]
        item["careTeamSequence"] = [1]
    return FhirClaim.model_validate(body).model_dump(mode="json", exclude_none=True)


def response_resource(claim: Claim) -> dict | None:
    """The insurer's decision as a validated FHIR ClaimResponse, or None before it decides."""
    if claim.adjudicated_at is None or claim.approved_fen is None:
        return None
    approved = claim.approved_fen
    adjudication = [{"category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                     "amount": _money(claim.total_fen)},
                    {"category": {"coding": [{"system": ADJUDICATION, "code": "benefit"}]},
                     "amount": _money(approved)}]
    if claim.reasons:
        adjudication[1]["reason"] = {"coding": [{"system": REASON_SYSTEM, "code": r["code"]} for r in claim.reasons]}
    body = {
        "resourceType": "ClaimResponse", "id": str(claim.id), "status": "active",
        "type": {"coding": [CLAIM_TYPE]}, "use": "claim",
        "patient": {"reference": f"Patient/{claim.patient_record_id}"},
        "created": claim.adjudicated_at.isoformat(), "insurer": _org(claim.insurer_institution_id),
        "requestor": _org(claim.provider_institution_id), "request": {"reference": f"Claim/{claim.id}"},
        # outcome says the processing is complete; how much is paid is in the adjudication and disposition.
        "outcome": "complete", "disposition": DISPOSITIONS.get(claim.status.value, claim.status.value),
        "item": [{"itemSequence": 1, "adjudication": adjudication}],
        "total": [{"category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                   "amount": _money(claim.total_fen)},
                  {"category": {"coding": [{"system": ADJUDICATION, "code": "benefit"}]}, "amount": _money(approved)}],
    }
    notes = [r["note"] for r in claim.reasons if r.get("note")]
    if notes:
        body["processNote"] = [{"number": i + 1, "type": "display", "text": note} for i, note in enumerate(notes)]
    if claim.status is ClaimStatus.SETTLED:
        body["payment"] = {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/ex-paymenttype",
                                                "code": "complete"}]},
                           "date": claim.settled_at.date().isoformat(), "amount": _money(approved),
                           **({"identifier": {"value": claim.settlement_ref}} if claim.settlement_ref else {})}
    return FhirClaimResponse.model_validate(body).model_dump(mode="json", exclude_none=True)
