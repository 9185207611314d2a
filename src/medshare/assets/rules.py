"""Pure rules of shared assets: calendars and slots, who may book, prices, fees and ledger lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from medshare.errors import Conflict, Forbidden, InvalidInput

UTC = dt.UTC

# Which status may follow which; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    "held": {"confirmed", "pending", "cancelled", "expired"},
    "pending": {"confirmed", "declined", "cancelled"},
    "confirmed": {"cancelled", "no_show", "completed"},
}
LIVE_STATUSES = ("held", "pending", "confirmed")


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Calendar:
    """An asset's bookable time: weekly hours in local time, closures in UTC, the unit grid."""

    tz: ZoneInfo
    grid_minutes: int
    hours: tuple[tuple[int, dt.time, dt.time], ...]  # (weekday, opens, closes)
    closures: tuple[Interval, ...] = ()


def units(start: dt.datetime, end: dt.datetime, grid_minutes: int) -> list[dt.datetime]:
    """The grid units [start, end) covers, each named by its start."""
    step = dt.timedelta(minutes=grid_minutes)
    out, t = [], start
    while t < end:
        out.append(t)
        t += step
    return out


def _opening_intervals(calendar: Calendar, day: dt.date) -> Iterator[Interval]:
    for weekday, opens, closes in calendar.hours:
        if weekday == day.weekday():
            start = dt.datetime.combine(day, opens, calendar.tz).astimezone(UTC)
            end = dt.datetime.combine(day, closes, calendar.tz).astimezone(UTC)
            yield Interval(start, end)


def check_slot(calendar: Calendar, start: dt.datetime, minutes: int) -> Interval:
    """A slot must start on the grid, lie inside one opening interval and touch no closure."""
    slot = Interval(start, start + dt.timedelta(minutes=minutes))
    local = start.astimezone(calendar.tz)
    if (local.hour * 60 + local.minute) % calendar.grid_minutes or local.second or local.microsecond:
        raise InvalidInput.on("starts_at", "on-grid", f"must start on a {calendar.grid_minutes}-minute boundary")
    if not any(i.start <= slot.start and slot.end <= i.end for i in _opening_intervals(calendar, local.date())):
        raise InvalidInput.on("starts_at", "within-opening-hours", "the slot lies outside the asset's opening hours")
    for closure in calendar.closures:
        if closure.overlaps(slot):
            raise InvalidInput.on("starts_at", "not-closed", "the asset is closed (blackout or maintenance) then")
    return slot


def free_slots(calendar: Calendar, minutes: int, window: Interval, taken: Iterable[dt.datetime]) -> Iterator[Interval]:
    """Free slots of minutes length inside window, earliest first, stepped by the slot length from opening."""
    taken = set(taken)
    length = dt.timedelta(minutes=minutes)
    day = window.start.astimezone(calendar.tz).date()
    last = window.end.astimezone(calendar.tz).date()
    while day <= last:
        for opening in sorted(_opening_intervals(calendar, day), key=lambda i: i.start):
            start = opening.start
            while start + length <= opening.end:
                slot = Interval(start, start + length)
                if (slot.start >= window.start and slot.end <= window.end
                        and not any(c.overlaps(slot) for c in calendar.closures)
                        and not any(u in taken for u in units(slot.start, slot.end, calendar.grid_minutes))):
                    yield slot
                start += length
        day += dt.timedelta(days=1)


def open_minutes(calendar: Calendar, window: Interval) -> int:
    """Minutes the asset is open inside window: opening hours less closures."""
    total = 0
    day = window.start.astimezone(calendar.tz).date()
    while day <= window.end.astimezone(calendar.tz).date():
        for opening in _opening_intervals(calendar, day):
            start, end = max(opening.start, window.start), min(opening.end, window.end)
            if end <= start:
                continue
            minutes = (end - start).total_seconds() / 60
            for closure in calendar.closures:
                overlap = (min(end, closure.end) - max(start, closure.start)).total_seconds() / 60
                minutes -= max(0.0, overlap)
            total += max(0, round(minutes))
        day += dt.timedelta(days=1)
    return total


