"""API shapes of coverage and claims."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, computed_field, model_validator

from medshare.claims import rules
from medshare.claims.models import ClaimStatus
from medshare.schemas import Out, Strict


class CoverageIn(Strict):
    patient_record_id: int
    insurer_institution_id: int
    policy_number: str = Field(min_length=1, max_length=64)
    valid_from: dt.date
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class CoverageOut(Out):
    id: int
    patient_record_id: int
    insurer_institution_id: int
    policy_number: str
    valid_from: dt.date
    valid_to: dt.date | None
    active: bool


class ClaimIn(Strict):
    booking_id: int = Field(description="a completed booking of shared equipment for a patient with coverage")


class ReasonIn(Strict):
    code: Literal[rules.REASON_CODES]  # type: ignore[valid-type]
    note: str = Field("", max_length=300)


class AdjudicationIn(Strict):
    outcome: Literal["approve", "partial", "deny"]
    approved_fen: int | None = Field(None, ge=0, description="what the insurer pays, in fen (partial)")
    reasons: list[ReasonIn] = Field(default_factory=list, max_length=10)


class SettleIn(Strict):
    reference: str = Field("", max_length=64, description="the insurer's payment reference")


class ClaimOut(Out):
    id: int
    service_kind: str
    service_ref: str
    booking_id: int | None
    patient_record_id: int
    coverage_id: int
    insurer_institution_id: int
    provider_institution_id: int
    facility_institution_id: int | None
    practitioner_id: int | None
    item_code: str
    item_display: str
    service_date: dt.date
    total_fen: int
    approved_fen: int | None
    status: ClaimStatus
    reasons: list[dict]
    submitted_at: dt.datetime
    adjudicated_at: dt.datetime | None
    settled_at: dt.datetime | None
    settlement_ref: str

    @computed_field
    @property
    def patient_share_fen(self) -> int | None:
        return rules.patient_share(self.total_fen, self.approved_fen)

    @computed_field
    @property
    def settlement(self) -> str:
        return rules.settlement_state(self.status.value)
