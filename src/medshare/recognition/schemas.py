"""API shapes of mutual recognition."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from medshare.recognition.models import Decision, ItemCategory, RepeatReason, ResultKind
from medshare.schemas import Out, Patch, Strict


class ItemIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    code_system: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    name_zh: str = Field("", max_length=200)
    category: ItemCategory
    result_kind: ResultKind
    match_codes: list[str] = Field(default_factory=list, max_length=20,
                                   description="other result codes that satisfy the item")
    validity_days: int = Field(ge=1, le=3650)
    fee_fen: int = Field(ge=0, description="fee in fen (1/100 yuan), counted as saved when a result is accepted")
    basis: str = Field("", max_length=300, description="where the window comes from")


class ItemPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    name_zh: str | None = Field(None, max_length=200)
    match_codes: list[str] | None = Field(None, max_length=20)
    validity_days: int | None = Field(None, ge=1, le=3650)
    fee_fen: int | None = Field(None, ge=0)
    basis: str | None = Field(None, max_length=300)
    active: bool | None = None


class ItemOut(Out):
    id: int
    code: str
    code_system: str
    name: str
    name_zh: str
    category: ItemCategory
    result_kind: ResultKind
    match_codes: list[str]
    validity_days: int
    fee_fen: int
    basis: str
    active: bool


class PolicyIn(Strict):
    same_community: bool = True
    lower_accepts_higher: bool = True
    same_grade: bool = True
    higher_accepts_lower: bool = False
    independent_rank: int = Field(2, ge=0, le=3)


class PolicyOut(PolicyIn):
    set_at: dt.datetime | None = None


class AccreditationIn(Strict):
    institution_id: int
    item_code: str = Field(min_length=1, max_length=64)
    passed_on: dt.date
    valid_until: dt.date
    scheme: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _order(self):
        if self.valid_until < self.passed_on:
            raise ValueError("valid_until must not be before passed_on")
        return self


class AccreditationOut(Out):
    id: int
    institution_id: int
    item_id: int
    passed_on: dt.date
    valid_until: dt.date
    scheme: str
    withdrawn: bool


class CheckIn(Strict):
    patient_record_id: int
    item_code: str = Field(min_length=1, max_length=64)
    service_request_id: int | None = Field(None, description="the order being placed, when it is already recorded")


class CandidateOut(Out):
    kind: str
    id: int
    fhir_id: str
    institution_id: int | None
    made_at: dt.datetime
    age_days: int
    status: str
    summary: str
    why: str = Field(description="same-institution, same-community, higher-grade, same-grade, lower-grade-accepted "
                     "(recognisable); not-final, expired, not-accredited, scope (not)")
    recognisable: bool


class CheckOut(Out):
    id: int
    item_code: str
    patient_record_id: int
    institution_id: int
    checked_at: dt.datetime
    candidates: list[CandidateOut]
    recognisable_count: int
    decision: Decision
    decided_at: dt.datetime | None
    accepted_kind: str | None
    accepted_id: int | None
    accepted_institution_id: int | None
    repeat_reason: RepeatReason | None
    repeat_note: str
    fee_fen: int
    service_request_id: int | None


class AcceptIn(Strict):
    result_kind: ResultKind
    result_id: int


class RepeatIn(Strict):
    reason: RepeatReason | None = Field(None, description="required when a recognisable result was offered")
    note: str = Field("", max_length=500)
