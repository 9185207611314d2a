"""The admission gate: a bounded number of requests in progress, the rest served in arrival order or refused 503."""

from __future__ import annotations

import anyio
import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from medshare.admission import AdmissionGate
from medshare.main import _overloaded
from tests.factories import in_own_loop


class Held:
    """An app whose /work requests stay in progress until released; it records the order they finish in."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.started = 0
        self.finished: list[str] = []

    async def work(self, request):
        self.started += 1
        await self.release.wait()
        self.finished.append(request.query_params.get("n", ""))
        return JSONResponse({"ok": True})

    async def healthz(self, request):
        return JSONResponse({"status": "ok"})

    def client(self, limit: int, queue_seconds: float) -> httpx.AsyncClient:
        routes = [Route(path, self.work) for path in ("/work", "/api/v1/work", "/fhir/Patient")]
        starlette = Starlette(routes=[*routes, Route("/healthz", self.healthz)])
        gate = AdmissionGate(starlette, limit=limit, queue_seconds=queue_seconds, refuse=_overloaded)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://medshare")


async def _until(condition) -> None:
    with anyio.fail_after(5):
        while not condition():
            await anyio.sleep(0.01)


@in_own_loop
async def test_requests_beyond_the_limit_wait_and_are_served_in_arrival_order():
    held = Held()
    async with held.client(limit=2, queue_seconds=30) as client, anyio.create_task_group() as group:
        answers = {}

        async def ask(n: int) -> None:
            answers[n] = (await client.get("/work", params={"n": n})).status_code

        for n in range(6):
            group.start_soon(ask, n)
            await anyio.sleep(0.02)  # arrivals in a known order
        await _until(lambda: held.started == 2)
        await anyio.sleep(0.1)
        assert held.started == 2  # the other four wait in line, not in the app
        assert (await client.get("/healthz")).status_code == 200  # the liveness probe skips the line
        held.release.set()
    assert answers == {n: 200 for n in range(6)}
    assert held.finished[2:] == ["2", "3", "4", "5"]


@in_own_loop
async def test_a_request_that_waits_too_long_gets_503_with_retry_after_and_never_reaches_the_app():
    held = Held()
    async with held.client(limit=1, queue_seconds=0.2) as client, anyio.create_task_group() as group:
        group.start_soon(client.get, "/work")
        await _until(lambda: held.started == 1)
        api = await client.get("/api/v1/work")
        fhir = await client.get("/fhir/Patient")
        assert held.started == 1
        held.release.set()
    assert api.status_code == 503 and int(api.headers["retry-after"]) > 0
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "overloaded"
    assert fhir.status_code == 503 and fhir.headers["content-type"].startswith("application/fhir+json")
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.json()["issue"][0]["code"] == "throttled"
    assert held.finished == [""]


@in_own_loop
async def test_a_slot_is_given_back_when_a_request_fails():
    async def fail(request):
        raise RuntimeError("route failed")

    gate = AdmissionGate(Starlette(routes=[Route("/fail", fail)]), limit=1, queue_seconds=0.5, refuse=_overloaded)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate, raise_app_exceptions=False),
                                 base_url="http://medshare") as client:
        for _ in range(3):  # a leaked slot would turn the second into a 503
            assert (await client.get("/fail")).status_code == 500
