"""`medshare bench risk`: how often the outlier test cries wolf and how often it finds a planted case, against a
fixed-threshold rule on the same generated regions; and the overlap sweep against pairwise comparison."""

from __future__ import annotations

import datetime as dt
import random
import time

import numpy as np

from medshare.bench import BenchOptions, benchmark
from medshare.risk import rules

PEERS = 60
PLANTED = (("planted:1", 0.30, 100), ("planted:2", 0.28, 200), ("planted:3", 0.35, 60))


def _region(rng: np.random.Generator, planted: bool) -> list[rules.RateUnit]:
    """Peers whose true rates spread around 10% (beta 20/180), each with its own volume; planted cases on top."""
    trials = rng.integers(20, 300, PEERS)
    rates = rng.beta(20, 180, PEERS)
    units = [rules.RateUnit(f"peer:{i}", int(rng.binomial(n, p)), int(n)) for i, (n, p) in
             enumerate(zip(trials, rates, strict=True))]
    if planted:
        units += [rules.RateUnit(key, int(rng.binomial(n, p)), n) for key, p, n in PLANTED]
    return units


def _fixed_threshold(units: list[rules.RateUnit]) -> set[str]:
    """The baseline: flag a unit whose rate is over twice the pooled rate (with at least 20 cases)."""
    pooled = sum(u.events for u in units) / sum(u.trials for u in units)
    return {u.key for u in units if u.trials >= 20 and u.events / u.trials > 2 * pooled}


def _pairwise(commitments: list[rules.Commitment]) -> int:
    found = 0
    by: dict[int, list[rules.Commitment]] = {}
    for c in commitments:
        by.setdefault(c.practitioner_id, []).append(c)
    for items in by.values():
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if a.site_id != b.site_id and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                    found += 1
    return found


@benchmark("risk", "risk rules: false alerts and recall of the outlier test vs a fixed threshold; overlap sweep")
def run(options: BenchOptions) -> dict:
    regions = 2 if options.quick else 40
    rng = np.random.default_rng(options.seed)
    test_false = fixed_false = 0
    test_found = fixed_found = fixed_extra = 0
    started = time.perf_counter()
    for _ in range(regions):
        clean = _region(rng, planted=False)
        test_false += any(f.flagged for f in rules.outlying_rates(clean))
        fixed_false += bool(_fixed_threshold(clean))
        planted = _region(rng, planted=True)
        flagged = {f.key for f in rules.outlying_rates(planted) if f.flagged}
        fixed = _fixed_threshold(planted)
        test_found += len(flagged & {k for k, _, _ in PLANTED})
        fixed_found += len(fixed & {k for k, _, _ in PLANTED})
        fixed_extra += len(fixed - {k for k, _, _ in PLANTED})
    seconds_per_region = (time.perf_counter() - started) / (2 * regions)

    practitioners, per = (200, 20) if options.quick else (2000, 50)
    base = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    pyrng = random.Random(options.seed)
    commitments = [rules.Commitment(p, pyrng.randint(1, 5), start, start + dt.timedelta(hours=3), "booking",
                                    f"b{p}-{k}")
                   for p in range(practitioners) for k in range(per)
                   for start in [base + dt.timedelta(days=k // 2, hours=pyrng.choice((1, 3, 5, 7)))]]
    t0 = time.perf_counter()
    swept = len(rules.overlaps(commitments))
    sweep_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    paired = _pairwise(commitments)
    pairwise_seconds = time.perf_counter() - t0
    planted_total = regions * len(PLANTED)
    return {
        "regions": regions, "peers_per_region": PEERS,
        "outlier_test": {"regions_with_a_false_alert": test_false, "share_of_regions_with_a_false_alert":
                         round(test_false / regions, 3), "planted_found": test_found,
                         "recall": round(test_found / planted_total, 3), "seconds_per_region":
                         round(seconds_per_region, 4)},
        "fixed_threshold_baseline": {"regions_with_a_false_alert": fixed_false,
                                     "share_of_regions_with_a_false_alert": round(fixed_false / regions, 3),
                                     "planted_found": fixed_found, "recall": round(fixed_found / planted_total, 3),
                                     "false_alerts_beside_planted": fixed_extra},
        "overlap": {"commitments": len(commitments), "overlaps": swept, "agrees_with_pairwise": swept == paired,
                    "sweep_seconds": round(sweep_seconds, 3), "pairwise_seconds": round(pairwise_seconds, 3),
                    "speedup_vs_pairwise": round(pairwise_seconds / sweep_seconds, 2) if sweep_seconds else None},
    }
