"""Shapes shared by every domain's API: pages of results."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

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


class Patch(Strict):
    """Partial updates: a field left out keeps its value; null clears it, but only the fields named in
    `clearable` may be cleared (the others hold something every record must have)."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # The documented schema says the same: null only where a field may be cleared.
        schema = handler.resolve_ref_schema(handler(core_schema))
        for name, field in schema.get("properties", {}).items():
            if name not in cls.clearable and "anyOf" in field:
                field["anyOf"] = [kind for kind in field["anyOf"] if kind != {"type": "null"}]
                field.pop("default", None)
        return schema

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value, info: ValidationInfo):
        if value is None and info.field_name not in cls.clearable:
            raise PydanticCustomError("not-null", "may not be null: leave the field out to keep its value")
        return value


class Out(BaseModel):
    """Output bodies, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
