"""A smoke run of `medshare bench audit --quick`: a chained trail written and verified beside plain writes and
reads, and the one-minute-per-million target reported."""

from __future__ import annotations

import pytest

from medshare.bench import BenchOptions, load_all
from medshare.bench.audit import run


def test_the_quick_audit_benchmark_writes_and_verifies_a_chained_trail(monkeypatch):
    monkeypatch.delenv("MEDSHARE_BENCH_POSTGRES_URL", raising=False)
    assert "audit" in load_all()
    figures = run(BenchOptions(quick=True, seed=1))["sqlite"]
    assert figures["events"] == 20_000 and figures["verify_ok"] is True
    assert figures["plain_read_rows"] == 20_000 and figures["verify_seconds"] > 0
    assert figures["verify_seconds_per_million"] == pytest.approx(figures["verify_seconds"] * 50, abs=0.01)
    assert isinstance(figures["verify_million_under_a_minute"], bool)
