"""What every response carries, and bodies refused before any route runs."""

from __future__ import annotations

from tests.integration.api.conftest import auth


def test_responses_carry_the_request_id_and_security_headers(client):
    response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32  # made up when the client sent none


def test_an_oversized_body_is_refused_before_the_route_and_writes_nothing(client, world):
    before = client.get("/api/v1/institutions", headers=auth(world.tokens["platform"])).json()["total"]
    response = client.post("/api/v1/institutions", headers=auth(world.tokens["platform"]),
                           content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                           )
    assert response.status_code == 413
    assert response.json()["code"] == "body-too-large"
    assert client.get("/api/v1/institutions", headers=auth(world.tokens["platform"])).json()["total"] == before
