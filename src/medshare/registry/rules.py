"""Pure rules of the registries: grades, division codes, licence validity, multi-site limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from medshare.errors import InvalidInput
from medshare.registry.models import InstitutionType as T

# The grade level each hospital type must carry; other care providers may carry level 1.
HOSPITAL_LEVEL = {T.TERTIARY_HOSPITAL: 3, T.SECONDARY_HOSPITAL: 2, T.PRIMARY_HOSPITAL: 1}
PRIMARY_CARE_TYPES = {T.COMMUNITY_HEALTH_CENTRE, T.TOWNSHIP_HEALTH_CENTRE}
NON_CLINICAL_TYPES = {T.SUPPLIER, T.LOGISTICS_FIRM, T.INSURER, T.REGULATOR}

# GB/T 2260 province-level prefixes.
PROVINCE_PREFIXES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}
DIVISION_CODE = re.compile(r"^\d{6}$")
EXPIRING_WITHIN = dt.timedelta(days=90)


def check_grade(type_: T, level: int | None, grade_class: str | None) -> None:
    """The grade (1/2/3, A/B/C) must fit the institution type."""
    if grade_class is not None and level is None:
        raise InvalidInput.on("grade_class", "grade-needs-level", "a grade class needs a grade level")
    if type_ in HOSPITAL_LEVEL:
        expected = HOSPITAL_LEVEL[type_]
        if level != expected:
            raise InvalidInput.on(
                "grade_level", "grade-matches-type", f"a {type_.value} has grade level {expected}"
            )
    elif type_ in PRIMARY_CARE_TYPES:
        if level not in (None, 1):
            raise InvalidInput.on(
                "grade_level", "grade-matches-type", f"a {type_.value} has grade level 1 or none"
            )
    elif level is not None:
        raise InvalidInput.on(
            "grade_level", "grade-matches-type", f"a {type_.value} carries no hospital grade"
        )


def check_division_code(code: str) -> None:
    """A GB/T 2260 administrative division code: six digits under a known province."""
    if not DIVISION_CODE.match(code) or code[:2] not in PROVINCE_PREFIXES:
        raise InvalidInput.on(
            "division_code", "gb2260", "must be a six-digit GB/T 2260 code of a province-level division"
        )


def check_location(latitude: float | None, longitude: float | None) -> None:
    """Coordinates come in pairs and within WGS 84 range."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput.on("latitude", "coordinates-paired", "latitude and longitude go together")
    if latitude is not None and not -90 <= latitude <= 90:
        raise InvalidInput.on("latitude", "range", "must be between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise InvalidInput.on("longitude", "range", "must be between -180 and 180")


def check_validity(valid_from: dt.date, valid_to: dt.date) -> None:
    """A validity window ends on or after it starts."""
    if valid_to < valid_from:
        raise InvalidInput.on("valid_to", "after-valid-from", "must be on or after valid_from")


def licence_status(valid_from: dt.date, valid_to: dt.date, today: dt.date) -> str:
    """valid, expiring (within 90 days), expired or not_yet_valid."""
    if today < valid_from:
        return "not_yet_valid"
    if today > valid_to:
        return "expired"
    if valid_to - today <= EXPIRING_WITHIN:
        return "expiring"
    return "valid"


@dataclass(frozen=True)
class Window:
    """A closed range of dates during which a practitioner holds a site."""

    start: dt.date
    end: dt.date


def most_concurrent_sites(existing: Iterable[Window], new: Window) -> int:
    """The largest number of sites held on any one day of new, counting new and the primary site."""
    days = [new.start] + [w.start for w in existing if new.start <= w.start <= new.end]
    overlapping = [w for w in existing if w.start <= new.end and w.end >= new.start]
    return 2 + max(sum(1 for w in overlapping if w.start <= day <= w.end) for day in days)


def check_site_limit(existing: Iterable[Window], new: Window, max_sites: int) -> None:
    """A new registration may not take a practitioner above the region's site limit."""
    existing = list(existing)
    held = most_concurrent_sites(existing, new)
    if held > max_sites:
        raise InvalidInput.on(
            "institution_id",
            "max-sites",
            f"this registration would make {held} practice sites at once; the region allows {max_sites}"
            " (the primary site counts as one)",
        )
