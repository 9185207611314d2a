"""API shapes of triage."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from medshare.schemas import Out, Strict
from medshare.triage.rules import COMPLAINTS, DEFAULT_POLICY, Capability, CareLevel, Mobility, Vitals


class VitalsIn(Strict):
    heart_rate: int | None = Field(None, description="beats per minute")
    respiratory_rate: int | None = Field(None, description="breaths per minute")
    systolic_bp: int | None = Field(None, description="mmHg")
    spo2: int | None = Field(None, description="oxygen saturation, %")
    temperature: float | None = Field(None, description="°C")
    avpu: str | None = Field(None, description="A alert, V voice, P pain, U unresponsive")
    gcs: int | None = Field(None, description="Glasgow coma scale, 3–15")
    pain: int | None = Field(None, description="numeric rating, 0–10")
    complaint: str = Field("other", description="one of: " + ", ".join(COMPLAINTS))
    mobility: Mobility = Field(Mobility.WALKS, description="walks, sits (may go by a partner car) or lies")

    def vitals(self) -> Vitals:
        return Vitals(**self.model_dump(exclude={"policy", "latitude", "longitude", "institution_id",
                                                 "patient_record_id"}))


class AssessmentIn(VitalsIn):
    policy: str = Field(DEFAULT_POLICY, description="triage table: cn4 (four levels) or cn5 (five levels)")
    latitude: float | None = Field(None, description="where the patient is; default the institution")
    longitude: float | None = None
    institution_id: int | None = Field(None, description="where the patient is assessed; default the caller's")
    patient_record_id: int | None = None


class FiredOut(Out):
    code: str
    level: int
    rule: str
    value: str | int | float | None


class PlaceOut(Out):
    id: int
    name: str
    name_en: str
    type: str
    grade_level: int | None
    grade_class: str | None
    latitude: float
    longitude: float
    distance_km: float


class ResultOut(Out):
    policy: str
    level: int
    level_name: str
    max_wait_minutes: int
    fired: list[FiredOut]
    care: CareLevel
    needs_tertiary: bool
    dispatch: bool
    capability: Capability
    institutions: list[PlaceOut] = []


class AssessmentOut(Out):
    id: int
    institution_id: int
    patient_record_id: int | None
    policy: str
    level: int
    fired: list[str]
    vitals: dict
    complaint: str
    mobility: Mobility
    care: CareLevel
    capability: Capability
    dispatch: bool
    latitude: float
    longitude: float
    destination_institution_id: int | None
    created_at: dt.datetime
    result: ResultOut | None = None


class LevelOut(Out):
    level: int
    name: str
    max_wait_minutes: int
    care: CareLevel
    dispatch: bool


class CriterionOut(Out):
    code: str
    level: int
    field: str
    op: str
    threshold: str | int | float | list[str]


class PolicyOut(Out):
    code: str
    title: str
    levels: list[LevelOut]
    criteria: list[CriterionOut]
