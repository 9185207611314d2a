"""The authorisation matrix: every route (API, FHIR and pages) × nine callers, tried against hospital A's
objects, must answer as the table in matrix_table.py says; any allow the table does not expect fails.

A new route without a row fails too. To review a change of access on purpose, regenerate the table
(MEDSHARE_MATRIX_WRITE=1 pytest tests/integration/security/test_authorisation_matrix.py -k sqlite) and
read its diff: each letter that turns into an A is someone who can now do something they could not.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind
from medshare.db import transaction
from medshare.main import create_app
from medshare.permissions import has
from tests.integration.api.test_authorisation import cases, world  # noqa: F401  (the world of every domain)
from tests.integration.security import matrix
from tests.integration.security.matrix_table import TABLE

TABLE_FILE = Path(__file__).with_name("matrix_table.py")


@pytest.fixture(scope="module")
def callers(world, committed):  # noqa: F811
    """Per role: its API token, a web session cookie, and its principal (None for nobody)."""
    out = {"anonymous": (None, None, None)}
    with transaction(committed) as session:
        for role in matrix.ROLES[1:]:
            user = accounts.user_for_token(session, world.tokens[role], TokenKind.API)
            cookie, _ = accounts.issue_token(session, user, TokenKind.SESSION, dt.timedelta(hours=2))
            out[role] = (world.tokens[role], cookie, accounts.principal_of(user))
    return out


def _routes(settings) -> list[tuple[str, str, object]]:
    return sorted(matrix.app_routes(create_app(settings)), key=lambda r: (r[1], r[0]))


def test_every_route_has_a_row_and_every_row_a_route(settings):
    routes = {(method, path) for method, path, _ in _routes(settings)}
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, f"routes without a row in matrix_table.py (regenerate and review): {missing}"
    assert not stale, f"rows of routes that no longer exist: {stale}"


def _should_try(method: str, path: str, route, role: str, principal) -> bool:
    if method in matrix.SAFE or role == "anonymous" or role in matrix.FOREIGN:
        return True
    declared = matrix.declared_permissions(route)
    # A write by a caller who holds its permission would really happen; test_authorisation covers those.
    return bool(declared) and not all(has(principal, p) for p in _permissions(declared))


def _permissions(values: set[str]):
    from medshare.permissions import Permission

    return [Permission(v) for v in values]


def test_every_route_answers_every_caller_as_the_table_says(live_server, settings, world, callers):  # noqa: F811
    urls = matrix.Urls(cases(world), world)
    write_cases = cases(world)
    secret = settings.resolved_secret_key()
    observed: dict[tuple[str, str], str] = {}
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        for method, path, route in _routes(settings):
            letters = []
            url, body = write_cases.get((method, path), (urls.fill(path), None))
            for role in matrix.ROLES:
                token, cookie, principal = callers[role]
                if not _should_try(method, path, route, role, principal):
                    letters.append("-")
                    continue
                letters.append(matrix.try_route(client, method, path, url, role, api_token=token,
                                                session_cookie=cookie, secret=secret, body=body))
            observed[(method, path)] = "".join(letters)
    if os.environ.get("MEDSHARE_MATRIX_WRITE"):
        _write_table(observed)
        pytest.skip("matrix_table.py written; review its diff")
    errors = sorted((role, *key) for key, letters in observed.items()
                    for role, got in zip(matrix.ROLES, letters, strict=True) if got == "E")
    unexpected, lost = [], []
    for key, letters in observed.items():
        expected = TABLE.get(key)
        if expected is None:
            continue  # reported by the row test
        for role, got, want in zip(matrix.ROLES, letters, expected, strict=True):
            if got == "-" or want == "-":
                continue
            if got == "A" and want != "A":
                unexpected.append((role, *key, f"expected {want}"))
            elif want == "A" and got != "A":
                lost.append((role, *key, f"got {got}"))
    assert not unexpected, f"unexpected allows: {unexpected}"
    assert not errors, f"server errors: {errors}"
    assert not lost, f"callers who lost access the table gives them: {lost}"


def _write_table(observed: dict[tuple[str, str], str]) -> None:
    lines = ['"""The authorisation matrix: route → one letter per caller (see matrix.py for the letters).',
             "",
             f"Callers, in order: {', '.join(matrix.ROLES)}.",
             "Generated by test_authorisation_matrix.py with MEDSHARE_MATRIX_WRITE=1, then reviewed.",
             '"""', "", "TABLE = {"]
    lines += [f"    ({method!r}, {path!r}): {letters!r}," for (method, path), letters in sorted(
        observed.items(), key=lambda item: (item[0][1], item[0][0]))]
    lines.append("}")
    TABLE_FILE.write_text("\n".join(lines) + "\n")
