"""`medshare bench risk --quick` runs and reports its figures against the fixed-threshold baseline."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medshare.cli.main import app


def test_the_risk_benchmark_runs_quickly_and_reports_both_rules():
    result = CliRunner().invoke(app, ["bench", "risk", "--json", "--quick"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["regions"] == 2
    assert figures["outlier_test"]["regions_with_a_false_alert"] == 0
    assert 0 <= figures["fixed_threshold_baseline"]["recall"] <= 1
    assert figures["overlap"]["agrees_with_pairwise"] is True and figures["overlap"]["overlaps"] > 0
