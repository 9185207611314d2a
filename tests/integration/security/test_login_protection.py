"""Sign-in is rate limited per name and per source address, locks survive a restart, cookies and
headers are set for a browser, and every form post needs its CSRF token."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from medshare.accounts.models import LoginAttempt, Role
from medshare.bench.server import ThreadedServer
from medshare.db import transaction
from tests import factories as f


@pytest.fixture
def account(committed):
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        hospital = f.make_institution(session, admin)
        user = f.make_user(session, Role.PRACTITIONER, institution_id=hospital.id)
        name = user.username
    yield name
    with transaction(committed) as session:
        session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == name))


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def _token(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, account):
    for _ in range(5):
        assert _token(client, account, "wrong password!").status_code == 401
    locked = _token(client, account, f.PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["code"] == "too-many-attempts"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "access_token" not in locked.text


def test_a_success_resets_the_account_count(client, account):
    for _ in range(4):
        assert _token(client, account, "wrong password!").status_code == 401
    assert _token(client, account, f.PASSWORD).status_code == 201
    for _ in range(4):
        assert _token(client, account, "wrong password!").status_code == 401
    assert _token(client, account, f.PASSWORD).status_code == 201


def test_an_unknown_name_is_locked_like_a_real_one(client, committed):
    name = f.unique("ghost")
    statuses = [_token(client, name, "guess-guess").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]  # no difference that would tell the name does not exist
    with transaction(committed) as session:
        session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == name))


def test_a_lockout_survives_a_restart_of_the_server(settings, account):
    first = ThreadedServer(settings).start()
    try:
        with httpx.Client(base_url=first.url) as c:
            for _ in range(5):
                _token(c, account, "wrong password!")
    finally:
        first.stop()
    second = ThreadedServer(settings).start()  # a new process would read the same table
    try:
        with httpx.Client(base_url=second.url) as c:
            assert _token(c, account, f.PASSWORD).status_code == 429
    finally:
        second.stop()


def test_one_address_trying_many_names_is_paused(settings, committed):
    strict = settings.model_copy(update={"login_max_failures_per_source": 3})
    with transaction(committed) as session:  # other tests' failures from this address must not count
        session.execute(sa.delete(LoginAttempt).where(LoginAttempt.succeeded.is_(False)))
    server = ThreadedServer(strict).start()
    names = [f.unique("spray") for _ in range(4)]
    try:
        with httpx.Client(base_url=server.url) as c:
            statuses = [_token(c, name, "Winter2026!").status_code for name in names]
        assert statuses == [401, 401, 401, 429]
    finally:
        server.stop()
        with transaction(committed) as session:
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username.in_(names)))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def test_the_login_page_says_when_an_account_is_locked(client, account):
    token = _csrf(client.get("/login").text)
    for _ in range(5):
        response = client.post("/login", data={"username": account, "password": "nope-nope", "csrf_token": token})
        assert response.status_code == 401
    response = client.post("/login", data={"username": account, "password": f.PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in response.text
    assert "medshare_session" not in response.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_plain_http(client, account):
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"username": account, "password": f.PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("medshare_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert "strict-transport-security" not in response.headers


def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(settings, account):
    server = ThreadedServer(settings.model_copy(update={"cookie_secure": True})).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            token = _csrf(c.get("/login").text)
            response = c.post("/login", data={"username": account, "password": f.PASSWORD, "csrf_token": token})
    finally:
        server.stop()
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_pages_and_api_carry_a_content_security_policy(client):
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp
    assert "<script>" not in page.text  # no inline script the policy would block
    api = client.get("/api/v1/me")
    for response in (page, api):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "content-security-policy" in response.headers
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]


def test_a_form_post_without_or_with_a_foreign_csrf_token_is_refused(client, account):
    assert client.post("/login", data={"username": account, "password": f.PASSWORD}).status_code == 403
    stale = "0" * 64
    refused = client.post("/login", data={"username": account, "password": f.PASSWORD, "csrf_token": stale})
    assert refused.status_code == 403
    assert "medshare_session" not in refused.headers.get("set-cookie", "")
    # Signed in, the anonymous form's token no longer fits: tokens are bound to the session.
    anonymous = _csrf(client.get("/login").text)
    client.post("/login", data={"username": account, "password": f.PASSWORD, "csrf_token": anonymous})
    assert client.cookies.get("medshare_session")
    assert client.post("/logout", data={"csrf_token": anonymous}).status_code == 403
    assert client.get("/home").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": _csrf(client.get("/home").text)}).status_code == 303
