"""A smoke run of `medshare bench booking --quick`: the race books every slot once, nothing twice."""

from __future__ import annotations

from medshare.bench import BenchOptions
from medshare.bench.booking import run


def test_the_quick_booking_benchmark_books_every_slot_once_and_none_twice(monkeypatch):
    monkeypatch.delenv("MEDSHARE_BENCH_POSTGRES_URL", raising=False)
    figures = run(BenchOptions(quick=True))
    race = figures["sqlite"]["race"]
    assert race["confirmed_bookings"] == race["slots"] == race["created"]
    assert race["duplicate_bookings"] == 0 and race["errors"] == 0
    assert race["claimed_units"] == race["slots"]
    mixed = figures["sqlite"]["mixed"]
    assert mixed["errors"] == 0 and mixed["search"]["requests"] > 0 and mixed["book"]["requests"] > 0
    assert figures["sqlite"]["health"]["p50_ms"] > 0
    assert "skipped" in figures["postgresql"]
