"""Pages: the public directory, sign-in and sign-out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind
from medshare.deps import SessionDep
from medshare.errors import Unauthenticated
from medshare.registry import service as registry
from medshare.web.core import SESSION_COOKIE, CsrfChecked, MaybeViewer, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def directory(request: Request, session: SessionDep, viewer: MaybeViewer,
              q: Annotated[str, Query(max_length=100)] = ""):
    institutions, total = registry.search_institutions(session, q=q, limit=20)
    return render(request, "directory.html", {"institutions": institutions, "total": total, "q": q,
                                              "today": dt.date.today()})


@router.get("/login")
def login_form(request: Request, viewer: MaybeViewer, next: str = "/"):
    return render(request, "login.html", {"next": next})


def _safe_next(target: str) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, session: SessionDep, viewer: MaybeViewer,
          username: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    try:
        user = accounts.authenticate(session, username, password)
    except Unauthenticated as error:
        return render(request, "login.html", {"next": next, "error": error.message, "username": username},
                      status_code=401)
    settings = request.app.state.settings
    raw, _ = accounts.issue_token(session, user, TokenKind.SESSION, dt.timedelta(hours=settings.session_hours))
    response = redirect(_safe_next(next))
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=settings.session_hours * 3600)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, viewer: MaybeViewer):
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.revoke_token(session, raw)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response
