"""`medshare audit` as the operator runs it: verify passes an untouched trail, names a tampered event, checks
an exported copy of the checkpoints."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from medshare.audit.service import record_event
from medshare.db import make_engine, session_factory, transaction, upgrade
from medshare.settings import get_settings


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
