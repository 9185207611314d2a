"""create_app: the web app and API, with one error handler for every kind of client."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from medshare import __version__, input_guard
from medshare.accounts.router import router as accounts_router
from medshare.admission import AdmissionGate
from medshare.api_schema import document_errors
from medshare.assets.router import router as assets_router
from medshare.audit import signing as audit_signing
from medshare.audit.router import router as audit_router
from medshare.audit.service import Origin, current_origin
from medshare.care.router import router as care_router
from medshare.claims.router import router as claims_router
from medshare.db import get_engine, session_factory
from medshare.errors import Conflict, DomainError, FieldProblem, InvalidInput, Problem
from medshare.fhir.outcome import Issue, outcome
from medshare.fhir.router import fhir_response
from medshare.fhir.router import router as fhir_router
from medshare.identity.linkage_router import router as linkage_router
from medshare.identity.router import router as identity_router
from medshare.pki.router import router as pki_router
from medshare.recognition.router import router as recognition_router
from medshare.records.router import router as records_router
from medshare.registry.router import router as registry_router
from medshare.risk.router import router as risk_router
from medshare.scheduling.router import router as scheduling_router
from medshare.settings import Settings, get_settings
from medshare.supervision.router import router as supervision_router
from medshare.supplies.router import router as supplies_router
from medshare.transport.router import router as transport_router
from medshare.triage.router import router as triage_router
from medshare.web import pages
from medshare.web.core import WEB_DIR, LoginRequired, render

log = logging.getLogger("medshare")
PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 5 * 1024 * 1024


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/fhir")) and request.url.path != "/openapi.json"


def _problem_response(request: Request, problem: Problem) -> JSONResponse:
    if _wants_html(request):
        return render(request, "error.html", {"problem": problem}, status_code=problem.status)
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    return JSONResponse(problem.as_dict(), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


INT64_MAX = 2**63 - 1


def _out_of_range_fields(request: Request) -> list[str]:
    """The path and query parameters holding integers no 64-bit column can store."""
    fields = []
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        text = str(value).strip()
        if text.lstrip("+-").isdigit() and abs(int(text)) > INT64_MAX and name not in fields:
            fields.append(name)
    return fields


def install_error_handlers(app: FastAPI) -> None:
    """Every error becomes a problem document (API) or an error page (web), naming field and rule."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        return _problem_response(request, Problem.from_error(error, request.url.path))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        problems = [FieldProblem("body" if e["type"] == "json_invalid" else _field_of(tuple(e["loc"])), e["type"],
                                 e["msg"]) for e in error.errors()]
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return _problem_response(request, Problem.from_error(InvalidInput(detail, problems=problems),
                                                             request.url.path))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, error: IntegrityError):
        # A uniqueness race lost to a concurrent writer: nothing was written.
        return _problem_response(request, Problem.from_error(
            Conflict("the change conflicts with data written at the same time; nothing was changed"),
            request.url.path))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, error: Exception):
        # A value the database cannot store, most often a number beyond 64 bits (SQLite raises
        # OverflowError, PostgreSQL a DataError): refused like any other bad value, nothing was written.
        fields = _out_of_range_fields(request)
        problems = [FieldProblem(field, "out-of-range", "is outside the range of a 64-bit integer") for field in fields]
        problems = problems or [FieldProblem("body", "storable", "holds a value the database cannot store")]
        return _problem_response(request, Problem.from_error(
            InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems),
            request.url.path))

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, error: OperationalError):
        log.error("database unavailable: %s", type(error.orig).__name__)
        return _problem_response(request, Problem(503, "Service unavailable", "the database is busy or down; "
                                                  "nothing was changed, try again", "database-unavailable"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        problem = Problem(error.status_code, str(error.detail), str(error.detail), code, request.url.path)
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # Malformed, too deeply nested or not UTF-8: the body as a whole is the field.
            problem.code, problem.errors = "invalid-json", [
                {"field": "body", "rule": "json", "message": "is not a JSON document this API can read"}]
        return _problem_response(request, problem)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
# Pages load htmx, ECharts and their own scripts from /static only; inline style attributes (bar
# widths) and htmx's indicator <style> need 'unsafe-inline' for styles, never for scripts.
PAGE_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            b"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            b"frame-ancestors 'none'")
# FastAPI's /docs page is Swagger UI from its CDN with an inline bootstrap script.
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
            b"https://fastapi.tiangolo.com; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class QueryRedactingFilter(logging.Filter):
    """Drops query strings from uvicorn's access log: searches carry names and national IDs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryRedactingFilter) for f in access.filters):
        access.addFilter(QueryRedactingFilter())


def _is_fhir(path: str) -> bool:
    return path == "/fhir" or path.startswith("/fhir/")


async def _refuse_input(scope, receive, send, path: str, found: list[tuple[str, str, str]]) -> None:
    """422 naming each field that holds what no route accepts (control characters, 65-bit integers)."""
    if _is_fhir(path):
        response = fhir_response(outcome([Issue("invalid", f"{field}: {message}", [field])
                                          for field, _, message in found]), 422)
    else:
        problems = [FieldProblem(field, rule, message) for field, rule, message in found]
        problem = Problem.from_error(InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems),
                                                  problems=problems), path)
        response = JSONResponse(problem.as_dict(), status_code=422, media_type=PROBLEM_JSON)
    await response(scope, receive, send)


async def _overloaded(scope, receive, send) -> None:
    """503 for a request that waited in line too long (see medshare.admission); nothing was done."""
    path, detail = scope["path"], "the server is busy with other requests; nothing was changed, try again"
    if _is_fhir(path):
        response = fhir_response(outcome([Issue("throttled", detail)]), 503)
    else:
        response = _problem_response(Request(scope, receive), Problem(503, "Service overloaded", detail,
                                                                      "overloaded", path))
    response.headers["Retry-After"] = "5"
    await response(scope, receive, send)


class OriginAndLimits:
    """Refuse oversized bodies, tag each request with its origin for the audit trail, add security headers.

    A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware: that one runs the route in
    a task it cancels when the client hangs up, which could leave a database transaction open.
    hsts: send Strict-Transport-Security on every answer (set when served behind HTTPS); it is
    always sent on requests that arrived over HTTPS.
    """

    def __init__(self, app, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts
        _redact_access_log()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        path = scope["path"]
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            problem = Problem(413, "Content too large", f"bodies are limited to {MAX_BODY_BYTES} bytes",
                              "body-too-large", path)
            await JSONResponse(problem.as_dict(), status_code=413, media_type=PROBLEM_JSON)(scope, receive, send)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        chunked = not declared and "chunked" in headers.get("transfer-encoding", "")
        bad_fields = input_guard.bad_query_fields(scope.get("query_string", b""))
        if input_guard.bad_path(path):
            bad_fields.insert(0, "path")
        if bad_fields:
            found = [(field, input_guard.RULE, input_guard.MESSAGE) for field in bad_fields]
            await _refuse_input(scope, receive, send, path, found)
            return
        if chunked or (is_json and declared not in ("", "0") and scope.get("method") in ("POST", "PUT", "PATCH")):
            # Read the body here, up to the limit (a chunked one declares none), check it, hand it on whole.
            body, more = b"", True
            while more and len(body) <= MAX_BODY_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                problem = Problem(413, "Content too large", f"bodies are limited to {MAX_BODY_BYTES} bytes",
                                  "body-too-large", path)
                response = JSONResponse(problem.as_dict(), status_code=413, media_type=PROBLEM_JSON,
                                        headers={"Connection": "close"})
                await response(scope, receive, send)
                return
            found = input_guard.problems_in(body) if is_json else []
            if found:
                await _refuse_input(scope, receive, send, path, found)
                return
            replayed = False

            async def receive_buffered():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = receive_buffered
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        client = scope.get("client")
        current_origin.set(Origin(channel="api" if path.startswith(("/api/", "/fhir")) else "web",
                                  source_ip=client[0] if client else "", request_id=request_id))

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", request_id.encode("latin-1")), *SECURITY_HEADERS]
                present = {key.lower() for key, _ in message.get("headers", [])}
                if b"x-frame-options" not in present:
                    extra.append((b"x-frame-options", b"DENY"))
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", DOCS_CSP if path.startswith("/docs") else PAGE_CSP))
                if self.hsts or scope.get("scheme") == "https":
                    extra.append(HSTS)
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The medshare web app and API over the configured database (already migrated)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="medshare",
        version=__version__,
        summary="Regional sharing of medical equipment, results, specialists and supplies",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    engine = get_engine(settings.resolved_database_url())
    app.state.settings = settings
    audit_signing.configure(settings)  # checkpoints of the audit chain are signed as it grows
    app.state.engine = engine
    app.state.reader = session_factory(engine, writing=False)
    app.state.writer = session_factory(engine, writing=True)

    # Inside OriginAndLimits: bad input is refused without waiting in line, and a 503 for a
    # request that waited too long carries the security headers like every other answer.
    app.add_middleware(AdmissionGate, limit=settings.max_requests_in_progress,
                       queue_seconds=settings.request_queue_seconds, refuse=_overloaded)
    app.add_middleware(OriginAndLimits, hsts=settings.cookie_secure)
    install_error_handlers(app)
    document_errors(app)

    @app.get("/healthz", tags=["health"], summary="Liveness: answers without touching the database")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (registry_router, identity_router, linkage_router, assets_router, accounts_router, audit_router,
                   scheduling_router):
        app.include_router(router)
    app.include_router(supervision_router)
    app.include_router(care_router)
    for router in (triage_router, transport_router):
        app.include_router(router)
    for router in (claims_router, risk_router):
        app.include_router(router)
    app.include_router(supplies_router)
    for router in (fhir_router, records_router):  # FHIR errors are OperationOutcome, inside its router
        app.include_router(router)
    for router in (pki_router, recognition_router):
        app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory` (each worker process builds its own app)."""
    return create_app()
