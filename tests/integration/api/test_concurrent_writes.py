"""Concurrent writers through the real server all succeed and all land, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests import factories as f
from tests.integration.api.conftest import auth


def test_parallel_registrations_all_succeed_and_are_all_stored(live_server, world):
    stem = f.unique("并发")
    headers = auth(world.tokens["platform"])

    def register(i: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            response = client.post("/api/v1/institutions", headers=headers, json={
                "code": f.unique("c"), "name": f"{stem}{i:03d}", "type": "village_clinic", "division_code": "350425"})
            return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(register, range(40)))
    assert statuses == [201] * 40
    stored = httpx.get(f"{live_server.url}/api/v1/institutions", params={"q": stem, "limit": 1}).json()
    assert stored["total"] == 40


def test_more_concurrent_writers_than_server_threads_never_stall(live_server, world):
    """A writer holding the lock must find a thread to validate its response and commit on, even when
    every other request is a writer waiting for that lock (the server has 40 worker threads)."""
    headers = auth(world.tokens["platform"])

    def update(i: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            return client.patch(f"/api/v1/institutions/{world.spare_site}", headers=headers,
                                json={"phone": f"0598-{8000000 + i}"}).status_code

    with ThreadPoolExecutor(max_workers=96) as pool:
        statuses = list(pool.map(update, range(192)))
    assert statuses == [200] * 192
