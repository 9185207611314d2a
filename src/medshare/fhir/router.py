"""The FHIR R4 REST API at /fhir (application/fhir+json); every error is an OperationOutcome."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from medshare.accounts import service as accounts
from medshare.accounts.models import AuthToken, TokenKind
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import DomainError
from medshare.fhir import capability, scopes, store
from medshare.fhir.outcome import FHIR_JSON, FhirError, Issue, from_domain_error, outcome
from medshare.permissions import Principal
from medshare.records.models import FhirTokenScope

log = logging.getLogger("medshare.fhir")


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def error_response(error: Exception) -> JSONResponse:
    if isinstance(error, FhirError):
        failure = error
    elif isinstance(error, DomainError):
        failure = from_domain_error(error)
    elif isinstance(error, IntegrityError):
        failure = FhirError.one(409, "conflict", "the change conflicts with data written at the same time; "
                                "nothing was changed")
    elif isinstance(error, OperationalError):
        log.error("database unavailable: %s: %s", type(error.orig).__name__, error.orig)
        failure = FhirError.one(503, "transient", "the database is busy or down; nothing was changed, try again")
    else:  # RequestValidationError
        failure = FhirError(400, [Issue("invalid", e.get("msg", "invalid"),
                                        [".".join(str(p) for p in e.get("loc", ()))]) for e in error.errors()])
    headers = {"WWW-Authenticate": "Bearer"} if failure.status == 401 else None
    return fhir_response(outcome(failure.issues), failure.status, headers)


class FhirRoute(APIRoute):
    """A route whose errors (its dependencies' too) are answered as OperationOutcome, never problem+json."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (FhirError, DomainError, IntegrityError, OperationalError, RequestValidationError) as error:
                return error_response(error)
            except ValidationError as error:  # a mapped value a domain schema refuses (e.g. gender "robot")
                return error_response(RequestValidationError(error.errors()))

        return handle


router = APIRouter(prefix="/fhir", tags=["FHIR R4"], route_class=FhirRoute)


# The caller


@dataclass(frozen=True)
class Caller:
    principal: Principal
    grants: list[scopes.Grant]
    scope_text: str


def fhir_caller(request: Request) -> Caller:
    """The account and SMART scopes behind the bearer token; 401 OperationOutcome without one."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise FhirError.one(401, "login", "send an Authorization: Bearer token")
    with request.app.state.reader() as session:
        user = accounts.user_for_token(session, raw, TokenKind.API)
        if user is None:
            raise FhirError.one(401, "login", "the bearer token is unknown, expired or revoked")
        principal = accounts.principal_of(user)
        narrowed = session.scalar(sa.select(FhirTokenScope.scopes).join(
            AuthToken, AuthToken.id == FhirTokenScope.token_id).where(
            AuthToken.digest == hashlib.sha256(raw.encode()).hexdigest()))
    text = narrowed if narrowed is not None else scopes.default_scopes(principal.role)
    return Caller(principal, scopes.parse(text), text)


CallerDep = Annotated[Caller, Depends(fhir_caller)]


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise FhirError.one(400, "required", "the request needs a JSON body")
    try:
        return json.loads(raw)
    except ValueError as error:
        raise FhirError.one(400, "structure", f"the body is not JSON: {error}") from error


BodyDep = Annotated[Any, Depends(json_body)]


@contextmanager
def undone_on_error(session):
    """Roll the request's work back when the route fails.

    The request session's dependency finishes (commits) without seeing the route's exception,
    so a failed write is undone here before the OperationOutcome goes out: nothing is written.
    """
    try:
        yield
    except BaseException:
        session.rollback()
        raise


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def read_options(request: Request) -> store.ReadOptions:
    purpose = request.headers.get("x-purpose-of-use") or request.query_params.get("_purpose") or "TREAT"
    reason = request.headers.get("x-emergency-reason") or request.query_params.get("_emergency") or ""
    return store.ReadOptions(purpose=purpose.strip().upper()[:20], emergency_reason=reason.strip()[:200])


def search_params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in ("_purpose", "_emergency")]


def _headers(resource: dict, kind: str, base: str | None = None) -> dict:
    meta = resource.get("meta") or {}
    headers = {}
    if meta.get("versionId"):
        headers["ETag"] = f'W/"{meta["versionId"]}"'
        if base:
            headers["Location"] = f"{base}/{kind}/{resource['id']}/_history/{meta['versionId']}"
    return headers


# Discovery


@router.get("/metadata", summary="CapabilityStatement: what this server implements")
def metadata(request: Request):
    return fhir_response(capability.statement(base_url(request)))


@router.get("/.well-known/smart-configuration", summary="SMART configuration")
def smart_configuration(request: Request):
    return JSONResponse(capability.smart_configuration(base_url(request)))


@router.post("/auth/token", summary="Narrow a bearer token to SMART scopes (a new token)")
async def token(request: Request, caller: CallerDep, session: SessionDep):
    form = await request.form() if "form" in request.headers.get("content-type", "") else {}
    if not form:
        try:
            form = json.loads(await request.body() or b"{}")
        except ValueError:
            form = {}
    requested = str(form.get("scope") or "")
    granted = scopes.narrow(requested, caller.grants)
    if not granted:
        raise FhirError.one(400, "invalid", "none of the requested scopes is within the token's own", "scope")
    return issue_scoped_token(session, caller.principal.user_id, granted)


def issue_scoped_token(session, user_id: int, granted: str, hours: int = 1) -> JSONResponse:
    import datetime as dt

    user = accounts.get_user(session, user_id)
    raw, row = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=hours))
    session.add(FhirTokenScope(token_id=row.id, scopes=granted))
    session.flush()
    return JSONResponse({"access_token": raw, "token_type": "Bearer", "expires_in": hours * 3600,
                         "scope": granted}, headers={"Cache-Control": "no-store"})


# Whole-system interactions


@router.post("", summary="Transaction or batch Bundle")
@router.post("/", include_in_schema=False)
def bundle(request: Request, caller: CallerDep, session: SessionDep, body: BodyDep):
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError.one(400, "invalid", "POST /fhir takes a transaction or batch Bundle", "Bundle")
    entries = body.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise FhirError.one(400, "structure", "Bundle.entry is a list of objects", "Bundle.entry")
    for i, entry in enumerate(entries):
        request_ = (entry or {}).get("request") or {}
        method = (request_.get("method") or "").upper()
        kind = (request_.get("url") or "").split("?")[0].split("/")[0]
        if kind:
            interaction = {"POST": "create", "PUT": "update"}.get(
                method, "read" if "/" in (request_.get("url") or "") else "search")
            if not scopes.allows(caller.grants, kind, interaction):
                raise FhirError.one(403, "forbidden", f"the token's scopes do not allow {interaction} of {kind}",
                                    f"Bundle.entry[{i}].request")
    options = read_options(request)
    with undone_on_error(session):
        if body.get("type") == "batch":
            result = store.batch(session, caller.principal, body, base_url(request), options)
        else:
            result = _applied_despite_races(session, lambda: store.transaction(
                session, caller.principal, body, base_url(request), options))
    return fhir_response(result)


def _applied_despite_races(session: Session, apply, attempts: int = 3):
    """Apply a transaction Bundle in a savepoint, again if it collided with one committed at the same time
    (both creating the same identifier or person): by then the other has committed, so this one finds its
    rows instead of inserting them twice. Still all or nothing; the last collision is the client's 409."""
    for attempt in range(attempts):
        savepoint = session.begin_nested()
        try:
            result = apply()
            savepoint.commit()
            return result
        except IntegrityError:
            savepoint.rollback()
            if attempt == attempts - 1:
                raise


# Type-level and instance-level interactions


@router.post("/Patient/$match", summary="Match a Patient against the master patient index")
def match(request: Request, caller: CallerDep, session: AuditedReadSessionDep, body: BodyDep):
    scopes.check(caller.grants, "Patient", "search")
    return fhir_response(store.patient_match(session, caller.principal, body, base_url(request)))


@router.get("/DiagnosticReport/{key}/$verify", operation_id="fhir_verify_report_get",
            summary="$verify: is the report as its author signed it (valid, altered, revoked, expired)?")
@router.post("/DiagnosticReport/{key}/$verify", operation_id="fhir_verify_report_post",
             summary="$verify: is the report as its author signed it (valid, altered, revoked, expired)?")
def verify_report(key: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    from medshare.pki import reports

    scopes.check(caller.grants, "DiagnosticReport", "read")
    report = store.find(session, "DiagnosticReport", key)
    if report is None:
        raise FhirError.one(404, "not-found", f"DiagnosticReport/{key} does not exist")
    return fhir_response(capability.verification_parameters(
        session, reports.verify_report(session, caller.principal, report)))


@router.get("/{kind}", summary="Search")
def search_type(kind: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    scopes.check(caller.grants, kind, "search")
    return fhir_response(store.search_bundle(session, caller.principal, kind, search_params(request),
                                             read_options(request), base_url(request)))


@router.post("/{kind}/_search", summary="Search (form-encoded parameters)")
async def search_post(kind: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    import anyio

    scopes.check(caller.grants, kind, "search")
    form = await request.form()
    params = search_params(request) + [(k, str(v)) for k, v in form.multi_items()]
    return fhir_response(await anyio.to_thread.run_sync(
        lambda: store.search_bundle(session, caller.principal, kind, params, read_options(request),
                                    base_url(request))))


@router.post("/{kind}", summary="Create")
def create(kind: str, request: Request, caller: CallerDep, session: SessionDep, body: BodyDep):
    scopes.check(caller.grants, kind, "create")
    with undone_on_error(session):
        _, created, served = store.write(store.Ctx(session, caller.principal), kind, body, method="POST")
    return fhir_response(served, 201 if created else 200, _headers(served, kind, base_url(request)))


@router.get("/{kind}/{key}", summary="Read")
def read(kind: str, key: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    scopes.check(caller.grants, kind, "read")
    resource = store.read(session, caller.principal, kind, key, read_options(request))
    return fhir_response(resource, headers=_headers(resource, kind))


@router.put("/{kind}/{key}", summary="Update (or create with this id)")
def update(kind: str, key: str, request: Request, caller: CallerDep, session: SessionDep, body: BodyDep):
    scopes.check(caller.grants, kind, "update")
    with undone_on_error(session):
        _, created, served = store.write(store.Ctx(session, caller.principal), kind, body, key=key, method="PUT")
    return fhir_response(served, 201 if created else 200, _headers(served, kind, base_url(request)))


@router.get("/{kind}/{key}/_history", summary="History of a resource")
def history(kind: str, key: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    scopes.check(caller.grants, kind, "history")
    return fhir_response(store.history(session, caller.principal, kind, key, read_options(request),
                                       base_url(request)))


@router.get("/{kind}/{key}/_history/{version}", summary="Read one version")
def vread(kind: str, key: str, version: str, request: Request, caller: CallerDep, session: AuditedReadSessionDep):
    scopes.check(caller.grants, kind, "vread")
    if not version.isdigit():
        raise FhirError.one(404, "not-found", f"no version '{version}'")
    resource = store.read(session, caller.principal, kind, key, read_options(request), version=int(version))
    return fhir_response(resource, headers=_headers(resource, kind))


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
def unknown(rest: str, request: Request):
    status = 405 if request.method in ("DELETE", "PATCH") else 404
    raise FhirError.one(status, "not-supported", f"{request.method} /fhir/{rest} is not an interaction this server "
                        "supports (see /fhir/metadata)")