def check_booking_window(now: dt.datetime, start: dt.datetime, min_lead_minutes: int, max_horizon_days: int) -> None:
    """A booking is made at least the lead time ahead and no further ahead than the horizon."""
    if start < now + dt.timedelta(minutes=min_lead_minutes):
        raise InvalidInput.on("starts_at", "min-lead-time",
                              f"must be at least {min_lead_minutes} minutes from now")
    if start > now + dt.timedelta(days=max_horizon_days):
        raise InvalidInput.on("starts_at", "max-horizon", f"must be within {max_horizon_days} days from now")


@dataclass(frozen=True)
class Requester:
    """Who asks for a slot, as the sharing policy sees them."""

    institution_id: int
    institution_type: str
    grade_level: int | None
    communities: frozenset[int] = frozenset()
    practitioner_id: int | None = None  # set when a practitioner books on their own account
    registered_at_owner: bool = False  # the practitioner holds a valid registration at the owner


@dataclass(frozen=True)
class SharingPolicy:
    owner_institution_id: int
    owner_communities: frozenset[int]
    open_to: str  # all / community / listed
    allowed_grades: tuple[int, ...] = ()
    allowed_types: tuple[str, ...] = ()
    bookers: str = "institutions"  # institutions / practitioners / both
    capabilities: tuple[str, ...] = field(default=())


def check_may_book(requester: Requester, policy: SharingPolicy) -> None:
    """The sharing policy admits the requester (the owner's own staff always may)."""
    individual = requester.practitioner_id is not None
    if individual:
        if policy.bookers == "institutions":
            raise Forbidden("this asset is booked by institutions only (rule: bookers)")
        if not requester.registered_at_owner:
            raise InvalidInput.on("as_individual", "registered-at-owner",
                                  "an individual doctor needs a valid multi-site registration at the owner")
        return
    if policy.bookers == "practitioners":
        raise Forbidden("this asset is booked by practitioners on their own account only (rule: bookers)")
    if requester.institution_id == policy.owner_institution_id or policy.open_to == "all":
        return
    if policy.open_to == "community":
        if not requester.communities & policy.owner_communities:
            raise Forbidden("this asset is shared within the owner's medical community only (rule: open-to)")
        return
    grade_ok = not policy.allowed_grades or requester.grade_level in policy.allowed_grades
    type_ok = not policy.allowed_types or requester.institution_type in policy.allowed_types
    if not (grade_ok and type_ok):
        raise Forbidden("this asset is shared with listed grades or types of institution only (rule: open-to)")


def price_category(requester: Requester, policy: SharingPolicy) -> str:
    """own / community / other / individual: which price list row applies."""
    if requester.practitioner_id is not None:
        return "individual"
    if requester.institution_id == policy.owner_institution_id:
        return "own"
    if requester.communities & policy.owner_communities:
        return "community"
    return "other"


def pick_price(prices: dict[tuple[str, str], int], exam_code: str, category: str) -> int:
    """The price for exam and category: the exam's own row, else the asset's default row, else free."""
    for key in ((exam_code, category), ("", category), (exam_code, "other"), ("", "other")):
        if key in prices:
            return prices[key]
    return 0


def check_quota(bookings_in_period: int, quota: int | None, period_days: int) -> None:
    """A requester holds at most quota live bookings of an asset per period."""
    if quota is not None and bookings_in_period >= quota:
        raise InvalidInput.on("starts_at", "quota", f"the quota of {quota} bookings per {period_days} days is used up")


def check_transition(current: str, new: str) -> None:
    """The booking state machine."""
    if new not in TRANSITIONS.get(current, set()):
        raise Conflict.on("status", "transition", f"a {current} booking cannot become {new}")


def cancellation_fee(price_fen: int, now: dt.datetime, start: dt.datetime, free_hours: int, fee_percent: int) -> int:
    """Free until free_hours before the start; a percentage of the price after that."""
    if start - now >= dt.timedelta(hours=free_hours):
        return 0
    return price_fen * fee_percent // 100


def settlement_lines(amount_fen: int, payer_account: int, owner_account: int) -> list[tuple[int, int]]:
    """Balanced ledger lines: the payer owes the amount (debit), the owner is owed it (credit)."""
    if amount_fen < 0:
        raise ValueError("a settlement amount is never negative")
    if payer_account == owner_account or amount_fen == 0:
        return []
    return [(payer_account, amount_fen), (owner_account, -amount_fen)]
