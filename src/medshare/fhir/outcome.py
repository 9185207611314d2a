"""FHIR errors: an OperationOutcome with the FHIRPath expression of each bad element."""

from __future__ import annotations

from dataclasses import dataclass, field

from medshare.errors import DomainError

FHIR_JSON = "application/fhir+json"

# DomainError codes of the rest of medshare, as OperationOutcome issue types.
_ISSUE_TYPE = {
    "invalid-input": "invalid",
    "not-found": "not-found",
    "conflict": "conflict",
    "unauthenticated": "login",
    "forbidden": "forbidden",
}


@dataclass
class Issue:
    """One issue of an OperationOutcome: severity, IssueType code, text, and where (FHIRPath)."""

    code: str
    diagnostics: str
    expression: list[str] = field(default_factory=list)
    severity: str = "error"

    def as_dict(self) -> dict:
        issue = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            issue["expression"] = self.expression
        return issue


class FhirError(Exception):
    """An error answered as an OperationOutcome with an HTTP status; nothing of the request is written."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.status = status
        self.issues = issues

    @classmethod
    def one(cls, status: int, code: str, diagnostics: str, expression: str | None = None) -> FhirError:
        return cls(status, [Issue(code, diagnostics, [expression] if expression else [])])

    def at(self, prefix: str) -> FhirError:
        """The same error with each expression placed under prefix (e.g. Bundle.entry[3].resource)."""
        for issue in self.issues:
            issue.expression = [f"{prefix}.{e.split('.', 1)[1]}" if "." in e else prefix
                                for e in issue.expression] or [prefix]
        return self


def invalid(expression: str, diagnostics: str, code: str = "invalid") -> FhirError:
    """A 422 about one element."""
    return FhirError.one(422, code, diagnostics, expression)


def outcome(issues: list[Issue]) -> dict:
    """An OperationOutcome resource."""
    return {"resourceType": "OperationOutcome", "issue": [i.as_dict() for i in issues]}


def from_domain_error(error: DomainError) -> FhirError:
    """A medshare domain error as a FHIR error (the field of each problem as the expression)."""
    code = _ISSUE_TYPE.get(error.code, "processing")
    if error.problems:
        return FhirError(error.status, [Issue(code, p.message, [p.field]) for p in error.problems])
    return FhirError(error.status, [Issue(code, error.message)])


def from_validation_error(resource_type: str, error) -> FhirError:
    """A pydantic ValidationError from fhir.resources as issues with FHIRPath expressions."""
    issues = []
    for e in error.errors():
        path = resource_type
        for part in e.get("loc", ()):
            if isinstance(part, int):
                path += f"[{part}]"
            elif part not in ("__root__",):
                path += f".{part}"
        code = "required" if "missing" in e.get("type", "") else (
            "structure" if e.get("type") == "extra_forbidden" else "value")
        issues.append(Issue(code, f"{path}: {e.get('msg', 'invalid')}", [path]))
    return FhirError(422, issues or [Issue("invalid", str(error), [resource_type])])
