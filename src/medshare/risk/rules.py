"""The risk rules as pure functions: plain values in, findings with their evidence out.

- overlaps: one practitioner committed at two sites at the same time (bookings, teleconsultations,
  rota shifts: any source of Commitment).
- outlying rates: units (practitioners, requesters) whose rate of an event (repeat-exam overrides,
  no-shows) is far above their peers'. The peers' rates are fitted as a beta-binomial (a funnel
  plot that allows for overdispersion: peers differ for good reasons), refitted without the units
  it flags; each unit gets a one-sided p-value of its count under that fit, and the
  Benjamini–Hochberg procedure over all units controls the share of false alerts. Not a fixed
  threshold: the bar moves with the peers and with how much data each unit has.
- implausible workloads: more work reported by one practitioner in an hour or a day than fits.

No database, no web: the service feeds these from the tables and keeps what they find.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats


@dataclass(frozen=True)
class Commitment:
    """A stretch of time a practitioner is bound to be at one site (an institution)."""

    practitioner_id: int
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    source: str  # booking, teleconsultation, rota_shift ...
    ref: str  # the source's own id, e.g. "booking:12"


@dataclass(frozen=True)
class Overlap:
    practitioner_id: int
    first: Commitment
    second: Commitment
    minutes: float  # how long both hold at once (or, within the travel gap, 0)

    @property
    def fingerprint(self) -> str:
        a, b = sorted([self.first.ref, self.second.ref])
        return f"overlap:practitioner:{self.practitioner_id}:{a}:{b}"


def overlaps(commitments: Iterable[Commitment], *, travel_minutes: int = 0) -> list[Overlap]:
    """Pairs of one practitioner's commitments at different sites that overlap in time.

    travel_minutes: a gap shorter than this between commitments at two sites counts too (nobody
    crosses the city in no time). Same-site commitments never count: two rooms of one hospital
    are one place. A sweep over each practitioner's commitments sorted by start.
    """
    by_practitioner: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in commitments:
        if commitment.ends_at > commitment.starts_at:
            by_practitioner[commitment.practitioner_id].append(commitment)
    gap = dt.timedelta(minutes=travel_minutes)
    found: list[Overlap] = []
    for practitioner_id, items in by_practitioner.items():
        items.sort(key=lambda c: (c.starts_at, c.ends_at, c.ref))
        active: list[Commitment] = []
        for current in items:
            active = [c for c in active if c.ends_at + gap > current.starts_at]
            for earlier in active:
                if earlier.site_id != current.site_id:
                    both = (min(earlier.ends_at, current.ends_at) - current.starts_at).total_seconds() / 60
                    found.append(Overlap(practitioner_id, earlier, current, max(both, 0.0)))
            active.append(current)
    return found


@dataclass(frozen=True)
class RateUnit:
    """One unit's events out of its opportunities, within a peer group."""

    key: str  # e.g. "practitioner:12" or "institution:5"
    events: int
    trials: int
    group: str = "region"


@dataclass(frozen=True)
class RatePolicy:
    """How far above the peers counts: a false-discovery rate, the least data to judge, a least excess."""

    fdr: float = 0.001  # Benjamini–Hochberg level over all units of a scan (calibrated: see the README)
    min_trials: int = 20  # fewer opportunities than this: too little data to judge a unit
    min_units: int = 8  # a peer group smaller than this is not compared
    min_ratio: float = 1.5  # and the unit's rate must be at least this multiple of the peers'
    refits: int = 5  # the peers' distribution is refitted without its far-out units, up to this often
    exclude_p: float = 0.001  # a unit this unlikely under the others' fit is left out of the next fit
    candidate_p: float = 0.2  # a unit this unlikely under everyone's fit is judged against the others alone


