"""Bad input is refused cleanly and changes nothing: oversized bodies, wrong content types, deep JSON,
unicode oddities, malformed FHIR resources and Bundles; each answer a 4xx naming the field."""

from __future__ import annotations

import json

import pytest

from tests.integration.api.conftest import auth

FHIR = {"Content-Type": "application/fhir+json"}


def _patient(world, **changes) -> dict:
    return {"institution_id": world.hospital_a, "local_id": "BAD-1", "name": "赵敏", "sex": "female",
            "birth_date": "1990-02-03"} | changes


def _count(client, world) -> int:
    return client.get("/api/v1/patients", headers=auth(world.tokens["platform"]), params={"limit": 1}).json()["total"]


def _raw(body: str) -> dict:
    return {"content": body.encode("utf-8", "surrogatepass"), "headers": {"Content-Type": "application/json"}}


BAD_BODIES = {
    # name: (request keyword arguments, the field the answer must name)
    "nul in a name": (lambda w: {"json": _patient(w, name="赵\u0000敏")}, "name"),
    "C1 control in an address": (lambda w: {"json": _patient(w, address="三元区\u009b路")}, "address"),
    "right-to-left override": (lambda w: {"json": _patient(w, name="赵\u202e敏")}, "name"),
    "bidi isolate in a local id": (lambda w: {"json": _patient(w, local_id="A\u2067B")}, "local_id"),
    "lone surrogate": (lambda w: _raw(json.dumps(_patient(w))[:-1] + ', "phone": "\\ud800"}'), "phone"),
    "very long name": (lambda w: {"json": _patient(w, name="赵" * 100_000)}, "name"),
    "very long unknown key": (lambda w: {"json": _patient(w) | {"x" * 10_000: 1}}, "x" * 10_000),
    "number where text is due": (lambda w: {"json": _patient(w, name=12)}, "name"),
    "huge integer": (lambda w: {"json": _patient(w, institution_id=10**40)}, "institution_id"),
    "deep JSON array": (lambda w: _raw("[" * 50_000 + "]" * 50_000), "body"),
    "deep JSON object": (lambda w: _raw('{"a":' * 5_000 + "1" + "}" * 5_000), "body"),
    "not UTF-8": (lambda w: {"content": b'{"name": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
                  "body"),
    "truncated JSON": (lambda w: _raw(json.dumps(_patient(w))[:-5]), "body"),
    "form instead of JSON": (lambda w: {"data": {"name": "赵敏"}}, "body"),
    "text/plain": (lambda w: {"content": json.dumps(_patient(w)), "headers": {"Content-Type": "text/plain"}},
                   "body"),
    "XML": (lambda w: {"content": "<patient/>", "headers": {"Content-Type": "application/xml"}}, "body"),
    "JSON array instead of object": (lambda w: {"json": [_patient(w)]}, "body"),
    "empty body": (lambda w: {"content": b"", "headers": {"Content-Type": "application/json"}}, "body"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_bad_body_is_refused_naming_the_field_and_writes_nothing(client, world, case):
    make, field = BAD_BODIES[case]
    before = _count(client, world)
    kwargs = make(world)
    kwargs.setdefault("headers", {})
    kwargs["headers"] = kwargs["headers"] | auth(world.tokens["platform"])
    response = client.post("/api/v1/patients", **kwargs)
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    assert field in {e["field"] for e in problem.get("errors", [])}, (case, problem)
    assert _count(client, world) == before


def test_oversized_bodies_are_refused_declared_or_chunked(client, world):
    headers = auth(world.tokens["platform"]) | {"Content-Type": "application/json"}
    declared = client.post("/api/v1/patients", headers=headers, content=b"[" + b" " * (6 * 1024 * 1024) + b"]")
    chunked = client.post("/api/v1/patients", headers=headers,
                          content=iter([b"[" + b" " * (1024 * 1024)] * 6))
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json()["code"] == "body-too-large"
    small = client.post("/api/v1/patients", headers=headers, content=iter([json.dumps(_patient(world)).encode()]))
    assert small.status_code == 201, small.text  # a chunked body under the limit goes through


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/patients?q=%E8%B5%B5%00", "q"),
    ("/api/v1/patients?q=%E2%80%AE", "q"),
    ("/api/v1/institutions/1%00", "path"),
    ("/api/v1/institutions/99999999999999999999999", "institution_id"),
    ("/api/v1/institutions?limit=99999999999999999999999", "limit"),
    ("/api/v1/patients?national_id=" + "1" * 1000, "national_id"),
])
def test_bad_query_and_path_values_are_refused_naming_them(client, world, url, field):
    response = client.get(url, headers=auth(world.tokens["platform"]))
    assert response.status_code in (404, 422), (url, response.status_code, response.text)
    if response.status_code == 422:
        assert field in {e["field"] for e in response.json()["errors"]}


# -- FHIR --------------------------------------------------------------------------------------

FHIR_CORPUS = {
    "not JSON": "{not json",
    "a JSON array": "[]",
    "a JSON string": '"Patient"',
    "no resourceType": '{"name": [{"text": "赵敏"}]}',
    "unknown resourceType": '{"resourceType": "Pokemon"}',
    "resourceType of another endpoint": '{"resourceType": "Observation", "status": "final", '
                                        '"code": {"text": "x"}}',
    "gender out of its value set": '{"resourceType": "Patient", "name": [{"text": "赵敏"}], "gender": "robot"}',
    "impossible birth date": '{"resourceType": "Patient", "name": [{"text": "赵敏"}], "birthDate": "1990-13-45"}',
    "wrong type of element": '{"resourceType": "Patient", "name": "赵敏"}',
    "unknown element": '{"resourceType": "Patient", "name": [{"text": "赵敏"}], "favouriteColour": "blue"}',
    "nul in a name": '{"resourceType": "Patient", "name": [{"text": "赵\\u0000敏"}]}',
    "right-to-left override": '{"resourceType": "Patient", "name": [{"text": "赵\\u202e敏"}]}',
    "deeply nested extensions": '{"resourceType": "Patient", "name": [{"text": "赵敏"}], "extension": '
                                + '[{"url": "http://x", "extension": ' * 400 + "[]" + "}]" * 400 + "}",
}
BUNDLE_CORPUS = {
    "Bundle without a type": {"resourceType": "Bundle", "entry": []},
    "Bundle of an unknown type": {"resourceType": "Bundle", "type": "shopping-list", "entry": []},
    "searchset posted as a transaction": {"resourceType": "Bundle", "type": "searchset", "entry": []},
    "transaction entry without request": {"resourceType": "Bundle", "type": "transaction",
                                          "entry": [{"resource": {"resourceType": "Patient"}}]},
    "transaction entry with a bad method": {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"text": "赵敏"}]},
         "request": {"method": "TELEPORT", "url": "Patient"}}]},
    "transaction entry with a null resource": {"resourceType": "Bundle", "type": "transaction",
                                               "entry": [{"resource": None, "request": {"method": "POST",
                                                                                        "url": "Patient"}}]},
    "entries that are not objects": {"resourceType": "Bundle", "type": "transaction", "entry": [1, "two"]},
    "one bad entry among good ones": {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"text": "赵敏"}], "gender": "female"},
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Patient", "name": [{"text": "钱多"}], "gender": "robot"},
         "request": {"method": "POST", "url": "Patient"}}]},
}


