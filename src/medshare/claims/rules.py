"""The rules of claims, pure: which adjudications are valid, which moves are allowed, who pays what."""

from __future__ import annotations

from dataclasses import dataclass

from medshare.errors import Conflict, InvalidInput

# Why an insurer pays less than claimed (ClaimResponse adjudication reasons, as the region words them).
REASON_CODES = ("not-covered", "over-limit", "duplicate", "not-necessary", "policy-inactive",
                "missing-information", "other")
OUTCOMES = ("approve", "partial", "deny")

TRANSITIONS = {
    "submitted": {"approved", "partial", "denied", "withdrawn"},
    "approved": {"settled"},
    "partial": {"settled"},
}


@dataclass(frozen=True)
class Reason:
    code: str
    note: str = ""


def check_transition(current: str, new: str) -> None:
    """Refuse a move the claim's state machine does not allow."""
    if new not in TRANSITIONS.get(current, set()):
        raise Conflict.on("status", "transition", f"a {current} claim cannot become {new}")


def adjudication(total_fen: int, outcome: str, approved_fen: int | None, reasons: list[Reason]) -> tuple[str, int]:
    """The claim's new status and the amount the insurer will pay, or InvalidInput naming the field.

    approve pays everything; partial pays more than nothing and less than everything and says why;
    deny pays nothing and says why.
    """
    if outcome not in OUTCOMES:
        raise InvalidInput.on("outcome", "one-of", f"must be one of {', '.join(OUTCOMES)}")
    for index, reason in enumerate(reasons):
        if reason.code not in REASON_CODES:
            raise InvalidInput.on(f"reasons.{index}.code", "one-of", f"must be one of {', '.join(REASON_CODES)}")
    if outcome == "approve":
        if approved_fen not in (None, total_fen):
            raise InvalidInput.on("approved_fen", "equals-total", "an approval pays the whole amount; use partial")
        return "approved", total_fen
    if not reasons:
        raise InvalidInput.on("reasons", "required", f"a {outcome} decision states at least one reason")
    if outcome == "deny":
        if approved_fen not in (None, 0):
            raise InvalidInput.on("approved_fen", "zero", "a denial pays nothing; use partial")
        return "denied", 0
    if approved_fen is None or not 0 < approved_fen < total_fen:
        raise InvalidInput.on("approved_fen", "between", f"a partial payment is more than 0 and less than {total_fen}")
    return "partial", approved_fen


def patient_share(total_fen: int, approved_fen: int | None) -> int | None:
    """What is left for the patient once the insurer has decided (None before)."""
    return None if approved_fen is None else total_fen - approved_fen


def settlement_state(status: str) -> str:
    """The direct-settlement status patients and institutions see."""
    return {"submitted": "awaiting_decision", "approved": "awaiting_payment", "partial": "awaiting_payment",
            "settled": "paid", "denied": "not_payable", "withdrawn": "withdrawn"}[status]
