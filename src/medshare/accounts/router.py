"""JSON API of accounts and bearer tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from medshare.accounts import service
from medshare.accounts.models import Role, TokenKind
from medshare.accounts.schemas import TokenOut, TokenRequest, UserIn, UserOut, UserPatch
from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.errors import DomainError, Problem, Unauthenticated
from medshare.permissions import Permission, Principal, authorize
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _refusal(request: Request, error: DomainError) -> JSONResponse:
    # Answered, not raised: the request's transaction must commit the failed attempt it recorded.
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    if isinstance(error, service.TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(Problem.from_error(error, request.url.path).as_dict(), status_code=error.status,
                        media_type="application/problem+json", headers=headers)


_PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}


@router.post("/auth/token", response_model=TokenOut, status_code=status.HTTP_201_CREATED,
             summary="Exchange a username and password for a bearer token",
             responses={401: {"description": "The username or password is wrong", **_PROBLEM},
                        429: {"description": "Too many failed attempts for this name or from this address; "
                                             "see Retry-After", **_PROBLEM}})
def create_token(request: Request, session: SessionDep, data: TokenRequest):
    settings = request.app.state.settings
    source = request.client.host if request.client else ""
    try:
        user = service.login(session, data.username, data.password, source, service.login_policy(settings))
    except (Unauthenticated, service.TooManyAttempts) as error:
        return _refusal(request, error)
    raw, token = service.issue_token(session, user, TokenKind.API, dt.timedelta(days=settings.api_token_days))
    return TokenOut(access_token=raw, expires_at=token.expires_at)


@router.get("/me", response_model=UserOut, summary="The account behind the token")
def me(session: SessionDep, principal: CurrentPrincipal):
    return UserOut.model_validate(service.get_user(session, principal.user_id))


@router.get("/users", response_model=Page[UserOut], summary="Search accounts")
def list_users(
    session: SessionDep,
    page: PageParams,
    actor: Annotated[Principal, require(Permission.USER_READ)],
    q: Annotated[str, Query(max_length=64)] = "",
    institution_id: int | None = None,
    role: Role | None = None,
):
    rows, total = service.list_users(session, actor, q=q, institution_id=institution_id, role=role, **page)
    return Page(items=[UserOut.model_validate(u) for u in rows], total=total, **page)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Open an account")
def create_user(session: SessionDep, data: UserIn, actor: Annotated[Principal, require(Permission.USER_WRITE)]):
    return UserOut.model_validate(service.create_user(session, actor, data))


@router.get("/users/{user_id}", response_model=UserOut, summary="Read an account")
def read_user(session: SessionDep, user_id: int, actor: Annotated[Principal, require(Permission.USER_READ)]):
    user = service.get_user(session, user_id)
    authorize(actor, Permission.USER_READ, institutions=[user.institution_id])
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change an account")
def update_user(session: SessionDep, user_id: int, patch: UserPatch, actor: CurrentPrincipal):
    user = service.get_user(session, user_id)
    return UserOut.model_validate(service.update_user(session, actor, user, patch))


@router.delete("/users/{user_id}", response_model=UserOut, summary="Deactivate an account and end its tokens")
def deactivate_user(session: SessionDep, user_id: int, actor: Annotated[Principal, require(Permission.USER_WRITE)]):
    return UserOut.model_validate(service.deactivate_user(session, actor, service.get_user(session, user_id)))
