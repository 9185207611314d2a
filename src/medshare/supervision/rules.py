"""Credit and standing as the regulation reads: pure functions over plain values (no database).

Score = base + Σ points(kind) · ½^(age / half-life), with events before an approved remediation
weighted by the policy's remediation factor and positive points capped; the level is the first
threshold the score reaches. A subject is blacklisted while a blacklisting sanction is in force,
or while its level is one the policy blacklists.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

DEFAULT_POLICY: dict = {
    "base_score": 100.0,
    "half_life_days": 365,
    # Level A from 90, B from 75, C from 60, D below.
    "levels": [["A", 90.0], ["B", 75.0], ["C", 60.0], ["D", None]],
    "blacklist_levels": ["D"],
    "points": {
        "sanction.warning": -5.0,
        "sanction.fine": -15.0,
        "sanction.suspension": -30.0,
        "sanction.licence_revocation": -50.0,
        "sanction.blacklist": -45.0,
        "complaint.substantiated": -8.0,
        "bookings.no_show_rate": -10.0,
        "recognition.repeat_override_outlier": -10.0,  # repeat-exam overrides far above peers (a risk alert)
        "licence.expired": -20.0,
        "qc.passed": 3.0,
        "referral.completed": 0.5,
    },
    "positive_cap": 10.0,  # good conduct cannot buy back more than this
    "remediation_factor": 0.0,  # weight left on negative events before an approved remediation
    "blacklisting_sanctions": ["suspension", "licence_revocation", "blacklist"],
    "no_show": {"window_days": 90, "min_bookings": 10, "max_rate": 0.15},
    "complaints": {"per_hour": 3, "per_day": 10},
}


def merged_policy(stored: dict | None) -> dict:
    """The default policy overlaid with what the region stored (nested dicts merged one level deep)."""
    policy = copy.deepcopy(DEFAULT_POLICY)
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(policy.get(key), dict):
            policy[key] = {**policy[key], **value}
        else:
            policy[key] = value
    return policy


@dataclass(frozen=True)
class Event:
    kind: str
    occurred_on: dt.date


@dataclass(frozen=True)
class ActiveSanction:
    id: int
    kind: str
    blacklists: bool
    ends_on: dt.date | None


@dataclass
class Standing:
    score: float
    level: str
    blacklisted: bool
    reasons: list[str] = field(default_factory=list)
    sanctions_in_force: list[ActiveSanction] = field(default_factory=list)


def decayed(points: float, age_days: int, half_life_days: float) -> float:
    """points weighed down by age: half as much every half-life."""
    return points * 0.5 ** (max(age_days, 0) / half_life_days)


def score(events: list[Event], today: dt.date, policy: dict, remediated_on: dt.date | None = None) -> float:
    """The credit score on today of a subject with these events."""
    points_of = policy["points"]
    negative = positive = 0.0
    for item in events:
        points = decayed(points_of.get(item.kind, 0.0), (today - item.occurred_on).days, policy["half_life_days"])
        if points < 0:
            if remediated_on is not None and item.occurred_on <= remediated_on:
                points *= policy["remediation_factor"]
            negative += points
        else:
            positive += points
    return round(policy["base_score"] + negative + min(positive, policy["positive_cap"]), 2)


def level_of(value: float, policy: dict) -> str:
    """The credit level whose threshold value reaches first."""
    for name, threshold in policy["levels"]:
        if threshold is None or value >= threshold:
            return name
    return policy["levels"][-1][0]


def sanction_in_force(starts_on: dt.date, ends_on: dt.date | None, lifted: bool, today: dt.date) -> bool:
    """Whether a sanction applies on today: started, not ended (ends_on is exclusive), not lifted."""
    return not lifted and starts_on <= today and (ends_on is None or today < ends_on)


def standing(events: list[Event], sanctions: list[ActiveSanction], today: dt.date, policy: dict,
             remediated_on: dt.date | None = None) -> Standing:
    """Score, level and whether the subject is blacklisted, with the reasons in words."""
    value = score(events, today, policy, remediated_on)
    level = level_of(value, policy)
    reasons = []
    for s in sanctions:
        if s.blacklists:
            until = f" until {s.ends_on}" if s.ends_on else ""
            reasons.append(f"sanction #{s.id} ({s.kind}) in force{until}")
    if level in policy["blacklist_levels"]:
        reasons.append(f"credit level {level} (score {value})")
    return Standing(value, level, bool(reasons), reasons, sanctions)


def no_show_rate_over(bookings: int, missed: int, policy: dict) -> bool:
    """Whether a requester's no-show and late-cancellation rate breaks the policy (enough bookings to judge)."""
    rule = policy["no_show"]
    return bookings >= rule["min_bookings"] and missed / bookings > rule["max_rate"]


def complaint_allowed(last_hour: int, last_day: int, policy: dict) -> str | None:
    """None when one more complaint from the same source is allowed, else the limit it would break."""
    limits = policy["complaints"]
    if last_hour >= limits["per_hour"]:
        return f"at most {limits['per_hour']} complaints an hour from one source"
    if last_day >= limits["per_day"]:
        return f"at most {limits['per_day']} complaints a day from one source"
    return None
