"""What every response carries, and bodies refused before any route runs."""

from __future__ import annotations

import httpx

from medshare.admission import AdmissionGate
from medshare.main import create_app
from tests.factories import in_own_loop
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


@in_own_loop
async def test_an_overloaded_server_answers_503_in_each_clients_language_with_the_usual_headers(settings):
    app = create_app(settings.model_copy(update={"max_requests_in_progress": 1, "request_queue_seconds": 0.2}))
    app.middleware_stack = app.build_middleware_stack()
    gate = app.middleware_stack
    while not isinstance(gate, AdmissionGate):
        gate = gate.app
    await gate._admission().acquire_on_behalf_of("a request in progress")  # the only slot taken
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://medshare") as client:
        page, api, fhir = [await client.get(path) for path in ("/", "/api/v1/institutions", "/fhir/Patient")]
        health = await client.get("/healthz")
    assert health.status_code == 200  # the liveness probe skips the line
    for response in (page, api, fhir):
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.headers["x-frame-options"] == "DENY" and "x-request-id" in response.headers
    assert page.headers["content-type"].startswith("text/html")
    assert api.headers["content-type"].startswith("application/problem+json") and api.json()["code"] == "overloaded"
    assert fhir.json()["resourceType"] == "OperationOutcome" and fhir.json()["issue"][0]["code"] == "throttled"


def test_a_patch_may_clear_only_what_a_record_can_be_without_and_a_refused_one_changes_nothing(client, world):
    headers = auth(world.tokens["platform"])
    path = f"/api/v1/institutions/{world.hospital_a}"
    before = client.get(path, headers=headers).json()
    refused = client.patch(path, headers=headers, json={"name": None, "phone": None, "latitude": 26.5})
    assert refused.status_code == 422
    assert {(e["field"], e["rule"]) for e in refused.json()["errors"]} == {("name", "not-null"), ("phone", "not-null")}
    assert client.get(path, headers=headers).json() == before  # the valid latitude was not applied either
    cleared = client.patch(path, headers=headers, json={"latitude": None, "longitude": None})
    assert cleared.status_code == 200
    assert cleared.json()["latitude"] is None and cleared.json()["name"] == before["name"]
    place = {"latitude": before["latitude"], "longitude": before["longitude"]}  # other tests share the hospital
    assert client.patch(path, headers=headers, json=place).status_code == 200
