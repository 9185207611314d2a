"""Pages: the public directory, sign-in and sign-out, the language switch and the signed-in home."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from medshare import i18n
from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind
from medshare.accounts.schemas import UserPatch
from medshare.deps import SessionDep
from medshare.errors import Unauthenticated
from medshare.registry import service as registry
from medshare.registry.models import InstitutionType, Profession, Title
from medshare.registry.schemas import institution_out, practitioner_out
from medshare.web.admin import router as admin_router
from medshare.web.assets import router as assets_router
from medshare.web.care import router as care_router
from medshare.web.claims import router as claims_router
from medshare.web.core import (
    LOCALE_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    MaybeViewer,
    Viewer,
    is_htmx,
    redirect,
    render,
)
from medshare.web.identity import router as identity_router
from medshare.web.paging import PAGE_SIZE, Pager, choice, grade_level_of
from medshare.web.recognition import router as recognition_router
from medshare.web.records import router as records_router
from medshare.web.risk import router as risk_router
from medshare.web.scheduling import router as scheduling_router
from medshare.web.supervision import router as supervision_router
from medshare.web.supervision.public import trust_context
from medshare.web.supplies import router as supplies_router
from medshare.web.transport import router as transport_router
from medshare.web.triage import router as triage_router

router = APIRouter(include_in_schema=False)
router.include_router(admin_router)
router.include_router(assets_router)
router.include_router(identity_router)
router.include_router(recognition_router)
router.include_router(scheduling_router)
router.include_router(supplies_router)
router.include_router(risk_router)
router.include_router(claims_router)
router.include_router(supervision_router)
router.include_router(care_router)
router.include_router(triage_router)
router.include_router(transport_router)
router.include_router(records_router)


def _institution_filters(q: str, type: str, grade_level: str, grade_class: str, division: str) -> dict:
    return {
        "q": q,
        "type": choice(type, InstitutionType),
        "grade_level": grade_level_of(grade_level),
        "grade_class": grade_class if grade_class in ("A", "B", "C") else None,
        "division_code": division if division.isdigit() else "",
    }


def _standing_of(session, *, institution_ids=(), practitioner_ids=()) -> dict:
    """Credit level and blacklisting of the entities on one results page, keyed "i:<id>" / "p:<id>"."""
    from medshare.supervision import directory as trust

    return trust.levels(session, institution_ids=institution_ids, practitioner_ids=practitioner_ids)


@router.get("/")
def directory(request: Request, session: SessionDep, viewer: MaybeViewer,
              q: Annotated[str, Query(max_length=100)] = "",
              type: Annotated[str, Query(max_length=40)] = "",
              grade_level: Annotated[str, Query(max_length=1)] = "",
              grade_class: Annotated[str, Query(max_length=1)] = "",
              division: Annotated[str, Query(max_length=6)] = "",
              page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The public directory of institutions, searched live by name, type, grade and division."""
    filters = _institution_filters(q.strip(), type, grade_level, grade_class, division.strip())
    rows, total = registry.search_institutions(session, **filters, limit=PAGE_SIZE,
                                               offset=(page - 1) * PAGE_SIZE)
    today = dt.date.today()
    context = {
        "tab": "institutions",
        "institutions": [institution_out(row, today) for row in rows],
        "standing": _standing_of(session, institution_ids=[row.id for row in rows]),
        "pager": Pager(total, page),
        "query": {"q": q, "type": type, "grade_level": grade_level, "grade_class": grade_class,
                  "division": division},
        "types": list(InstitutionType),
    }
    template = "directory/_institutions.html" if is_htmx(request) else "directory/institutions.html"
    return render(request, template, context)