@dataclass
class RateFinding:
    key: str
    group: str
    events: int
    trials: int
    rate: float
    peer_rate: float  # the group's pooled rate without this unit
    z: float  # the funnel plot's z-score against the peers' distribution
    p_value: float  # P(at least this many events | the peers' beta-binomial)
    q_value: float = 1.0  # Benjamini–Hochberg adjusted
    alpha: float = 0.0  # the peers' fitted beta distribution of rates
    beta: float = 0.0
    upper_998: float = 1.0  # the funnel's upper 99.8% limit at this unit's trials
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)

    def evidence(self) -> dict:
        return {"events": self.events, "trials": self.trials, "rate": round(self.rate, 4),
                "peer_rate": round(self.peer_rate, 4), "z": round(self.z, 2),
                "p_value": float(f"{self.p_value:.3g}"), "q_value": float(f"{self.q_value:.3g}"),
                "peer_alpha": round(self.alpha, 3), "peer_beta": round(self.beta, 3),
                "funnel_upper_998": round(self.upper_998, 4), "group": self.group,
                "method": "beta-binomial of the peers (funnel plot with overdispersion), Benjamini-Hochberg FDR"}


def fit_beta_binomial(events: list[int], trials: list[int],
                      start: tuple[float, float] | None = None) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) of a beta-binomial: the spread of true rates among peers.

    Peers' rates differ for good reasons (case mix); a plain binomial would call that spread
    anomalous. The parameters are bounded so that an all-binomial group converges too.
    """
    x, n = np.asarray(events), np.asarray(trials)
    pooled = min(max(x.sum() / n.sum(), 1e-6), 1 - 1e-6)

    def nll(theta: np.ndarray) -> float:
        # The beta-binomial log-likelihood without its binomial coefficients, which do not depend on (a, b).
        a, b = np.exp(np.clip(theta, -5, 14))
        return -float((special.betaln(x + a, n - x + b) - special.betaln(a, b)).sum())

    first = np.log(start) if start else np.log([pooled * 50, (1 - pooled) * 50])
    result = optimize.minimize(nll, first, method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-4})
    a, b = np.exp(np.clip(result.x, -5, 14))
    return float(a), float(b)


def _group_scores(units: list[RateUnit], policy: RatePolicy) -> list[RateFinding]:
    events = sum(u.events for u in units)
    trials = sum(u.trials for u in units)
    if events == 0 or events == trials:
        return []
    # The peers' fit must not be widened by the very outliers it is to find (masking): a unit
    # that looks high is judged against a fit of the others alone (leave one out), and units
    # far out at a loose level are left out of everyone's fit, which is then redone.
    excluded: set[str] = set()
    findings: list[RateFinding] = []
    for _ in range(policy.refits):
        fit = fit_beta_binomial([u.events for u in units if u.key not in excluded],
                                [u.trials for u in units if u.key not in excluded])
        findings = []
        for unit in units:
            others = trials - unit.trials
            peer = (events - unit.events) / others if others else unit.events / unit.trials
            finding = _score(unit, peer, *fit)
            if unit.key not in excluded and finding.p_value < policy.candidate_p and finding.rate > peer:
                rest = [u for u in units if u.key not in excluded and u.key != unit.key]
                finding = _score(unit, peer, *fit_beta_binomial([u.events for u in rest], [u.trials for u in rest],
                                                                 start=fit))
            findings.append(finding)
        far = {f.key for f in findings if f.p_value < policy.exclude_p and f.rate > f.peer_rate}
        if far <= excluded:
            break
        excluded |= far
    return findings


def _score(unit: RateUnit, peer: float, a: float, b: float) -> RateFinding:
    """A unit's count against the peers' beta-binomial (a, b): z-score, p-value, funnel limit."""
    n, mean = unit.trials, a / (a + b)
    sd = math.sqrt(n * mean * (1 - mean) * (a + b + n) / (a + b + 1))
    return RateFinding(key=unit.key, group=unit.group, events=unit.events, trials=n, rate=unit.events / n,
                       peer_rate=peer, z=(unit.events - n * mean) / sd if sd else 0.0,
                       p_value=float(stats.betabinom.sf(unit.events - 1, n, a, b)), alpha=a, beta=b,
                       upper_998=float(stats.betabinom.ppf(0.998, n, a, b)) / n)


def _judge(findings: list[RateFinding], policy: RatePolicy) -> None:
    for finding, q in zip(findings, benjamini_hochberg([f.p_value for f in findings]), strict=True):
        finding.q_value = q
        finding.flagged = q <= policy.fdr and finding.rate >= policy.min_ratio * finding.peer_rate
        finding.reasons = [f"q={q:.2g} <= {policy.fdr}", f"rate {finding.rate:.1%} >= {policy.min_ratio}x "
                                                       f"peers' {finding.peer_rate:.1%}"] if finding.flagged else []


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Adjusted p-values (q-values) of the Benjamini–Hochberg step-up procedure, in the input's order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = running
    return adjusted


def outlying_rates(units: Iterable[RateUnit], policy: RatePolicy = RatePolicy()) -> list[RateFinding]:
    """Every judged unit's finding, those far above their peers flagged (with the reasons that hold).

    The false-discovery rate is controlled over all units of the scan together, every group's included.
    """
    groups: dict[str, list[RateUnit]] = defaultdict(list)
    for unit in units:
        if unit.trials >= policy.min_trials and 0 <= unit.events <= unit.trials:
            groups[unit.group].append(unit)
    findings = [f for members in groups.values() if len(members) >= policy.min_units
                for f in _group_scores(members, policy)]
    _judge(findings, policy)
    return findings


@dataclass(frozen=True)
class WorkItem:
    """One piece of reported work: an exam done, a report signed, a session held."""

    practitioner_id: int
    at: dt.datetime  # when it started (or was reported)
    minutes: float  # how long it takes at least
    kind: str  # booking, report ...
    ref: str
    site_id: int | None = None


@dataclass(frozen=True)
class WorkloadPolicy:
    """What fits into a working day and into any one hour, as regional policy."""

    max_minutes_per_day: int = 16 * 60  # more than 16 hours of work in one calendar day
    max_items_per_hour: int = 20  # more than 20 items in any 60 minutes (3 minutes each)


@dataclass
class WorkloadFinding:
    practitioner_id: int
    day: dt.date
    minutes: float
    items: int
    peak_per_hour: int
    peak_starts_at: dt.datetime | None
    reasons: list[str]
    refs: list[str]

    @property
    def fingerprint(self) -> str:
        return f"workload:practitioner:{self.practitioner_id}:{self.day.isoformat()}"


def implausible_workloads(items: Iterable[WorkItem], policy: WorkloadPolicy = WorkloadPolicy(),
                          tz: dt.tzinfo = dt.UTC) -> list[WorkloadFinding]:
    """Practitioner-days whose reported work does not fit: too many minutes in the day, or too many items an hour.

    Overlapping items are counted once in the minutes (two exams side by side are not two hours).
    """
    days: dict[tuple[int, dt.date], list[WorkItem]] = defaultdict(list)
    for item in items:
        days[(item.practitioner_id, item.at.astimezone(tz).date())].append(item)
    found = []
    hour = dt.timedelta(hours=1)
    for (practitioner_id, day), work in sorted(days.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        work.sort(key=lambda w: w.at)
        minutes, covered_to = 0.0, None
        for w in work:
            end = w.at + dt.timedelta(minutes=w.minutes)
            start = w.at if covered_to is None else max(w.at, covered_to)
            if end > start:
                minutes += (end - start).total_seconds() / 60
            covered_to = end if covered_to is None else max(covered_to, end)
        peak, peak_at, left = 0, None, 0
        for right, w in enumerate(work):
            while work[left].at <= w.at - hour:
                left += 1
            if right - left + 1 > peak:
                peak, peak_at = right - left + 1, work[left].at
        reasons = []
        if minutes > policy.max_minutes_per_day:
            reasons.append(f"{minutes:.0f} minutes of work in one day (policy {policy.max_minutes_per_day})")
        if peak > policy.max_items_per_hour:
            reasons.append(f"{peak} items within one hour (policy {policy.max_items_per_hour})")
        if reasons:
            found.append(WorkloadFinding(practitioner_id, day, round(minutes, 1), len(work), peak, peak_at, reasons,
                                         [w.ref for w in work][:200]))
    return found
