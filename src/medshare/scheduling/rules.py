"""Pure rules of regional exam scheduling: urgency classes, due times, travel and the objective's weights."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from medshare.errors import InvalidInput
from medshare.optim.scheduling import Costs


class Urgency(enum.StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    BOOKED = "booked"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class UrgencyClass:
    """One urgency class as regional policy sets it: its due time and what a day of waiting costs."""

    name: Urgency
    due: dt.timedelta
    wait_per_day: int  # cost units per day waited (100 units: one routine day)
    late_once: int  # extra cost units for being past due at all
    late_per_day: int  # extra cost units per day past due


@dataclass(frozen=True)
class SchedulingPolicy:
    """The region's scheduling policy; these are the defaults, replaceable as data."""

    classes: tuple[UrgencyClass, ...] = (
        # In order of weight: one more urgent request in time, then one more request assigned at all
        # (UNASSIGNED_BASE), then fewer days late, then waiting and travel. So urgent requests are in time
        # whenever capacity allows, and nobody is left out while a slot they may use is free.
        UrgencyClass(Urgency.EMERGENCY, dt.timedelta(hours=24), 2000, 20_000_000_000, 10_000_000),
        UrgencyClass(Urgency.URGENT, dt.timedelta(hours=72), 500, 10_000_000_000, 5_000_000),
        UrgencyClass(Urgency.ROUTINE, dt.timedelta(days=14), 100, 0, 1000),
    )
    max_travel_km: float = 30.0
    travel_per_km: float = 5.0  # 20 km of travel weighs as much as a routine day of waiting
    not_own_hospital: int = 50  # half a routine day: own hospital first when it costs little
    not_named_owner: int = 100
    horizon_days: int = 14
    candidates_per_request: int = 32

    def index(self, urgency: str) -> int:
        """The position of an urgency class (the solver's class number)."""
        for i, c in enumerate(self.classes):
            if c.name == urgency:
                return i
        raise InvalidInput.on("urgency", "known-class", f"{urgency} is not one of {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name.value for c in self.classes)

    def due_at(self, urgency: str, requested_at: dt.datetime) -> dt.datetime:
        """When an exam of this urgency requested then is due."""
        return requested_at + self.classes[self.index(urgency)].due


DEFAULT_POLICY = SchedulingPolicy()


def check_travel(max_travel_km: float | None) -> None:
    """A travel limit, when given, is positive and regional (at most 1,000 km)."""
    if max_travel_km is not None and not 0 < max_travel_km <= 1000:
        raise InvalidInput.on("max_travel_km", "positive-regional", "must be above 0 and at most 1000 km")


def check_earliest(earliest: dt.date, today: dt.date) -> None:
    """The earliest date lies no more than a year ahead (and a past date means today)."""
    if earliest > today + dt.timedelta(days=366):
        raise InvalidInput.on("earliest_date", "within-a-year", "must be within a year from today")


def day_index(moment: dt.datetime, day0: dt.date, tz) -> int:
    """The horizon day (0 is day0, in local time) a moment falls on; negative before day0."""
    return (moment.astimezone(tz).date() - day0).days


UNASSIGNED_BASE = 1_000_000_000  # above the lateness days and waiting a reassignment could shift


def costs_of(policy: SchedulingPolicy) -> Costs:
    """The solver's weights under policy; leaving a request out costs more than scheduling it past the horizon."""
    return Costs(wait_per_day=tuple(c.wait_per_day for c in policy.classes),
                 late_per_day=tuple(c.late_per_day for c in policy.classes),
                 late_once=tuple(c.late_once for c in policy.classes), travel_per_km=policy.travel_per_km,
                 unassigned=tuple(UNASSIGNED_BASE + c.late_once
                                  + (c.late_per_day + c.wait_per_day) * (policy.horizon_days + 1)
                                  for c in policy.classes),
                 not_own_hospital=policy.not_own_hospital, not_named_owner=policy.not_named_owner)