@router.get("/practitioners")
def practitioner_directory(request: Request, session: SessionDep, viewer: MaybeViewer,
                           q: Annotated[str, Query(max_length=100)] = "",
                           profession: Annotated[str, Query(max_length=40)] = "",
                           specialty: Annotated[str, Query(max_length=100)] = "",
                           title: Annotated[str, Query(max_length=40)] = "",
                           institution: Annotated[str, Query(max_length=12)] = "",
                           page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The public register of practitioners: name, pinyin or licence number, and filters."""
    institution_id = int(institution) if institution.isdigit() else None
    rows, total = registry.search_practitioners(
        session, q=q.strip(), profession=choice(profession, Profession), specialty=specialty.strip(),
        title=choice(title, Title), institution_id=institution_id, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE)
    context = {
        "tab": "practitioners",
        "practitioners": [practitioner_out(row) for row in rows],
        "standing": _standing_of(session, practitioner_ids=[row.id for row in rows]),
        "pager": Pager(total, page),
        "query": {"q": q, "profession": profession, "specialty": specialty, "title": title,
                  "institution": institution},
        "institution": registry.get_institution(session, institution_id) if institution_id else None,
    }
    template = "directory/_practitioners.html" if is_htmx(request) else "directory/practitioners.html"
    return render(request, template, context)


@router.get("/institutions/{institution_id}")
def institution_page(request: Request, session: SessionDep, viewer: MaybeViewer, institution_id: int):
    """One institution's public record: grade, licences, communities and practitioners."""
    institution = registry.get_institution(session, institution_id)
    staff, staff_total = registry.search_practitioners(session, institution_id=institution_id, limit=50)
    return render(request, "directory/institution.html", {
        "institution": institution_out(institution, dt.date.today()),
        "staff": [practitioner_out(p) for p in staff],
        "staff_total": staff_total,
        **trust_context(session, institution_id=institution_id),
    })


@router.get("/practitioners/{practitioner_id}")
def practitioner_page(request: Request, session: SessionDep, viewer: MaybeViewer, practitioner_id: int):
    """One practitioner's public record: licence, primary site and multi-site registrations."""
    practitioner = registry.get_practitioner(session, practitioner_id)
    return render(request, "directory/practitioner.html", {"practitioner": practitioner_out(practitioner),
                                                           **trust_context(session, practitioner_id=practitioner_id)})


@router.get("/directory/institution-options")
def institution_options(request: Request, session: SessionDep, viewer: MaybeViewer,
                        q: Annotated[str, Query(max_length=100)] = ""):
    """The <option>s of an institution picker, for what was typed into its search box."""
    rows, _ = registry.search_institutions(session, q=q.strip(), limit=50)
    return render(request, "_institution_options.html", {"options": rows, "selected": None,
                                                         "pick_first": bool(q.strip())})


@router.get("/login")
def login_form(request: Request, viewer: MaybeViewer, next: str = "/"):
    """The sign-in form."""
    return render(request, "login.html", {"next": next})


def _safe_next(target: str) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, session: SessionDep, viewer: MaybeViewer,
          username: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    """Check the credentials and open a web session; repeated failures lock the name or address for a while."""
    settings = request.app.state.settings
    source = request.client.host if request.client else ""
    try:
        user = accounts.login(session, username, password, source, accounts.login_policy(settings))
    except accounts.TooManyAttempts as error:
        response = render(request, "login.html", {"next": next, "username": username,
                                                  "locked_minutes": -(-error.retry_after // 60)}, status_code=429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except Unauthenticated as error:
        return render(request, "login.html", {"next": next, "error": error.message, "username": username},
                      status_code=401)
    raw, _ = accounts.issue_token(session, user, TokenKind.SESSION,
                                  dt.timedelta(hours=settings.session_hours))
    response = redirect(_safe_next(next))
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=_secure(request),
                        max_age=settings.session_hours * 3600)
    return response


def _secure(request: Request) -> bool:
    """Cookies are Secure when configured so (behind a TLS proxy) or when this request came over HTTPS."""
    return bool(request.app.state.settings.cookie_secure) or request.url.scheme == "https"


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, viewer: MaybeViewer):
    """End the web session."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.revoke_token(session, raw)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.post("/locale", dependencies=[CsrfChecked])
def switch_locale(request: Request, session: SessionDep, viewer: MaybeViewer,
                  locale: Annotated[str, Form(max_length=10)], next: Annotated[str, Form()] = "/"):
    """Change the page language: an account keeps it, a visitor's browser keeps it in a cookie."""
    if locale not in i18n.LOCALES:
        locale = i18n.DEFAULT_LOCALE
    if viewer is not None and viewer.locale != locale:
        user = accounts.get_user(session, viewer.user_id)
        accounts.update_user(session, viewer, user, UserPatch(locale=locale))
    response = redirect(_safe_next(next))
    # Kept for visitors, and after signing out, so the login page speaks the same language.
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                        secure=_secure(request))
    return response


@router.get("/home")
def home(request: Request, session: SessionDep, viewer: Viewer):
    """The signed-in start page: what this account can do here."""
    institution = registry.get_institution(session, viewer.institution_id) if viewer.institution_id else None
    return render(request, "home.html", {"institution": institution})
