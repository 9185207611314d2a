"""Shapes shared by every domain's API: pages of results."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a search: the items, how many match in all, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Strict(BaseModel):
    """Input bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Output bodies, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
