"""`medshare bench directory`: generating a region, and searching it through the public directory."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from medshare.bench import BenchOptions, benchmark
from medshare.bench.server import ThreadedServer
from medshare.db import make_engine, upgrade
from medshare.settings import Settings

QUERIES = ["医院", "三明", "卫生院", "中医", "社区", "村", "Sanming", "永安", "沙县", "检验"]
NAMES = ["张", "王", "李", "陈", "林", "Zhang", "Wang", "Li"]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(pick(0.95) * 1000, 2),
            "p99_ms": round(pick(0.99) * 1000, 2)}


def _time_requests(client: httpx.Client, paths: list[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
    return samples


@benchmark("directory", "generate a demo region, then time public directory searches over HTTP against /healthz")
def run(options: BenchOptions) -> dict:
    """Seconds to seed the region; p50/p95/p99 of directory page and API searches, and ratios to /healthz."""
    from medshare.demo.cli import seed

    scale = "small" if options.quick else options.scale
    rounds = 2 if options.quick else 20
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        counts = seed(engine, scale=scale, seed=options.seed)
        seed_seconds = time.perf_counter() - started
        engine.dispose()
        server = ThreadedServer(Settings(database_url=url, data_dir=Path(folder), secret_key="bench",
                                         demo_on_first_start=False)).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                _time_requests(client, ["/healthz", "/?q=医院", "/api/v1/institutions"], 2)  # warm-up
                health = _time_requests(client, ["/healthz"], rounds * len(QUERIES))
                page = _time_requests(client, [f"/?q={q}" for q in QUERIES], rounds)
                api = _time_requests(client, [f"/api/v1/institutions?q={q}" for q in QUERIES], rounds)
                people = _time_requests(client, [f"/api/v1/practitioners?q={q}" for q in NAMES], rounds)
        finally:
            server.stop()
    figures = {
        "scale": scale,
        "database": "sqlite",
        "seed_seconds": round(seed_seconds, 2),
        "counts": counts,
        "health": _percentiles(health),
        "directory_page": _percentiles(page),
        "institutions_api": _percentiles(api),
        "practitioners_api": _percentiles(people),
    }
    base = figures["health"]["p50_ms"] or 0.01
    for key in ("directory_page", "institutions_api", "practitioners_api"):
        figures[key]["p50_over_health"] = round(figures[key]["p50_ms"] / base, 1)
    return figures
