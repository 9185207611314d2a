"""The `medshare` command, run as a user runs it: a separate process reading MEDSHARE_DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from medshare.bench.server import ThreadedServer
from medshare.settings import Settings


def medshare(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medshare", *args], capture_output=True, text=True,
                          env=os.environ | env, timeout=120, stdin=subprocess.DEVNULL)


def test_the_first_admin_gets_a_token_that_works_against_the_api(tmp_path):
    env = {"MEDSHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "MEDSHARE_DATA_DIR": str(tmp_path)}
    assert medshare("db", "upgrade", env=env).returncode == 0
    created = medshare("admin", "create-user", "root", "--password", "a long enough password", env=env)
    assert created.returncode == 0, created.stderr
    issued = medshare("admin", "token", "--user", "root", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    server = ThreadedServer(Settings(database_url=env["MEDSHARE_DATABASE_URL"], data_dir=Path(tmp_path),
                                     secret_key="cli-test", demo_on_first_start=False)).start()
    try:
        me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        server.stop()
    assert me.status_code == 200 and me.json()["role"] == "platform_admin"


def test_a_bad_password_is_refused_naming_the_rule_and_no_account_is_made(tmp_path):
    env = {"MEDSHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "MEDSHARE_DATA_DIR": str(tmp_path)}
    refused = medshare("admin", "create-user", "root", "--password", "short", env=env)
    assert refused.returncode == 2
    assert "min-length" in refused.stderr and "password" in refused.stderr
    missing = medshare("admin", "token", "--user", "root", env=env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_every_command_explains_itself():
    result = medshare("--help", env={})
    assert result.returncode == 0
    for command in ("serve", "demo", "db", "admin", "bench"):
        assert command in result.stdout
    serve = medshare("serve", "--help", env={})
    assert "--workers" in serve.stdout and "--port" in serve.stdout
