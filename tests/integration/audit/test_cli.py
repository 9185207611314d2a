"""`medshare audit` as the operator runs it: verify passes an untouched trail, names a tampered event, checks
an exported copy of the checkpoints."""

from __future__ import annotations

import json
from functools import partial

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from medshare.audit.service import record_event
from medshare.db import make_engine, session_factory, transaction, upgrade
from medshare.settings import get_settings
from tests.conftest import BACKENDS, fresh_database_url


@pytest.fixture
def shell(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MEDSHARE_DATABASE_URL", url)
    monkeypatch.setenv("MEDSHARE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    from medshare.cli.main import app

    runner = CliRunner()
    yield url, lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_verify_checkpoint_and_export_from_the_command_line(shell, tmp_path):
    url, medshare = shell
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        for i in range(5):
            record_event(session, None, "test.cli", "thing", i)
    assert medshare("audit", "checkpoint").exit_code == 0
    export = tmp_path / "checkpoints.json"
    assert medshare("audit", "export-checkpoints", "-o", str(export)).exit_code == 0
    ok = medshare("audit", "verify", "--json", "--checkpoints", str(export))
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout.splitlines()[0])
    assert report["ok"] and report["events"] == 5 and report["exported_checkpoints"] == 1

    with engine.begin() as connection:  # an attacker with the database file
        connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
        connection.execute(sa.text("UPDATE audit_events SET object_id = 'x' WHERE seq = 3"))
    bad = medshare("audit", "verify", "--json")
    assert bad.exit_code == 1
    first = json.loads(bad.stdout.splitlines()[0])["first_bad"]
    assert (first["kind"], first["seq"]) == ("changed", 3)
    engine.dispose()



def _invoke(runner: CliRunner, app, *args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(params=BACKENDS)
def chained(request, tmp_path, monkeypatch):
    """A fresh database of each backend with a trail of eight events, and `medshare` pointed at it."""
    for url in fresh_database_url(request.param, tmp_path):
        monkeypatch.setenv("MEDSHARE_DATABASE_URL", url)
        monkeypatch.setenv("MEDSHARE_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        from medshare.cli.main import app

        runner = CliRunner()
        engine = make_engine(url)
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            for i in range(8):
                record_event(session, None, "test.cli", "thing", i, details={"i": i})
        try:
            yield request.param, engine, partial(_invoke, runner, app)
        finally:
            engine.dispose()
            get_settings.cache_clear()


def test_verify_names_the_first_bad_event_of_every_kind_of_tampering_on_each_database(chained):
    """Changed, deleted, inserted (into the chain or beside it) and reordered events, each done in the database
    behind the platform's back and found by `medshare audit verify`; undone, the trail verifies again."""
    backend, engine, medshare = chained
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.text("SELECT seq, id FROM audit_events WHERE action = 'test.cli'")).all())

    def run(*statements: str, **params) -> None:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement), params)

    def forged_id() -> int:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT id FROM audit_events WHERE action = 'test.forged'")).scalar()

    def first_bad() -> tuple | None:
        answer = medshare("audit", "verify", "--json")
        report = json.loads(answer.stdout.splitlines()[0])
        assert answer.exit_code == (0 if report["ok"] else 1), answer.output
        bad = report["first_bad"]
        return None if bad is None else (bad["kind"], bad["seq"], bad["event_id"])

    assert first_bad() is None
    if backend == "sqlite":  # the append-only triggers, switched off as an attacker would
        run("DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")
    else:
        run("ALTER TABLE audit_events DISABLE TRIGGER USER")
    run("CREATE TABLE kept AS SELECT * FROM audit_events WHERE seq IN (3, 4, 6)")

    run("UPDATE audit_events SET action = 'test.innocent' WHERE seq = 3")  # changed
    assert first_bad() == ("changed", 3, ids[3])
    run("UPDATE audit_events SET action = (SELECT action FROM kept WHERE seq = 3) WHERE seq = 3")
    assert first_bad() is None

    run("DELETE FROM audit_events WHERE seq = 4")  # deleted
    assert first_bad() == ("missing", 5, ids[5])
    run("INSERT INTO audit_events SELECT * FROM kept WHERE seq = 4")
    assert first_bad() is None

    # Inserted into the chain: a forged copy of event 6 at seq 6, every later event moved one down.
    top = max(ids)
    for seq in range(top, 5, -1):
        run("UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    run("INSERT INTO audit_events (occurred_at, actor_role, action, object_type, object_id, source_ip, channel, "
        "request_id, details, seq, prev_hash, hash) SELECT occurred_at, actor_role, 'test.forged', object_type, "
        "object_id, source_ip, channel, request_id, details, 6, prev_hash, hash FROM kept WHERE seq = 6")
    assert first_bad() == ("changed", 6, forged_id())
    run("DELETE FROM audit_events WHERE action = 'test.forged'")
    for seq in range(6, top + 1):
        run("UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq, old=seq + 1)
    assert first_bad() is None

    # Inserted beside the chain: a row with no place in it.
    run("INSERT INTO audit_events (occurred_at, actor_role, action, object_type, object_id, source_ip, channel, "
        "request_id, details) SELECT occurred_at, actor_role, 'test.forged', object_type, object_id, source_ip, "
        "channel, request_id, details FROM kept WHERE seq = 3")
    assert first_bad() == ("not-in-chain", None, forged_id())
    run("DELETE FROM audit_events WHERE action = 'test.forged'")
    assert first_bad() is None

    run("UPDATE audit_events SET seq = -1 WHERE seq = 3", "UPDATE audit_events SET seq = 3 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = -1")  # reordered: events 3 and 4 swapped
    assert first_bad() == ("broken-link", 3, ids[4])
    run("UPDATE audit_events SET seq = -1 WHERE seq = 4", "UPDATE audit_events SET seq = 4 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = -1")
    assert first_bad() is None
