"""`medshare schedule` and `medshare bench scheduling`, run as a user runs them."""

from __future__ import annotations

import json

from tests.integration.cli.test_commands import medshare


def test_the_operator_runs_the_regions_schedule_from_the_command_line(tmp_path):
    env = {"MEDSHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'region.db'}", "MEDSHARE_DATA_DIR": str(tmp_path)}
    made = medshare("admin", "create-user", "commission", "--password", "correct horse battery", env=env)
    assert made.returncode == 0, made.stderr
    run = medshare("schedule", "run", "--user", "commission", "--commit", env=env)
    assert run.returncode == 0, run.stderr
    assert "weighted mean wait" in run.stdout and "commit:" in run.stderr
    unknown = medshare("schedule", "run", "--user", "nobody", env=env)
    assert unknown.returncode == 2 and "nobody" in unknown.stderr


def test_the_scheduling_benchmark_smoke_run_prints_one_json_object(tmp_path):
    run = medshare("bench", "scheduling", "--json", "--quick", env={"MEDSHARE_DATA_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    small = json.loads(run.stdout)["small"]
    assert small["objective"]["optimal"] <= small["objective"]["greedy"] <= small["objective"]["home_only"]
    assert small["urgent_in_time"]["optimal"] == small["urgent_in_time"]["most_possible"]
    assert small["weighted_wait_reduction"]["vs_home_only"] > 0.4
    assert small["weighted_wait_reduction"]["vs_greedy"] > 0.15
