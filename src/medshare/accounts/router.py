"""JSON API of accounts and bearer tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.accounts import service
from medshare.accounts.models import Role, TokenKind
from medshare.accounts.schemas import TokenOut, TokenRequest, UserIn, UserOut, UserPatch
from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal, authorize
from medshare.schemas import Page
from medshare.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=TokenOut, status_code=status.HTTP_201_CREATED,
             summary="Exchange a username and password for a bearer token")
def create_token(session: SessionDep, data: TokenRequest):
    user = service.authenticate(session, data.username, data.password)
    raw, token = service.issue_token(session, user, TokenKind.API,
                                     dt.timedelta(days=get_settings().api_token_days))
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
