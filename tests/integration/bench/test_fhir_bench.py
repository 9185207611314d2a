"""A smoke run of `medshare bench fhir --quick`: bundles ingest, every read load answers, /healthz is the ceiling."""

from __future__ import annotations

from medshare.bench import BenchOptions
from medshare.bench.fhir import run


def test_the_quick_fhir_benchmark_ingests_and_reads_without_errors(monkeypatch):
    monkeypatch.delenv("MEDSHARE_BENCH_POSTGRES_URL", raising=False)
    figures = run(BenchOptions(quick=True))
    sqlite = figures["sqlite"]
    assert sqlite["ingest"]["bundles_ok"] == sqlite["ingest"]["bundles"] == 5
    assert sqlite["ingest"]["resources_per_second"] > 0 and sqlite["directory_load"]["resources"] == 204
    for name, ok in (("patient_read", "200"), ("report_search_include", "200"), ("recognition_check", "201")):
        assert sqlite[name]["errors"] == 0 and sqlite[name]["statuses"] == {ok: sqlite[name]["requests"]}
        assert sqlite[name]["rps_over_healthz"] > 0 and sqlite[name]["p99_ms"] > 0
    assert sqlite["healthz"]["requests"] == 32 * 4
    assert "skipped" in figures["postgresql"]
