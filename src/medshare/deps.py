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
# Worker threads that writing transactions may never take, so that a transaction that holds
# locks always finds a thread for the rest of its request (FastAPI validates the response
# on a worker thread before the session ends).
THREADS_KEPT_FROM_WRITERS = 8


def _finishing_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "finishing", None) is None:
        state.finishing = anyio.CapacityLimiter(FINISHING_THREADS)
    return state.finishing


def _write_gate(request: Request) -> anyio.Semaphore:
    """How many writing transactions of this process may be open at once.

    Without a bound, writers waiting for a lock (SQLite's single write lock, or a PostgreSQL
    row another request inserted) can take every worker thread, and the request holding the
    lock then waits forever for a thread to finish on. SQLite has one writer at a time anyway,
    so there the gate lets one through and the others wait here, without a thread.
    """
    state = request.app.state
    if getattr(state, "write_gate", None) is None:
        threads = anyio.to_thread.current_default_thread_limiter().total_tokens
        one_writer = state.engine.dialect.name == "sqlite"
        state.write_gate = anyio.Semaphore(1 if one_writer else max(1, threads - THREADS_KEPT_FROM_WRITERS))
    return state.write_gate


@asynccontextmanager
async def _request_session(request: Request, writing: bool) -> AsyncIterator[Session]:
    """A request's session: writers pass the write gate first; the route's thread runs the work.

    The route's first statement opens the transaction (on SQLite, BEGIN IMMEDIATE takes the
    write lock). Commit and rollback run on a small pool of threads of their own, which always
    has a thread free whatever the shared worker threads are waiting for.
    """
    state = request.app.state
    limiter = _finishing_limiter(request)
    if writing:
        async with _write_gate(request), _transaction(state.writer(), limiter) as session:
            yield session
    else:
        async with _transaction(state.reader(), limiter) as session:
            yield session


@asynccontextmanager
async def _transaction(session: Session, limiter: anyio.CapacityLimiter) -> AsyncIterator[Session]:
    """session's transaction, committed when the block succeeds and rolled back when it fails."""

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
