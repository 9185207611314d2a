"""Annotated dependencies shared by every router: sessions, the caller, permission checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind
from medshare.errors import Forbidden, Unauthenticated
from medshare.permissions import Permission, Principal, has

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FINISHING_THREADS = 8


def _finishing_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "finishing", None) is None:
        state.finishing = anyio.CapacityLimiter(FINISHING_THREADS)
    return state.finishing


@asynccontextmanager
async def _request_session(request: Request, writing: bool) -> AsyncIterator[Session]:
    """A request's session; the route's thread runs its work, commit and rollback run on threads of their own.

    The route's first statement opens the transaction (on SQLite, BEGIN IMMEDIATE takes the
    write lock). Finishing it on the shared worker threads could deadlock: every worker
    thread may be waiting for that very lock. Its own small pool always has a thread free.
    """
    state = request.app.state
    session = (state.writer if writing else state.reader)()
    limiter = _finishing_limiter(request)

    async def finish(step) -> None:
        # Shielded: a client that hangs up cancels the request, and an unfinished transaction
        # would keep its connection, and on SQLite the write lock, forever.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(step, limiter=limiter)

    try:
        yield session
        await finish(session.commit)
    except BaseException:
        await finish(session.rollback)
        raise
    finally:
        await finish(session.close)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request, committed before the response is sent."""
    async with _request_session(request, writing=request.method not in SAFE_METHODS) as session:
        yield session


async def get_writing_session(request: Request) -> AsyncIterator[Session]:
    """A writing session even for GET: for reads that leave an audit event (patient data)."""
    async with _request_session(request, writing=True) as session:
        yield session


# scope="function": the transaction ends (commits) before the response leaves, so whatever a
# client sees acknowledged is durable.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
AuditedReadSessionDep = Annotated[Session, Depends(get_writing_session, scope="function")]


def principal_for_token(request: Request, raw: str, kind: TokenKind) -> Principal | None:
    """The account behind a token, looked up in a short reading session of its own.

    Not in the request's session: that one may hold SQLite's write lock from its first
    statement, and holding it across the hop from this dependency to the route (which waits
    for a free worker thread) would let waiting writers exhaust the threads and stall.
    """
    with request.app.state.reader() as session:
        user = accounts.user_for_token(session, raw, kind)
        return accounts.principal_of(user) if user else None


def bearer_principal(request: Request) -> Principal:
    """The account behind the request's bearer token; 401 without a live one."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthenticated("send an Authorization: Bearer token (see `medshare admin token`)")
    principal = principal_for_token(request, raw.strip(), TokenKind.API)
    if principal is None:
        raise Unauthenticated("the bearer token is unknown, expired or revoked")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(bearer_principal)]


def require(permission: Permission):
    """A route dependency: the caller must hold permission over some objects (deny by default)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not has(principal, permission):
            raise Forbidden(f"the role {principal.role.value} lacks the permission {permission.value}")
        return principal

    check.permission = permission  # read by the authorisation tests' route table
    return Depends(check)


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="items per page")] = 20,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> dict[str, int]:
    """limit and offset of a search."""
    return {"limit": limit, "offset": offset}


PageParams = Annotated[dict[str, int], Depends(page_params)]
