"""Admission control: a bounded number of requests in progress per server process, the rest wait in line.

Without a bound, a burst of clients (512 at once in `medshare bench api`) puts every request
into progress together. Routes and dependencies are synchronous, so each request makes several
hops onto the shared pool of worker threads, and each hop queues behind every other request's:
the request holding the database's write lock then needs seconds to get its next thread, writes
all but stop, and nothing is answered within a client's timeout. With at most
`max_requests_in_progress` admitted (fewer than the worker threads), an admitted request always
finds a thread at once; the others wait here, in arrival order, holding no thread, no database
connection and no lock. One that waits longer than `request_queue_seconds` is answered 503 with
Retry-After, having changed nothing: the server is overloaded and says so instead of timing out.

The liveness probe and static files skip the line: they touch no database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

UNQUEUED_PATHS = ("/healthz", "/static/")
# Threads beyond the admitted requests: /healthz, static files and anything else that skips the line.
SPARE_THREADS = 8


class AdmissionGate:
    """ASGI middleware: at most `limit` requests in progress in this process; others wait up to `queue_seconds`.

    refuse(scope, receive, send) answers a request that waited too long.
    """

    def __init__(self, app, limit: int, queue_seconds: float, refuse: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.refuse = refuse
        self.limit = limit
        self.queue_seconds = queue_seconds
        self._slots: anyio.CapacityLimiter | None = None  # made in the server's event loop, on first use

    def _admission(self) -> anyio.CapacityLimiter:
        if self._slots is None:
            self._slots = anyio.CapacityLimiter(self.limit)
            threads = anyio.to_thread.current_default_thread_limiter()
            threads.total_tokens = max(threads.total_tokens, self.limit + SPARE_THREADS)
        return self._slots

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNQUEUED_PATHS):
            await self.app(scope, receive, send)
            return
        slots = self._admission()
        borrower = object()
        with anyio.move_on_after(self.queue_seconds) as waited:
            await slots.acquire_on_behalf_of(borrower)
        if waited.cancelled_caught:
            await self.refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release_on_behalf_of(borrower)

