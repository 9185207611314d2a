"""API shapes of accounts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from medshare.accounts.models import Role
from medshare.schemas import Out, Patch, Strict

Locale = Literal["en", "zh_Hans"]


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field("", max_length=100)
    password: str = Field(min_length=1, max_length=200)
    role: Role
    institution_id: int | None = None
    practitioner_id: int | None = None
    patient_record_id: int | None = None
    locale: Locale = "en"


class UserPatch(Patch):
    display_name: str | None = Field(None, max_length=100)
    password: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    locale: Locale | None = None
    active: bool | None = None


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: Role
    institution_id: int | None
    practitioner_id: int | None
    patient_record_id: int | None
    locale: str
    active: bool
    created_at: dt.datetime


class TokenRequest(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