def _fhir_count(client, token) -> int:
    response = client.get("/fhir/Patient", params={"_summary": "count"}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["total"]


def _assert_outcome(response, case):
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/fhir+json"), case
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome", case
    assert outcome["issue"] and all(issue["severity"] in ("error", "fatal") for issue in outcome["issue"]), case


def test_every_malformed_fhir_resource_is_refused_with_an_operation_outcome(client, world):
    token = world.tokens["platform"]
    before = _fhir_count(client, token)
    for case, body in FHIR_CORPUS.items():
        response = client.post("/fhir/Patient", content=body.encode(), headers=FHIR | auth(token))
        _assert_outcome(response, case)
        update = client.put("/fhir/Patient/1", content=body.encode(), headers=FHIR | auth(token))
        _assert_outcome(update, f"PUT {case}")
    assert _fhir_count(client, token) == before


def test_every_malformed_bundle_is_refused_whole_with_an_operation_outcome(client, world):
    token = world.tokens["platform"]
    before = _fhir_count(client, token)
    for case, bundle in BUNDLE_CORPUS.items():
        response = client.post("/fhir", content=json.dumps(bundle).encode(), headers=FHIR | auth(token))
        _assert_outcome(response, case)
    assert _fhir_count(client, token) == before  # the good entry of a bad transaction was not kept
