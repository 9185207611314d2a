"""Domain errors: a stable code, an HTTP status, and the field and rule that were broken."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One broken rule on one field of the input."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class DomainError(Exception):
    """Base of every error a service raises on purpose; never an HTTP exception."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    @classmethod
    def on(cls, field: str, rule: str, message: str) -> DomainError:
        """An error about a single field and the rule it breaks."""
        return cls(f"{field}: {message}", problems=[FieldProblem(field, rule, message)])


class InvalidInput(DomainError):
    """The input breaks a rule; problems name each field and rule."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


@dataclass
class Problem:
    """An RFC 9457 problem document."""

    status: int
    title: str
    detail: str
    code: str
    instance: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        body = {
            "type": f"/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.instance:
            body["instance"] = self.instance
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def from_error(cls, error: DomainError, instance: str = "") -> Problem:
        return cls(
            status=error.status,
            title=error.title,
            detail=error.message,
            code=error.code,
            instance=instance,
            errors=[p.as_dict() for p in error.problems],
        )
