"""API shapes of regional exam scheduling."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.assets.models import Modality
from medshare.scheduling.rules import RequestStatus, Urgency
from medshare.schemas import Out, Patch, Strict


class ExamRequestIn(Strict):
    patient_record_id: int
    modality: Modality
    exam_code: str = Field("", max_length=40, description="empty: any exam of the modality")
    capabilities: list[str] = Field(default_factory=list, max_length=10, description="e.g. contrast, 3T")
    urgency: Urgency = Urgency.ROUTINE
    earliest_date: dt.date | None = Field(None, description="first day the exam may be done; default today")
    max_travel_km: float | None = Field(None, gt=0, le=1000, description="default: the region's travel limit")
    latitude: float | None = Field(None, ge=-90, le=90, description="where the patient travels from")
    longitude: float | None = Field(None, ge=-180, le=180)
    prefer_own_hospital: bool = False
    preferred_owner_institution_id: int | None = None
    note: str = Field("", max_length=500)


class ExamRequestPatch(Patch):
    clearable = frozenset({"max_travel_km", "preferred_owner_institution_id"})
    urgency: Urgency | None = None
    earliest_date: dt.date | None = None
    max_travel_km: float | None = Field(None, gt=0, le=1000)
    prefer_own_hospital: bool | None = None
    preferred_owner_institution_id: int | None = None
    note: str | None = Field(None, max_length=500)


class ExamRequestOut(Out):
    id: int
    patient_record_id: int
    referring_institution_id: int
    modality: Modality
    exam_code: str
    capabilities: list[str]
    urgency: Urgency
    requested_at: dt.datetime
    due_at: dt.datetime
    earliest_date: dt.date
    max_travel_km: float | None
    latitude: float | None
    longitude: float | None
    prefer_own_hospital: bool
    preferred_owner_institution_id: int | None
    status: RequestStatus
    booking_id: int | None
    note: str


class RunIn(Strict):
    community_id: int | None = Field(None, description="a medical community's scheduling desk: its members' requests")
    institution_id: int | None = Field(None, description="one institution's requests")
    horizon_days: int = Field(14, ge=1, le=60)


class ProposalOut(Out):
    request_id: int
    asset_id: int | None
    exam_code: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    distance_km: float | None
    wait_days: int | None
    reason: str
    status: str
    booking_id: int | None


class RunOut(Out):
    id: int
    status: str
    institution_id: int | None
    community_id: int | None
    day0: dt.date
    horizon_days: int
    figures: dict
    created_at: dt.datetime
    committed_at: dt.datetime | None
    proposals: list[ProposalOut]


class InstantIn(Strict):
    request_id: int
    book: bool = Field(True, description="book the best slot at once; false only proposes it")
