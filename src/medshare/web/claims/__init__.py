"""Pages of insurance claims: the insurer's queue, an institution's claims, a patient's own, and one claim."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.accounts.models import Role
from medshare.claims import fhir, rules
from medshare.claims import service as claims
from medshare.claims.models import Claim, ClaimStatus
from medshare.claims.schemas import AdjudicationIn
from medshare.deps import SessionDep
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.web import labels
from medshare.web.assets import common  # noqa: F401 (registers the yuan and when filters)
from medshare.web.core import CsrfChecked, can, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build
from medshare.web.paging import Pager

N_ = labels.N_
STATUSES = {
    ClaimStatus.SUBMITTED: N_("Submitted"),
    ClaimStatus.APPROVED: N_("Approved"),
    ClaimStatus.PARTIAL: N_("Approved in part"),
    ClaimStatus.DENIED: N_("Denied"),
    ClaimStatus.SETTLED: N_("Settled"),
    ClaimStatus.WITHDRAWN: N_("Withdrawn"),
}
SETTLEMENTS = {
    "awaiting_decision": N_("Waiting for the insurer"),
    "awaiting_payment": N_("Approved, payment pending"),
    "paid": N_("Paid directly to the provider"),
    "not_payable": N_("Not paid by the insurer"),
    "withdrawn": N_("Withdrawn"),
}
REASONS = {
    "not-covered": N_("Not covered by the policy"),
    "over-limit": N_("Over the policy's limit"),
    "duplicate": N_("Already claimed"),
    "not-necessary": N_("Not medically necessary"),
    "policy-inactive": N_("Policy not in force"),
    "missing-information": N_("Information missing"),
    "other": N_("Other"),
}
OUTCOMES = {"approve": N_("Approve in full"), "partial": N_("Pay in part"), "deny": N_("Deny")}
labels.KINDS.setdefault("claim_status", STATUSES)
labels.KINDS.setdefault("claim_settlement", SETTLEMENTS)
labels.KINDS.setdefault("claim_reason", REASONS)
labels.KINDS.setdefault("claim_outcome", OUTCOMES)

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.CLAIM_READ)]
Insurer = Annotated[Principal, page_require(Permission.CLAIM_ADJUDICATE)]
Submitter = Annotated[Principal, page_require(Permission.CLAIM_SUBMIT)]
ROWS = 30


def _names(session: Session, rows: list[Claim]) -> dict[int, str]:
    ids = {i for c in rows for i in (c.insurer_institution_id, c.provider_institution_id, c.facility_institution_id)
           if i}
    return {i: registry.get_institution(session, i).name for i in ids}


def _heading(viewer: Principal) -> str:
    if viewer.role is Role.INSURER:
        return labels.N_("Claims queue")
    if viewer.role is Role.PATIENT:
        return labels.N_("My insurance claims")
    return labels.N_("Insurance claims")


@router.get("/claims")
def claim_list(request: Request, session: SessionDep, viewer: Reader,
               status: Annotated[str, Query(max_length=12)] = "",
               page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The claims this account sees: an insurer's queue, a provider's claims, a patient's own, or all."""
    status = status if status in {s.value for s in ClaimStatus} else ""
    if not status and viewer.role is Role.INSURER and "status" not in request.query_params:
        status = "submitted"  # the queue: what waits for a decision
    rows, total = claims.list_claims(session, viewer, status=status or None, limit=ROWS, offset=(page - 1) * ROWS)
    return render(request, "claims/list.html", {
        "claims": rows, "names": _names(session, rows), "pager": Pager(total, page, ROWS), "total": total,
        "query": {"status": status}, "statuses": [s.value for s in ClaimStatus], "heading": _heading(viewer),
        "settlement": rules.settlement_state, "share": rules.patient_share,
    })


def _claim_page(request: Request, session: Session, viewer: Principal, claim: Claim,
                errors: FormErrors = NO_ERRORS, values: dict | None = None, status_code: int = 200):
    response = fhir.response_resource(claim)
    return render(request, "claims/claim.html", {
        "claim": claim, "names": _names(session, [claim]), "errors": errors, "values": values or {},
        "settlement": rules.settlement_state(claim.status.value),
        "share": rules.patient_share(claim.total_fen, claim.approved_fen),
        "may_decide": can(viewer, Permission.CLAIM_ADJUDICATE, claim.insurer_institution_id),
        "may_withdraw": can(viewer, Permission.CLAIM_SUBMIT, claim.provider_institution_id),
        "outcomes": [(k, labels.label(k, "claim_outcome")) for k in OUTCOMES],
        "reasons": [(k, labels.label(k, "claim_reason")) for k in REASONS],
        "fhir_claim": json.dumps(fhir.claim_resource(claim), ensure_ascii=False, indent=2),
        "fhir_response": json.dumps(response, ensure_ascii=False, indent=2) if response else "",
    }, status_code)


@router.get("/claims/{claim_id}")
def claim_view(request: Request, session: SessionDep, viewer: Reader, claim_id: int):
    """One claim: the service, the amounts, the insurer's decision and the settlement, and its FHIR form."""
    return _claim_page(request, session, viewer, claims.read_claim(session, viewer, claim_id))


def _fen(text: str, field: str) -> int | None:
    """An amount typed in yuan (e.g. 123.50) as fen; blank is None."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput.on(field, "yuan", "must be an amount in yuan, e.g. 120.50") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput.on(field, "yuan", "must be an amount in yuan with at most two decimals")
    return int(value * 100)


@router.post("/claims/{claim_id}/adjudicate", dependencies=[CsrfChecked])
def claim_adjudicate(request: Request, session: SessionDep, viewer: Insurer, claim_id: int, form: FormFields):
    """The insurer's decision, with the paid amount and a reason where it pays less than claimed."""
    claim = claims.get_claim(session, claim_id)
    authorize(viewer, Permission.CLAIM_ADJUDICATE, institutions=[claim.insurer_institution_id])

    def decide():
        reasons = [{"code": form["reason"], "note": form.get("note", "")}] if form.get("reason") else []
        data = build(AdjudicationIn, {"outcome": form.get("outcome", ""), "reasons": reasons,
                                      "approved_fen": _fen(form.get("approved_yuan", ""), "approved_yuan")})
        return claims.adjudicate(session, viewer, claim, data)

    _, errors = attempt(session, decide)
    if errors:
        return _claim_page(request, session, viewer, claims.get_claim(session, claim_id), errors, form, 422)
    return redirect(f"/claims/{claim_id}")


@router.post("/claims/{claim_id}/settle", dependencies=[CsrfChecked])
def claim_settle(request: Request, session: SessionDep, viewer: Insurer, claim_id: int, form: FormFields):
    """The insurer records its direct payment to the provider."""
    claim = claims.get_claim(session, claim_id)
    _, errors = attempt(session, lambda: claims.settle(session, viewer, claim, reference=form.get("reference", "")))
    if errors:
        return _claim_page(request, session, viewer, claims.get_claim(session, claim_id), errors, form, 409)
    return redirect(f"/claims/{claim_id}")


@router.post("/claims/{claim_id}/withdraw", dependencies=[CsrfChecked])
def claim_withdraw(request: Request, session: SessionDep, viewer: Submitter, claim_id: int):
    """The provider takes back an undecided claim."""
    claim = claims.get_claim(session, claim_id)
    _, errors = attempt(session, lambda: claims.withdraw(session, viewer, claim))
    if errors:
        return _claim_page(request, session, viewer, claims.get_claim(session, claim_id), errors, None, 409)
    return redirect(f"/claims/{claim_id}")


