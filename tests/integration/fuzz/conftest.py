"""A live server over a seeded small demo region, and a platform admin's token, for fuzzing the whole API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, TokenKind, User
from medshare.bench.server import ThreadedServer
from medshare.db import make_engine, session_factory, transaction, upgrade
from medshare.settings import Settings
from tests.integration.api.conftest import client, world  # noqa: F401  (the live server's two hospitals)

# High enough that generated ids (which favour 0, 1, small numbers) never name the fuzzing account:
# a PATCH of its own password would end its token halfway through the run.
FUZZER_ID = 987_001


@dataclass
class FuzzTarget:
    url: str
    token: str
    database_url: str


@pytest.fixture(scope="session")
def fuzz_target(tmp_path_factory) -> Iterator[FuzzTarget]:
    from medshare.demo.cli import seed

    folder = Path(tmp_path_factory.mktemp("fuzz"))
    url = f"sqlite:///{folder / 'fuzz.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, scale="small", seed=1)
    with transaction(session_factory(engine)) as session:
        user = User(id=FUZZER_ID, username="fuzzer", display_name="fuzzer", role=Role.PLATFORM_ADMIN,
                    password_hash=accounts.hash_password("fuzzer-password-0"), locale="en")
        session.add(user)
        session.flush()
        raw, _ = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=2))
    engine.dispose()
    settings = Settings(database_url=url, data_dir=folder, secret_key="fuzz-secret-0123456789",
                        demo_on_first_start=False)
    server = ThreadedServer(settings).start()
    yield FuzzTarget(server.url, raw, url)
    server.stop()
