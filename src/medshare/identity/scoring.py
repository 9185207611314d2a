"""Fellegi–Sunter scoring: comparison levels, m/u weights estimated by EM without labels, match weights.

Pure: numpy arrays and plain values in and out, no database. A comparison vector holds one
level per field (0 = the strongest agreement, larger = weaker, MISSING = a field absent on
either side, which carries no evidence). The same engine scores the patient records of the
region and, in the benchmark, the FEBRL data sets.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

MISSING = -1
# Probabilities never reach 0 or 1, so that one field can never veto or force a decision alone.
FLOOR = 1e-6


@dataclass(frozen=True)
class FieldSpec:
    """A compared field and the labels of its levels, strongest agreement first."""

    name: str
    levels: tuple[str, ...]


@dataclass
class Weights:
    """A trained model: the prior share of matches among compared pairs and m/u per field level."""

    specs: tuple[FieldSpec, ...]
    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    iterations: int = 0
    pairs: int = 0
    extra: dict = field(default_factory=dict)

    def level_weight(self, name: str, level: int) -> float:
        """log2(m/u) of a field at a level; 0 for a missing field."""
        if level == MISSING:
            return 0.0
        return math.log2(self.m[name][level] / self.u[name][level])

    def prior_weight(self) -> float:
        """log2 of the prior odds that a compared pair is a match."""
        return math.log2(self.prior / (1 - self.prior))

    def table(self) -> np.ndarray:
        """Per field, the weight of each level, with the missing level last (weight 0)."""
        width = max(len(s.levels) for s in self.specs) + 1
        out = np.zeros((len(self.specs), width))
        for i, spec in enumerate(self.specs):
            for level in range(len(spec.levels)):
                out[i, level] = self.level_weight(spec.name, level)
        return out

    def as_dict(self) -> dict:
        """A JSON-ready form (stored in the linkage_models table)."""
        return {"prior": self.prior, "m": self.m, "u": self.u, "iterations": self.iterations, "pairs": self.pairs,
                "extra": self.extra, "fields": {s.name: list(s.levels) for s in self.specs}}

    @classmethod
    def from_dict(cls, specs: tuple[FieldSpec, ...], data: dict) -> Weights:
        """The model stored by as_dict, for the given fields."""
        return cls(specs, data["prior"], {k: list(v) for k, v in data["m"].items()},
                   {k: list(v) for k, v in data["u"].items()}, data.get("iterations", 0), data.get("pairs", 0),
                   data.get("extra", {}))


def match_weights(gamma: np.ndarray, weights: Weights) -> np.ndarray:
    """Total match weight (prior included) of each comparison vector, a row of gamma."""
    table = weights.table()
    width = table.shape[1]
    columns = np.where(gamma == MISSING, width - 1, gamma)
    total = table[np.arange(len(weights.specs)), columns].sum(axis=1)
    return total + weights.prior_weight()


def probability(weight: float | np.ndarray) -> float | np.ndarray:
    """The posterior match probability of a total match weight."""
    return 1.0 / (1.0 + np.power(2.0, -np.asarray(weight, dtype=float)))


def weight_of(probability_: float) -> float:
    """The total match weight at which the posterior reaches probability_."""
    return math.log2(probability_ / (1 - probability_))


def _frequencies(gamma: np.ndarray, counts: np.ndarray, responsibility: np.ndarray, levels: int) -> np.ndarray:
    """Share of each level among the weighted present values of one column."""
    out = np.zeros(levels)
    present = gamma >= 0
    np.add.at(out, gamma[present], (responsibility * counts)[present])
    total = out.sum()
    return np.clip(out / total if total > 0 else np.full(levels, 1 / levels), FLOOR, 1 - FLOOR)


def estimate_u(gamma: np.ndarray, specs: Sequence[FieldSpec]) -> dict[str, list[float]]:
    """u probabilities from comparison vectors of random pairs (nearly all of them non-matches)."""
    result = {}
    for i, spec in enumerate(specs):
        column = gamma[:, i]
        counts = np.bincount(column[column >= 0], minlength=len(spec.levels)).astype(float)
        # One pseudo-count per level keeps a level never seen among random pairs finite.
        freq = (counts + 1) / (counts.sum() + len(spec.levels))
        result[spec.name] = [float(x) for x in np.clip(freq, FLOOR, 1 - FLOOR)]
    return result


def em(
    gamma: np.ndarray,
    specs: Sequence[FieldSpec],
    *,
    u: dict[str, list[float]] | None = None,
    prior: float = 0.1,
    fix_u: bool | None = None,
    iterations: int = 100,
    tolerance: float = 1e-7,
) -> Weights:
    """m (and, unless fix_u, u) and the prior by expectation–maximisation over candidate pairs' vectors.

    gamma holds one comparison vector per candidate pair (the pairs blocking produced); no
    labels are used. m starts by trusting the strongest level; u starts from random pairs when
    given (the classic approach: u is what chance agreement looks like, and is then kept unless
    fix_u is False), else from a flat guess that EM refines.
    """
    fix_u = u is not None if fix_u is None else fix_u
    specs = tuple(specs)
    patterns, counts = np.unique(gamma, axis=0, return_counts=True)
    counts = counts.astype(float)
    m = {s.name: _initial_m(len(s.levels)) for s in specs}
    u = {k: list(v) for k, v in u.items()} if u else {s.name: _initial_u(len(s.levels)) for s in specs}
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007  (the count is kept)
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for i, spec in enumerate(specs):
            column = patterns[:, i]
            present = column >= 0
            log_m[present] += np.log(np.asarray(m[spec.name])[column[present]])
            log_u[present] += np.log(np.asarray(u[spec.name])[column[present]])
        odds = np.log(prior) + log_m - np.log1p(-prior) - log_u
        responsibility = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        new_prior = float(np.clip((responsibility * counts).sum() / counts.sum(), FLOOR, 1 - FLOOR))
        change = abs(new_prior - prior)
        prior = new_prior
        for i, spec in enumerate(specs):
            fresh = _frequencies(patterns[:, i], counts, responsibility, len(spec.levels))
            change = max(change, float(np.abs(fresh - m[spec.name]).max()))
            m[spec.name] = [float(x) for x in fresh]
            if not fix_u:
                u[spec.name] = [float(x) for x in _frequencies(patterns[:, i], counts, 1 - responsibility,
                                                                 len(spec.levels))]
        if change < tolerance:
            break
    return Weights(specs, prior, m, u, iterations=done, pairs=int(counts.sum()))


def _initial_m(levels: int) -> list[float]:
    if levels == 1:
        return [1.0 - FLOOR]
    rest = 0.1 / (levels - 1)
    return [0.9] + [rest] * (levels - 1)


def _initial_u(levels: int) -> list[float]:
    if levels == 1:
        return [1.0 - FLOOR]
    return [0.05] + [0.95 / (levels - 1)] * (levels - 1)


# -- comparators over arrays of pairs (vectorised) ------------------------------------------


def _blank(values: Sequence[str | None]) -> np.ndarray:
    return np.array([not v for v in values], dtype=bool)


def exact_levels(left: Sequence, right: Sequence) -> np.ndarray:
    """0 when equal, 1 when different, MISSING when either is blank."""
    a, b = np.asarray(left, dtype=object), np.asarray(right, dtype=object)
    out = np.where(a == b, 0, 1).astype(np.int8)
    out[_blank(left) | _blank(right)] = MISSING
    return out


def similarity_levels(left: Sequence[str], right: Sequence[str], thresholds: Sequence[float]) -> np.ndarray:
    """0 when equal, then 1.. for Jaro-Winkler at or above each threshold (descending), else different."""
    left, right = [v or "" for v in left], [v or "" for v in right]
    score = process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=1)
    out = np.full(len(left), len(thresholds) + 1, dtype=np.int8)
    for level, threshold in reversed(list(enumerate(thresholds, start=1))):
        out[score >= threshold] = level
    out[np.asarray(left, dtype=object) == np.asarray(right, dtype=object)] = 0
    out[_blank(left) | _blank(right)] = MISSING
    return out


def edit_levels(left: Sequence[str], right: Sequence[str], distances: Sequence[int]) -> np.ndarray:
    """0 when equal, then 1.. for a Damerau-Levenshtein distance within each bound (ascending), else different."""
    left, right = [v or "" for v in left], [v or "" for v in right]
    dist = process.cpdist(left, right, scorer=DamerauLevenshtein.distance, workers=1, dtype=np.int32)
    out = np.full(len(left), len(distances) + 1, dtype=np.int8)
    for level, bound in reversed(list(enumerate(distances, start=1))):
        out[dist <= bound] = level
    out[dist == 0] = 0
    out[_blank(left) | _blank(right)] = MISSING
    return out


# -- comparators of one pair (online linking) ------------------------------------------------


def date_level(a: dt.date | None, b: dt.date | None) -> int:
    """same 0, day and month swapped 1, one of year/month/day differs 2, different 3."""
    if a is None or b is None:
        return MISSING
    if a == b:
        return 0
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 1
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    return 2 if same == 2 else 3


def date_levels(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """date_level over arrays of YYYYMMDD strings (blank or malformed counts as missing)."""
    out = np.empty(len(left), dtype=np.int8)
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        if not a or not b or len(a) != 8 or len(b) != 8:
            out[i] = MISSING
        elif a == b:
            out[i] = 0
        elif a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
            out[i] = 1
        else:
            same = (a[:4] == b[:4]) + (a[4:6] == b[4:6]) + (a[6:8] == b[6:8])
            out[i] = 2 if same == 2 or DamerauLevenshtein.distance(a, b) <= 1 else 3
    return out


def best_f1(weights: np.ndarray, is_match: np.ndarray, total_matches: int) -> tuple[float, float]:
    """The best F1 over all thresholds on the scored pairs, and the weight it is reached at."""
    order = np.argsort(-weights)
    hits = np.cumsum(is_match[order])
    predicted = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (predicted + total_matches)
    best = int(np.argmax(f1))
    return float(f1[best]), float(weights[order][best])


def precision_recall_f1(predicted: int, correct: int, total_matches: int) -> dict[str, float]:
    """Precision, recall and F1 of a set of predicted pairs."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / total_matches if total_matches else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}
