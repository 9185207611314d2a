"""create_app: the web app and API, with one error handler for every kind of client."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from medshare import __version__
from medshare.accounts.router import router as accounts_router
from medshare.assets.router import router as assets_router
from medshare.audit.router import router as audit_router
from medshare.audit.service import Origin, current_origin
from medshare.db import get_engine, session_factory
from medshare.errors import Conflict, DomainError, FieldProblem, InvalidInput, Problem
from medshare.identity.linkage_router import router as linkage_router
from medshare.identity.router import router as identity_router
from medshare.registry.router import router as registry_router
from medshare.scheduling.router import router as scheduling_router
from medshare.settings import Settings, get_settings
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


def install_error_handlers(app: FastAPI) -> None:
    """Every error becomes a problem document (API) or an error page (web), naming field and rule."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        return _problem_response(request, Problem.from_error(error, request.url.path))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        problems = [FieldProblem(_field_of(tuple(e["loc"])), e["type"], e["msg"]) for e in error.errors()]
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return _problem_response(request, Problem.from_error(InvalidInput(detail, problems=problems),
                                                             request.url.path))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, error: IntegrityError):
        # A uniqueness race lost to a concurrent writer: nothing was written.
        return _problem_response(request, Problem.from_error(
            Conflict("the change conflicts with data written at the same time; nothing was changed"),
            request.url.path))

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, error: OperationalError):
        log.error("database unavailable: %s", type(error.orig).__name__)
        return _problem_response(request, Problem(503, "Service unavailable", "the database is busy or down; "
                                                  "nothing was changed, try again", "database-unavailable"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        return _problem_response(request, Problem(error.status_code, str(error.detail), str(error.detail), code,
                                                  request.url.path))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


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
    app.state.engine = engine
    app.state.reader = session_factory(engine, writing=False)
    app.state.writer = session_factory(engine, writing=True)

    @app.middleware("http")
    async def origin_and_limits(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            problem = Problem(413, "Content too large", f"bodies are limited to {MAX_BODY_BYTES} bytes",
                              "body-too-large", request.url.path)
            return JSONResponse(problem.as_dict(), status_code=413, media_type=PROBLEM_JSON)
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        channel = "api" if request.url.path.startswith(("/api/", "/fhir")) else "web"
        current_origin.set(Origin(channel=channel, source_ip=request.client.host if request.client else "",
                                  request_id=request_id))
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    install_error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness: answers without touching the database")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (registry_router, identity_router, linkage_router, assets_router, accounts_router, audit_router,
                   scheduling_router):
        app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory` (each worker process builds its own app)."""
    return create_app()
