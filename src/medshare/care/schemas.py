"""Inputs and outputs of the tiered-care API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from medshare.care.models import ContractStatus, NightRequestStatus
from medshare.care.rules import Direction, ReferralStatus, TeleconsultStatus, Urgency

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]+/[A-Za-z0-9\-\.]{1,64}$")]
Observations = dict[str, float | bool]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Referrals ----------------------------------------------------------------------------------------------------


class ReferralIn(BaseModel):
    patient_record_id: int
    condition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    direction: Direction | None = Field(None, description="blank: as the criteria met recommend (else up)")
    urgency: Urgency | None = Field(None, description="blank: as the criteria met recommend (else routine)")
    to_institution_id: int | None = None
    to_specialty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    summary: Text = ""
    observations: Observations = Field(default_factory=dict, description="e.g. systolic_bp, severe_headache")
    attachments: list[Ref] = Field(default_factory=list, max_length=50, description='e.g. "DiagnosticReport/12"')


class ReferralPatch(BaseModel):
    to_institution_id: int | None = None
    to_specialty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    summary: Text | None = None
    urgency: Urgency | None = None
    attachments: list[Ref] | None = Field(None, max_length=50)


class DeclineIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class NoteIn(BaseModel):
    note: Short = ""


class CarePlanIn(BaseModel):
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""
    medications: list[Short] = Field(default_factory=list, max_length=30)
    follow_up_days: int | None = Field(None, ge=1, le=365)
    goals: list[Short] = Field(default_factory=list, max_length=20)
    primary_team_id: int | None = Field(None, description="blank: the team the patient has a contract with")


class ReferralEventOut(Out):
    at: dt.datetime
    action: str
    status: str
    note: str


class ReferralOut(Out):
    id: int
    patient_record_id: int
    direction: Direction
    condition: str
    urgency: Urgency
    status: ReferralStatus
    from_institution_id: int
    from_practitioner_id: int | None
    to_institution_id: int | None
    to_specialty: str
    summary: str
    observations: dict
    criteria_met: list[str]
    attachments: list[str]
    sent_at: dt.datetime | None
    answer_due_at: dt.datetime | None
    answered_at: dt.datetime | None
    escalation_level: int
    escalated_at: dt.datetime | None
    decline_reason: str
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None
    down_referred_at: dt.datetime | None
    care_plan: dict
    primary_team_id: int | None
    events: list[ReferralEventOut] = []


class SuggestionOut(BaseModel):
    institution_id: int
    name: str
    score: float
    capability: float
    capacity: float
    distance_km: float | None
    same_community: bool
    reasons: list[str]


class AssessmentIn(BaseModel):
    condition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    observations: Observations = Field(default_factory=dict)


class AssessmentOut(BaseModel):
    condition: str
    criteria_met: list[str]
    texts: list[str]
    direction: Direction | None
    urgency: Urgency | None
    specialty: str


class PolicyIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    specialty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
    equipment: list[str] = Field(default_factory=list, max_length=10)
    follow_up_days: int = Field(90, ge=1, le=365)
    criteria: list[dict] = Field(max_length=30)


class FiguresOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    up: int
    down: int
    down_per_up: float | None
    accepted: int
    declined: int
    escalated: int
    time_to_accept_hours_median: float | None
    time_to_accept_hours_mean: float | None
    treated: int
    treated_within_county: int
    share_within_county: float | None


# Teleconsultation -----------------------------------------------------------------------------------------------


class TeleconsultIn(BaseModel):
    patient_record_id: int
    specialty: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    urgency: Urgency = Urgency.ROUTINE
    case_summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
    attachments: list[Ref] = Field(default_factory=list, max_length=50)
    video_link: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500,
                                                 pattern=r"^(https://\S+)?$")] = ""
    not_before: AwareDatetime | None = None


class OpinionIn(BaseModel):
    opinion: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


class TeleconsultOut(Out):
    id: int
    requester_institution_id: int
    requester_practitioner_id: int | None
    patient_record_id: int
    specialty: str
    urgency: Urgency
    case_summary: str
    attachments: list[str]
    status: TeleconsultStatus
    specialist_id: int | None
    specialist_institution_id: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    video_link: str
    opinion: str
    opinion_signature: dict
    completed_at: dt.datetime | None
    fee_fen: int
    fee_posted: bool


# Family doctors ----------------------------------------------------------------------------------------------------


class TeamIn(BaseModel):
    institution_id: int
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    leader_id: int
    member_ids: list[int] = Field(default_factory=list, max_length=30)
    capacity: int = Field(2000, ge=1, le=10000)


class TeamOut(Out):
    id: int
    institution_id: int
    name: str
    leader_id: int
    capacity: int
    active: bool
    member_ids: list[int] = []


class ContractIn(BaseModel):
    team_id: int
    patient_record_id: int
    package: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "basic"
    conditions: list[str] = Field(default_factory=list, max_length=7)
    starts_on: dt.date | None = None
    months: int = Field(12, ge=1, le=60)


class RenewIn(BaseModel):
    months: int = Field(12, ge=1, le=60)
    package: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class ContractOut(Out):
    id: int
    team_id: int
    patient_record_id: int
    package: str
    conditions: list[str]
    starts_on: dt.date
    ends_on: dt.date
    status: ContractStatus
    renewed_from_id: int | None


class FollowUpIn(BaseModel):
    observations: Observations = Field(default_factory=dict)
    controlled: bool


class FollowUpOut(Out):
    id: int
    contract_id: int
    condition: str
    due_on: dt.date
    done_at: dt.datetime | None
    controlled: bool | None
    observations: dict
    state: str = ""
    suggested_referral: str | None = None


# Night care ----------------------------------------------------------------------------------------------------


class ShiftIn(BaseModel):
    practitioner_id: int
    institution_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ShiftOut(Out):
    id: int
    practitioner_id: int
    institution_id: int
    specialty: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    cancelled: bool


class GapOut(BaseModel):
    specialty: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    on_duty: int
    needed: int


class NightRequestIn(BaseModel):
    patient_record_id: int
    specialty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = "全科"
    complaint: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class MessageIn(BaseModel):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class EscalateIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    severity: int = Field(2, ge=1, le=4, description="triage level I–IV for the dispatcher")
    can_sit: bool = False


class MessageOut(Out):
    id: int
    author_kind: str
    body: str
    sent_at: dt.datetime


class NightRequestOut(Out):
    id: int
    patient_record_id: int
    specialty: str
    complaint: str
    status: NightRequestStatus
    practitioner_id: int | None
    shift_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    escalated_at: dt.datetime | None
    escalation_reason: str
    transport_ref: str
    messages: list[MessageOut] = []
