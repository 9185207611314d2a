"""The OpenAPI document says what the API really answers: problem+json errors, OperationOutcome under /fhir.

FastAPI documents a 422 as application/json with its own validation shape, and nothing else; the
app answers every error, of any status, with an RFC 9457 problem document (or, under /fhir, a FHIR
OperationOutcome). Clients generated from the schema, and schemathesis, need the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem document; errors name each field and the rule it broke",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "rule", "message"],
            "properties": {"field": {"type": "string"}, "rule": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
OUTCOME_SCHEMA: dict[str, Any] = {
    "title": "OperationOutcome",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                   "issue": {"type": "array", "minItems": 1, "items": {"type": "object"}}},
}
FHIR_JSON = "application/fhir+json"
PROBLEM_JSON = "application/problem+json"


def _is_fhir(path: str) -> bool:
    return path == "/fhir" or path.startswith("/fhir/")


def _partial_times(node: Any) -> None:
    # JSON Schema's "time" is RFC 3339 full-time, with an offset; the API's opening hours are
    # local wall-clock times without one: RFC 3339 calls that partial-time.
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
        for value in node.values():
            _partial_times(value)
    elif isinstance(node, list):
        for value in node:
            _partial_times(value)


def describe_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """schema with every operation's errors documented as they are answered."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"]["schemas"]["OperationOutcome"] = OUTCOME_SCHEMA
    problem = {"description": "A problem (RFC 9457): the status says which",
               "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    outcome = {"description": "An OperationOutcome: the status says which",
               "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if _is_fhir(path) and "/.well-known/" not in path:  # SMART discovery is plain JSON
                for response in responses.values():
                    content = response.get("content", {})
                    if "application/json" in content:
                        content[FHIR_JSON] = content.pop("application/json")
                responses.pop("422", None)
                responses["default"] = outcome
            else:
                if "422" in responses:
                    responses["422"] = problem | {"description": "Invalid input: errors name each field and rule"}
                responses.setdefault("default", problem)
    _partial_times(schema.get("components", {}))
    return schema


def document_errors(app: FastAPI) -> None:
    """Make app.openapi() describe the problem documents and OperationOutcomes the app answers with."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(build())
        return app.openapi_schema

    app.openapi = openapi
