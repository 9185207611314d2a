"""`medshare identity` and `medshare bench linkage`, run as a user runs them."""

from __future__ import annotations

import json

from tests.integration.cli.test_commands import medshare


def test_relink_links_a_seeded_region_and_summarises_what_changed(tmp_path):
    env = {"MEDSHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'mpi.db'}", "MEDSHARE_DATA_DIR": str(tmp_path)}
    assert medshare("demo", "--scale", "small", env=env).returncode == 0
    policy = medshare("identity", "policy", "--link", "0.95", "--review", "0.2", env=env)
    assert policy.returncode == 0, policy.stderr
    done = medshare("identity", "relink", env=env)
    assert done.returncode == 0, done.stderr
    assert "records moved to another person" in done.stdout and "3,000" in done.stdout
    refused = medshare("identity", "policy", "--link", "0.5", "--review", "0.9", env=env)
    assert refused.returncode != 0


def test_the_linkage_benchmark_smoke_run_prints_one_json_object(tmp_path):
    run = medshare("bench", "linkage", "--json", "--quick", env={"MEDSHARE_DATA_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout)
    assert figures["febrl4"]["medshare"]["f1"] > 0.99
    assert figures["demo"]["automatic"]["precision"] > 0.99
    assert figures["online"]["link_p95_ms"] > 0
