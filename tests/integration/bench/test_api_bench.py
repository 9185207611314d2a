"""A smoke run of `medshare bench api --quick`: every operation of the mix answers as expected, none fails."""

from __future__ import annotations

import json

from medshare.bench import BenchOptions, load_all
from medshare.bench.api import MIX, run


def test_the_quick_api_benchmark_runs_the_mixed_load_without_errors(monkeypatch):
    monkeypatch.delenv("MEDSHARE_BENCH_POSTGRES_URL", raising=False)
    assert "api" in load_all()
    figures = run(BenchOptions(quick=True))
    json.dumps(figures)  # what --json prints
    assert figures["levels"] == [8, 32] and "skipped" in figures["postgresql"]
    sqlite = figures["sqlite"]
    assert sqlite["served_by"] == "uvicorn, 1 worker" and sqlite["client_processes"] == 2
    assert sqlite["institutions"] == 4 and sqlite["patients_with_results"] > 0
    assert set(sqlite["levels"]) == {"8", "32"}
    for clients, level in sqlite["levels"].items():
        assert level["clients"] == int(clients)
        health, mixed = level["healthz"], level["mixed"]
        assert health["errors"] == 0 and health["statuses"] == {"200": health["requests"]}
        assert health["requests_per_second"] > 0 and health["p50_ms"] > 0
        assert mixed["errors"] == 0 and mixed["unexpected"] == 0, mixed["statuses"]
        assert mixed["requests"] == sum(op["requests"] for op in level["operations"].values())
        assert mixed["rps_over_healthz"] > 0 and mixed["p50_over_healthz"] > 0
        assert set(level["operations"]) == set(MIX)
        for name, op in level["operations"].items():
            assert op["errors"] == 0 and op["unexpected"] == 0, (name, op["statuses"])
            assert set(op) >= {"requests", "requests_per_second", "p50_ms", "p99_ms", "p50_over_healthz",
                               "error_kinds"}
    # Over both levels every operation of the mix ran (a 409 for a slot taken first is a correct answer).
    for name in MIX:
        assert sum(level["operations"][name]["requests"] for level in sqlite["levels"].values()) > 0, name
