"""Pure rules of mutual recognition: whose result an institution may accept for an item, and why not.

They read like the 2022 national measures (国卫医发〔2022〕6号): a result is recognisable when it
is final, within the item's validity window, made by an institution that passed quality control
for the item when it was made (the HR mark), and within the region's recognition scope.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

FINAL_STATUSES = frozenset({"final", "amended", "corrected", "appended"})


class Why(enum.StrEnum):
    """Why a result is, or is not, recognisable at the ordering institution."""

    SAME_INSTITUTION = "same-institution"
    SAME_COMMUNITY = "same-community"
    HIGHER_GRADE = "higher-grade"
    SAME_GRADE = "same-grade"
    LOWER_GRADE_ACCEPTED = "lower-grade-accepted"
    NOT_FINAL = "not-final"
    EXPIRED = "expired"
    NOT_ACCREDITED = "not-accredited"
    SCOPE = "scope"


RECOGNISABLE = frozenset({Why.SAME_INSTITUTION, Why.SAME_COMMUNITY, Why.HIGHER_GRADE, Why.SAME_GRADE,
                          Why.LOWER_GRADE_ACCEPTED})


@dataclass(frozen=True)
class Scope:
    """The region's recognition scope (policy data; these are the defaults)."""

    same_community: bool = True  # members of one medical community accept each other's results
    lower_accepts_higher: bool = True  # a grade-2 hospital accepts a grade-3 hospital's results
    same_grade: bool = True  # hospitals of one grade accept each other's results
    higher_accepts_lower: bool = False  # whether a tertiary (higher) hospital accepts a lower grade's results
    independent_rank: int = 2  # the rank of third-party labs and imaging centres without a grade


# Institution types without a hospital grade, ranked as the grade they work alongside.
TYPE_RANKS = {"community_health_centre": 1, "township_health_centre": 1, "primary_hospital": 1,
              "secondary_hospital": 2, "tertiary_hospital": 3, "village_clinic": 0, "individual_clinic": 0}
INDEPENDENT = frozenset({"third_party_lab", "imaging_centre"})


@dataclass(frozen=True)
class Site:
    """An institution as the rules see it: its grade rank and its medical communities."""

    id: int
    type: str
    grade_level: int | None
    communities: frozenset[int] = frozenset()


def rank(site: Site, scope: Scope) -> int:
    """The site's grade rank: its hospital grade, else by its type (independent centres by policy)."""
    if site.grade_level:
        return site.grade_level
    if site.type in INDEPENDENT:
        return scope.independent_rank
    return TYPE_RANKS.get(site.type, 0)


def in_scope(ordering: Site, performing: Site, scope: Scope) -> Why:
    """Whether the ordering site recognises the performing site's results under scope, and on which rule."""
    if ordering.id == performing.id:
        return Why.SAME_INSTITUTION
    if scope.same_community and ordering.communities & performing.communities:
        return Why.SAME_COMMUNITY
    mine, theirs = rank(ordering, scope), rank(performing, scope)
    if theirs > mine and scope.lower_accepts_higher:
        return Why.HIGHER_GRADE
    if theirs == mine and scope.same_grade:
        return Why.SAME_GRADE
    if theirs < mine and scope.higher_accepts_lower:
        return Why.LOWER_GRADE_ACCEPTED
    return Why.SCOPE


@dataclass(frozen=True)
class Window:
    """An accreditation's dates: results made within them carry the HR mark."""

    passed_on: dt.date
    valid_until: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.passed_on <= day <= self.valid_until


def accredited(windows: list[Window], made_on: dt.date) -> bool:
    """Whether any accreditation window covers the day the result was made."""
    return any(w.covers(made_on) for w in windows)


def age_days(made_at: dt.datetime, now: dt.datetime) -> int:
    """Whole days since the result was made."""
    return max(0, (now - made_at).days)


def judge(*, status: str, made_at: dt.datetime, validity_days: int, ordering: Site, performing: Site,
          windows: list[Window], scope: Scope, now: dt.datetime) -> Why:
    """Why a result is, or is not, recognisable now; the first failing rule in this order is given:
    not final, expired, not accredited (own results need no mark), out of scope."""
    if status not in FINAL_STATUSES:
        return Why.NOT_FINAL
    if made_at > now or age_days(made_at, now) > validity_days:
        return Why.EXPIRED
    if ordering.id != performing.id and not accredited(windows, made_at.date()):
        return Why.NOT_ACCREDITED
    return in_scope(ordering, performing, scope)


def recognisable(why: Why) -> bool:
    return why in RECOGNISABLE


def month_of(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """The YYYY-MM of moment in the region's time, the period figures are counted by."""
    return moment.astimezone(tz).strftime("%Y-%m")
