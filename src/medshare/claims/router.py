"""JSON API of insurance claims: coverage, claims, the insurer's decision and payment, FHIR Claim/ClaimResponse."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from medshare.claims import fhir
from medshare.claims import service as claims
from medshare.claims.models import ClaimStatus
from medshare.claims.schemas import AdjudicationIn, ClaimIn, ClaimOut, CoverageIn, CoverageOut, SettleIn
from medshare.deps import AuditedReadSessionDep, PageParams, SessionDep, require
from medshare.errors import NotFound
from medshare.permissions import Permission, Principal
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["insurance claims"])
Reader = Annotated[Principal, require(Permission.CLAIM_READ)]
Submitter = Annotated[Principal, require(Permission.CLAIM_SUBMIT)]
Insurer = Annotated[Principal, require(Permission.CLAIM_ADJUDICATE)]
FHIR_JSON = "application/fhir+json"


@router.post("/coverages", response_model=CoverageOut, status_code=status.HTTP_201_CREATED,
             summary="Record a patient's insurance (the record's institution or the insurer)")
def add_coverage(session: SessionDep, data: CoverageIn,
                 actor: Annotated[Principal, require(Permission.COVERAGE_WRITE)]):
    return CoverageOut.model_validate(claims.add_coverage(session, actor, data))


@router.get("/coverages", response_model=list[CoverageOut], summary="A patient record's coverages")
def list_coverages(session: AuditedReadSessionDep, actor: Reader, patient_record_id: int):
    return [CoverageOut.model_validate(c) for c in claims.list_coverages(session, actor, patient_record_id)]


@router.post("/claims", response_model=ClaimOut, status_code=status.HTTP_201_CREATED,
             summary="Claim a completed booking by hand (claims are otherwise made when a booking completes)")
def submit_claim(session: SessionDep, data: ClaimIn, actor: Submitter):
    return ClaimOut.model_validate(claims.submit_for_booking(session, actor, data.booking_id))


@router.get("/claims", response_model=Page[ClaimOut],
            summary="Claims: the insurer's queue, the provider's claims, the patient's own, or all for regulators")
def list_claims(session: AuditedReadSessionDep, actor: Reader, page: PageParams,
                status_: Annotated[ClaimStatus | None, Query(alias="status")] = None):
    rows, total = claims.list_claims(session, actor, status=status_.value if status_ else None, **page)
    return Page(items=[ClaimOut.model_validate(c) for c in rows], total=total, **page)


@router.get("/claims/{claim_id}", response_model=ClaimOut, summary="One claim with its decision and settlement")
def read_claim(session: AuditedReadSessionDep, claim_id: int, actor: Reader):
    return ClaimOut.model_validate(claims.read_claim(session, actor, claim_id))


@router.get("/claims/{claim_id}/fhir", summary="The claim as a FHIR R4B Claim",
            responses={200: {"content": {FHIR_JSON: {}}}})
def claim_fhir(session: AuditedReadSessionDep, claim_id: int, actor: Reader):
    return JSONResponse(fhir.claim_resource(claims.read_claim(session, actor, claim_id)), media_type=FHIR_JSON)


@router.get("/claims/{claim_id}/fhir/response", summary="The insurer's decision as a FHIR R4B ClaimResponse",
            responses={200: {"content": {FHIR_JSON: {}}}})
def claim_response_fhir(session: AuditedReadSessionDep, claim_id: int, actor: Reader):
    resource = fhir.response_resource(claims.read_claim(session, actor, claim_id))
    if resource is None:
        raise NotFound(f"claim {claim_id} has no decision yet")
    return JSONResponse(resource, media_type=FHIR_JSON)


@router.post("/claims/{claim_id}/adjudicate", response_model=ClaimOut,
             summary="The insurer approves, pays in part or denies a claim, with reasons")
def adjudicate(session: SessionDep, claim_id: int, data: AdjudicationIn, actor: Insurer):
    return ClaimOut.model_validate(claims.adjudicate(session, actor, claims.get_claim(session, claim_id), data))


@router.post("/claims/{claim_id}/settle", response_model=ClaimOut,
             summary="The insurer pays an approved claim directly (posted to the shared ledger)")
def settle(session: SessionDep, claim_id: int, data: SettleIn, actor: Insurer):
    return ClaimOut.model_validate(claims.settle(session, actor, claims.get_claim(session, claim_id),
                                                 reference=data.reference))


@router.post("/claims/{claim_id}/withdraw", response_model=ClaimOut,
             summary="The provider takes back a claim the insurer has not decided")
def withdraw(session: SessionDep, claim_id: int, actor: Submitter):
    return ClaimOut.model_validate(claims.withdraw(session, actor, claims.get_claim(session, claim_id)))
