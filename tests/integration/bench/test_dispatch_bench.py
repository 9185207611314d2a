"""A smoke run of `medshare bench dispatch --quick --json`: joint assignment beats closest-idle, fast."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medshare.cli.main import app


def test_the_quick_dispatch_benchmark_prints_joint_no_worse_than_closest_idle():
    result = CliRunner().invoke(app, ["bench", "dispatch", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for size in ("surge_10", "surge_40"):
        surge = figures[size]
        joint, baseline = surge["joint"], surge["closest_idle"]
        assert joint["weighted_total"] <= baseline["weighted_total"]
        assert joint["assigned"] >= baseline["assigned"] - 1
        assert surge["joint_solve_seconds_max"] < 1.0
        assert set(surge["ratios_joint_over_closest_idle"]) >= {"mean_eta_min", "worst_eta_levels_1_2_min"}
