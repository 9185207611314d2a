"""A smoke run of `medshare bench allocation --quick`: three methods on the same arcs, the time split, the
overhead against bare HiGHS on the same LP files, and the surge's ordering of the top class's minimum fill."""

from __future__ import annotations

from medshare.bench import BenchOptions, load_all
from medshare.bench.allocation import run


def test_the_quick_allocation_benchmark_reports_every_figure_and_beats_both_baselines():
    assert "allocation" in load_all()
    figures = run(BenchOptions(quick=True, seed=2))
    case = figures["cases"]["quick"]
    assert set(case["methods"]) == {"optimal", "fcfs", "proportional"}
    assert case["lps"] > 0 and case["dumped_run_same_fill"] is True
    seconds = case["seconds"]
    assert seconds["total"] >= seconds["solve"] > 0 and seconds["bare_highs_solve"] > 0
    assert case["overhead_vs_bare_highs"] > 0
    top = case["top_class_min_fill"]
    assert top["optimal"] >= top["proportional"] and top["optimal"] > top["fcfs"]
    for method in case["methods"].values():
        assert set(method["by_class"]["critical_care"]) >= {"min_fill", "mean_fill"}
    assert figures["targets"]["quick"]["top_class_min_above_fcfs"] is True
