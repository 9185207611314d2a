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
