"""The pages through a real browser: one Chromium per run, a fresh context per test, data made by the services."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.accounts.schemas import UserIn
from medshare.db import transaction
from medshare.permissions import Principal
from medshare.registry import service as registry
from medshare.registry.schemas import InstitutionIn

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "medshare" / "web" / "static" / "vendor"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PASSWORD = "web-tests-password"


def unique(prefix: str) -> str:
    """A name no other test in the run uses (the database is shared by the whole run)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", autouse=True)
def vendor_assets() -> None:
    """The pages load htmx from the static folder; fetch it from the npm registry when missing."""
    if not (VENDOR / "htmx.min.js").exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "assets.sh")], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by every browser test of the run."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) speaking English."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class Account:
    username: str
    user_id: int
    principal: Principal
    institution_id: int | None = None


def make_account(committed, role: Role, institution_id: int | None = None, locale: str = "en") -> Account:
    """A committed account the live server can sign in; the operator (actor None) opens it."""
    with transaction(committed) as session:
        user = accounts.create_user(session, None, UserIn(
            username=unique(role.value[:8] + "-"), password=PASSWORD, role=role, institution_id=institution_id,
            locale=locale))
        return Account(user.username, user.id, accounts.principal_of(user), institution_id)


def make_institution(committed, actor: Principal, **overrides) -> int:
    """A committed institution with a unique code and name; returns its id."""
    values = {"code": unique("C"), "name": unique("测试医院"), "type": "secondary_hospital", "grade_level": 2,
              "grade_class": "A", "division_code": "350403", "address": "三明市三元区列东街"} | overrides
    with transaction(committed) as session:
        return registry.create_institution(session, actor, InstitutionIn(**values)).id


@pytest.fixture
def platform_admin(committed) -> Account:
    return make_account(committed, Role.PLATFORM_ADMIN)


def sign_in(page: Page, base_url: str, username: str, next_path: str = "/home") -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base_url}/login?next={quote(next_path, safe='/')}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}*")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


@contextmanager
def http_sign_in(base_url: str, username: str) -> Iterator[httpx.Client]:
    """An HTTP client holding a signed-in session cookie (no browser)."""
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=10) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD,
                                             "next": "/home"})
        assert answer.status_code == 303, answer.text
        yield client
