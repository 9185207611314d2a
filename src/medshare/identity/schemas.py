"""API shapes of local patient records."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from medshare.schemas import Out, Strict

Sex = Literal["male", "female", "other", "unknown"]


class PatientRecordIn(Strict):
    institution_id: int
    local_id: str = Field(min_length=1, max_length=64, description="the institution's own patient number")
    name: str = Field(min_length=1, max_length=100, description="name in characters")
    name_pinyin: str = Field("", max_length=200, description="derived from name when empty")
    sex: Sex
    birth_date: dt.date | None = None
    national_id: str | None = Field(None, description="GB 11643 resident ID, 18 characters")
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=300)


class PatientRecordPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    name_pinyin: str | None = Field(None, max_length=200)
    sex: Sex | None = None
    birth_date: dt.date | None = None
    national_id: str | None = None
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)


class PatientRecordOut(Out):
    id: int
    institution_id: int
    local_id: str
    name: str
    name_pinyin: str
    sex: str
    birth_date: dt.date | None
    national_id: str | None
    phone: str
    address: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
