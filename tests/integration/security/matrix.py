"""The authorisation matrix's machinery: every route of the app, the accounts that try it, and what each got.

Each route is tried against hospital A's objects (the world of tests/integration/api/test_authorisation.py)
by nine callers: nobody, a platform admin, a regulator (of hospital B), hospital A's admin and doctor,
hospital B's admin and doctor, a supplier (of B) and a patient of hospital A. Each answer is one letter:

    A  allowed   (2xx, 3xx other than the login redirect, 409: the route ran for this caller)
    D  denied    (401, 403, or a page's redirect to sign in)
    N  not found (404: the object is hidden from this caller, or is not there)
    V  invalid   (400, 422: refused on its input before or after the permission check)
    E  error     (5xx or no answer: a bug, whoever the caller)
    -  not tried (a write an allowed caller would really perform; test_authorisation covers those)
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator

import httpx
from fastapi import routing
from fastapi.routing import APIRoute

ROLES = ("anonymous", "platform", "regulator", "admin_a", "admin_b", "doctor_a", "doctor_b", "supplier", "patient_a")
FOREIGN = ("admin_b", "doctor_b", "supplier")  # accounts of hospital B (the regulator's reach is regional)
SAFE = {"GET"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def app_routes(app) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, path, route) of every API route and page of app, included routers flattened."""
    def flat(routes):
        for route in routes:
            if isinstance(route, routing._IncludedRouter):
                for context in route.effective_route_contexts():
                    yield context.path, context.original_route
            else:
                yield getattr(route, "path", ""), route

    for path, route in flat(app.router.routes):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, path, route


def _dependencies(dependant, found: list) -> list:
    for sub in dependant.dependencies:
        found.append(sub.call)
        _dependencies(sub, found)
    return found


def declared_permissions(route: APIRoute) -> set[str]:
    """The permissions a route declares with require() or page_require()."""
    return {call.permission.value for call in _dependencies(route.dependant, []) if hasattr(call, "permission")}


NO_SUCH_ID = "987654321"


def is_page(path: str) -> bool:
    return not path.startswith(("/api/", "/fhir", "/healthz"))


class Urls:
    """Concrete URLs for route templates: path parameters filled with hospital A's objects.

    Values come from the write cases of test_authorisation (a template and the URL it was filled to),
    keyed by what precedes the parameter, so /exam-requests/{request_id} and /night-requests/{request_id}
    each get their own object; then by parameter name where only one kind of object uses it; then an id no
    object has (so the answer never
    depends on what other tests of the run made).
    """

    def __init__(self, cases: dict, world) -> None:
        self.by_prefix: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        prefixes_of: dict[str, set[str]] = {}
        for (_, template), (url, _) in cases.items():
            pattern = "^" + PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template).replace(
                r"\{", "{").replace(r"\}", "}")) + "$"
            found = re.match(pattern, url.split("?")[0])
            if not found:
                continue
            for name, value in found.groupdict().items():
                prefix = template[:template.index("{" + name)]
                self.by_prefix.setdefault(prefix.removeprefix("/api/v1"), value)
                self.by_name.setdefault(name, value)
                prefixes_of.setdefault(name, set()).add(prefix.removeprefix("/api/v1"))
        for name, prefixes in prefixes_of.items():
            if len(prefixes) > 1:  # e.g. request_id of exam, transport and supply requests: which one is unknowable
                del self.by_name[name]
        named = {"institution_id": world.hospital_a, "practitioner_id": world.practitioner_a,
                 "record_id": world.patient_a, "user_id": world.user_a, "community_id": world.community_a,
                 "licence_id": world.licence_a, "registration_id": world.registration_a,
                 "kind": "Patient", "key": world.patient_a, "version": 1, "rest": "Patient/1/$everything"}
        for name, value in named.items():
            self.by_name.setdefault(name, str(value))
        self.by_name["kind"], self.by_name["key"] = "Patient", str(world.patient_a)
        if getattr(world, "pki_report", None):  # DiagnosticReport/{key}/$verify: hospital A's final report
            self.by_prefix["/fhir/DiagnosticReport/"] = world.pki_report

    def fill(self, template: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            prefix = template[:match.start()].removeprefix("/api/v1")
            return self.by_prefix.get(prefix) or self.by_name.get(name) or NO_SUCH_ID
        return PARAM.sub(value, template)


def csrf_for(secret: str, session_cookie: str | None) -> str:
    """The CSRF token the pages expect from this browser session (see medshare.web.core.csrf_token)."""
    anchor = session_cookie or "anonymous"
    return hmac.new(secret.encode(), f"csrf:{anchor}".encode(), hashlib.sha256).hexdigest()


def classify(response: httpx.Response) -> str:
    """One letter for an answer (see the module's docstring)."""
    status = response.status_code
    if status >= 500:
        return "E"
    if status in (401, 403):
        return "D"
    if status in (301, 302, 303, 307) and "/login" in response.headers.get("location", ""):
        return "D"
    if status == 404:
        return "N"
    if status in (400, 422):
        return "V"
    if status == 405:
        return "N"
    return "A"


def try_route(client: httpx.Client, method: str, path: str, url: str, role: str, *, api_token: str | None,
              session_cookie: str | None, secret: str, body) -> str:
    """The letter for role calling method url."""
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if is_page(path):
        if session_cookie:
            cookies["medshare_session"] = session_cookie
        if method not in SAFE:
            headers["X-CSRF-Token"] = csrf_for(secret, session_cookie)
        kwargs = {"data": body or {}} if method not in SAFE else {}
    else:
        if api_token:
            headers["Authorization"] = f"Bearer {api_token}"
        kwargs = {"json": body if body is not None else {}} if method in ("POST", "PUT", "PATCH") else {}
        if path.startswith("/fhir") and method in ("POST", "PUT"):
            kwargs = {"content": b"{}" if body is None else __import__("json").dumps(body).encode(),
                      "headers": {"Content-Type": "application/fhir+json"}}
    client.cookies.clear()
    client.cookies.update(cookies)
    extra_headers = kwargs.pop("headers", {})
    try:
        response = client.request(method, url, headers=headers | extra_headers, follow_redirects=False, **kwargs)
    except httpx.HTTPError:
        return "E"
    return classify(response)
