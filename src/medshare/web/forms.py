"""From an HTML form to a service's Pydantic input, and from its errors back to the form's fields."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from medshare.errors import DomainError, FieldProblem, Forbidden, Unauthenticated

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


class FormErrors:
    """The problems of one submitted form, by field, plus those that belong to no field shown."""

    def __init__(self, problems: Iterable[FieldProblem] = (), summary: str = "") -> None:
        self.by_field: dict[str, list[FieldProblem]] = defaultdict(list)
        for problem in problems:
            self.by_field[problem.field].append(problem)
        self.summary = summary

    def __bool__(self) -> bool:
        return bool(self.by_field or self.summary)

    def get(self, field: str) -> list[FieldProblem]:
        """The problems of field (none when it has none)."""
        return self.by_field.get(field, [])

    def others(self, shown: Iterable[str]) -> list[FieldProblem]:
        """Problems of fields the form does not show, to list above it."""
        shown = set(shown)
        return [p for field, problems in self.by_field.items() if field not in shown for p in problems]


NO_ERRORS = FormErrors()


def errors_of(error: DomainError | ValidationError) -> FormErrors:
    """A service's or a schema's complaint as form errors, naming field and rule."""
    if isinstance(error, ValidationError):
        problems = [FieldProblem(".".join(str(p) for p in e["loc"]) or "form", e["type"], e["msg"])
                    for e in error.errors()]
        return FormErrors(problems)
    if error.problems:
        return FormErrors(error.problems)
    return FormErrors(summary=error.message)


def attempt(session: Session, action: Callable[[], R]) -> tuple[R | None, FormErrors]:
    """Run a service call; on a domain or validation error undo everything and return the errors."""
    try:
        return action(), NO_ERRORS
    except (Forbidden, Unauthenticated):
        raise  # not a mistake in the form: the error page says so, and the form is not shown again
    except (DomainError, ValidationError) as error:
        # The service may have flushed part of its work before the rule broke: nothing stays.
        session.rollback()
        return None, errors_of(error)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _typed(value: str, name: str, ints: Iterable[str]) -> Any:
    # Literal[1, 2, 3] does not accept "3"; other numbers and dates Pydantic parses from text.
    if name in ints and value.lstrip("-").isdigit():
        return int(value)
    return value


def for_create(form: dict[str, str], names: Iterable[str], ints: Iterable[str] = ()) -> dict[str, Any]:
    """The filled-in fields among names; a blank field is left to the schema's default."""
    return {n: _typed(form[n], n, ints) for n in names if form.get(n, "") != ""}


def for_patch(form: dict[str, str], names: Iterable[str], current: Any, ints: Iterable[str] = ()) -> dict[str, Any]:
    """Only the fields whose value differs from current's; a cleared field becomes "" or None."""
    changes: dict[str, Any] = {}
    for name in names:
        if name not in form:
            continue
        old = getattr(current, name)
        new = form[name]
        if _as_text(old) == new:
            continue
        if new == "":
            changes[name] = "" if isinstance(old, str) and not isinstance(old, enum.Enum) else None
        else:
            changes[name] = _typed(new, name, ints)
    return changes


def build(model: type[M], values: dict[str, Any]) -> M:
    """The service input; raises ValidationError naming each bad field."""
    return model.model_validate(values)


def values_of(obj: Any, names: Iterable[str]) -> dict[str, str]:
    """obj's fields as the text a form shows."""
    return {name: _as_text(getattr(obj, name)) for name in names}
