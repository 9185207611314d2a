"""Named benchmarks: `medshare bench NAME --json` prints one JSON object of figures.

Each capability registers its benchmark here with @benchmark; figures are reported next to
a baseline measured in the same run, so results read as ratios on a noisy machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BenchFunction = Callable[["BenchOptions"], dict]


@dataclass(frozen=True)
class BenchOptions:
    scale: str = "city"
    seed: int = 1
    quick: bool = False  # a smoke run: small data, few repetitions


REGISTRY: dict[str, tuple[BenchFunction, str]] = {}
MODULES = ("medshare.bench.directory", "medshare.bench.linkage", "medshare.bench.scheduling",
           "medshare.bench.booking", "medshare.bench.fhir", "medshare.bench.dispatch", "medshare.bench.allocation",
           "medshare.bench.audit", "medshare.bench.risk", "medshare.bench.api")


def benchmark(name: str, summary: str) -> Callable[[BenchFunction], BenchFunction]:
    """Register fn as the benchmark name."""

    def register(fn: BenchFunction) -> BenchFunction:
        REGISTRY[name] = (fn, summary)
        return fn

    return register


def load_all() -> dict[str, tuple[BenchFunction, str]]:
    """Every registered benchmark (importing their modules registers them)."""
    import importlib

    for module in MODULES:
        importlib.import_module(module)
    return REGISTRY
