"""What every page needs: templates with translations, the signed-in account, CSRF protection."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from medshare import i18n
from medshare.accounts.models import TokenKind
from medshare.deps import principal_for_token
from medshare.errors import Forbidden
from medshare.permissions import Permission, Principal, authorize, has
from medshare.registry.rules import licence_status
from medshare.web import labels
from medshare.web.forms import FormErrors

WEB_DIR = Path(__file__).parent
SESSION_COOKIE = "medshare_session"
LOCALE_COOKIE = "medshare_locale"
FLASH_COOKIE = "medshare_flash"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"]))
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
templates.env.globals["LOCALES"] = i18n.LOCALES
templates.env.globals["Permission"] = Permission
templates.env.globals["has"] = has
templates.env.filters["label"] = labels.label
templates.env.filters["message"] = labels.message
templates.env.globals["grade"] = labels.grade
templates.env.globals["title_of"] = labels.title
templates.env.globals["KINDS"] = labels.KINDS
templates.env.globals["choices"] = labels.choices
templates.env.globals["NO_ERRORS"] = FormErrors()


def validity(valid_from: dt.date | None, valid_to: dt.date | None) -> str:
    """Today's status of a validity window (valid, expiring, expired, not_yet_valid), by the registry's rule."""
    if valid_to is None:
        return "valid"
    return licence_status(valid_from or dt.date.min, valid_to, dt.date.today())


def query_string(query: dict[str, Any], **changes: Any) -> str:
    """A URL query of query's non-blank values, with changes applied (the page of a pager)."""
    merged = {**query, **changes}
    return urlencode({key: value for key, value in merged.items() if value not in ("", None)})


def can(viewer: Principal | None, permission: Permission, *institutions: int | None) -> bool:
    """Whether viewer may use permission on an object of one of institutions (to show a link or not)."""
    if viewer is None:
        return False
    try:
        authorize(viewer, permission, institutions=institutions)
    except Forbidden:
        return False
    return True


templates.env.globals["can"] = can
templates.env.globals["validity"] = validity
templates.env.globals["query_string"] = query_string


def web_principal(request: Request) -> Principal | None:
    """The account signed in through the session cookie, if any; also fixes the page language."""
    raw = request.cookies.get(SESSION_COOKIE)
    principal = principal_for_token(request, raw, TokenKind.SESSION) if raw else None
    if principal is not None:
        locale = principal.locale
    else:
        locale = request.cookies.get(LOCALE_COOKIE) or i18n.negotiate(request.headers.get("accept-language", ""))
    request.state.locale = locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    request.state.principal = principal
    return principal


MaybeViewer = Annotated[Principal | None, Depends(web_principal)]


class LoginRequired(Exception):
    """Raised by a page that needs a signed-in account; answered by a redirect to /login."""


def signed_in(viewer: MaybeViewer) -> Principal:
    """The signed-in account, or a redirect to the login page."""
    if viewer is None:
        raise LoginRequired
    return viewer


Viewer = Annotated[Principal, Depends(signed_in)]


def page_require(permission: Permission):
    """A page dependency: the signed-in account must hold permission (deny by default)."""

    def check(viewer: Viewer) -> Principal:
        if not has(viewer, permission):
            raise Forbidden(f"the role {viewer.role.value} lacks the permission {permission.value}")
        return viewer

    check.permission = permission
    return Depends(check)


def csrf_token(request: Request) -> str:
    """A token bound to this browser session (or to the anonymous visitor's login form)."""
    secret = request.app.state.settings.resolved_secret_key()
    anchor = request.cookies.get(SESSION_COOKIE, "anonymous")
    return hmac.new(secret.encode(), f"csrf:{anchor}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Every form post carries the session's CSRF token, in the form or the X-CSRF-Token header."""
    sent = csrf_token_field or request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(sent, csrf_token(request)):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page and try again")


CsrfChecked = Depends(check_csrf)


def is_htmx(request: Request) -> bool:
    """Whether htmx asked for a fragment (not a boosted or history-restoring full page)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def _here(request: Request) -> str:
    # Where the language switch returns to: this page, or for a form post the page it came from.
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin):] if referer.startswith(origin + "/") else "/"


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """A page rendered in the viewer's language, with what the layout needs."""
    # Set here, in the thread that renders: a dependency's context does not flow back to the route.
    locale = getattr(request.state, "locale", None) or i18n.negotiate(request.headers.get("accept-language", ""))
    i18n.current_locale.set(locale)
    flash = request.cookies.get(FLASH_COOKIE, "")
    base = {
        "viewer": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "locale": locale,
        "flash": labels.FLASHES.get(flash),
        "here": _here(request),
    }
    response = templates.TemplateResponse(request, template, base | (context or {}), status_code=status_code)
    if flash and not is_htmx(request):
        response.delete_cookie(FLASH_COOKIE)
    # The same address answers with a whole page or, to htmx, a fragment: caches must tell them apart.
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """See-other redirect after a successful form post, with a success message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, flash, max_age=60, httponly=True, samesite="lax")
    return response
