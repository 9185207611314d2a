"""Pure rules of emergency supplies: categories, priority classes as regional policy, stock rows, the ledger."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import math
import re
from dataclasses import dataclass, replace

from medshare.errors import FieldProblem, InvalidInput


class ItemCategory(enum.StrEnum):
    PROTECTIVE_EQUIPMENT = "protective_equipment"
    VENTILATORS_OXYGEN = "ventilators_oxygen"
    TEST_KITS = "test_kits"
    DRUGS = "drugs"
    DISINFECTANT = "disinfectant"


class LocationKind(enum.StrEnum):
    HOSPITAL_STORE = "hospital_store"
    WAREHOUSE = "warehouse"
    SUPPLIER = "supplier"


class SupplyRequestStatus(enum.StrEnum):
    OPEN = "open"  # some of it is neither shipped nor on its way
    ALLOCATED = "allocated"  # committed shipments cover all of it
    FULFILLED = "fulfilled"  # received in full
    CANCELLED = "cancelled"


class RunStatus(enum.StrEnum):
    PROPOSED = "proposed"
    COMMITTED = "committed"
    SUPERSEDED = "superseded"  # another run was committed after it was proposed: its figures are stale


class ShipmentStatus(enum.StrEnum):
    ORDERED = "ordered"
    DISPATCHED = "dispatched"
    RECEIVED = "received"


class MoveKind(enum.StrEnum):
    REPORT = "report"  # a stock report changed the count on hand (from or to the outside world)
    DISPATCH = "dispatch"  # stock left a location, into a shipment in transit
    PRODUCTION = "production"  # a supplier made units straight into a shipment in transit
    RECEIPT = "receipt"  # a shipment in transit arrived at its destination
    LOSS = "loss"  # dispatched but not received: the difference, recorded
    SURPLUS = "surplus"  # received more than dispatched: the difference, recorded


EXTERNAL, LOSS_ACCOUNT = "external", "loss"


def stock_account(location_id: int) -> str:
    """The ledger account of what is physically on hand at a location."""
    return f"stock:{location_id}"


def transit_account(shipment_id: int) -> str:
    """The ledger account of what a shipment carries between dispatch and receipt."""
    return f"transit:{shipment_id}"


@dataclass(frozen=True)
class PriorityClass:
    """A priority class of requests, as regional policy sets it (most urgent first)."""

    code: str
    lateness_cost: float  # per unit and day delivered after need-by, in km-equivalents of transport


@dataclass(frozen=True)
class SupplyPolicy:
    """The region's allocation policy; these are the defaults, replaceable as data."""

    classes: tuple[PriorityClass, ...] = (
        PriorityClass("critical_care", 50.0),
        PriorityClass("fever_clinic", 20.0),
        PriorityClass("general_ward", 10.0),
        PriorityClass("reserve", 5.0),
    )
    max_source_km: float = 60.0  # sources farther from a destination are not considered for it
    km_per_day: float = 300.0  # a day on the road
    horizon_days: int = 7
    substitute_cost: float = 1.0  # per unit shipped as a substitute: the item asked for first when equal
    source_kinds: tuple[LocationKind, ...] = (LocationKind.WAREHOUSE, LocationKind.SUPPLIER)
    # Sources must lie in the destination's region: the same first digits of the division code (2: province,
    # 4: city, 6: district); 0 lets distance alone decide. A location without a division code is in every region.
    region_digits: int = 0

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.classes]

    def rank(self, code: str) -> int:
        """The position of a class (0: most urgent); unknown codes are refused naming the field."""
        for i, c in enumerate(self.classes):
            if c.code == code:
                return i
        raise InvalidInput.on("priority", "known-class", f"{code} is not one of {', '.join(self.codes)}")


DEFAULT_POLICY = SupplyPolicy()
POLICY_KEYS = ("classes", "max_source_km", "km_per_day", "horizon_days", "substitute_cost", "source_kinds",
               "region_digits")
_CLASS_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def policy_from(values: dict | None) -> SupplyPolicy:
    """The region's policy: values (from settings, e.g. MEDSHARE_SUPPLY_POLICY as JSON) over the defaults.

    classes is a list of {"code", "lateness_cost"}, most urgent first; anything not given keeps its
    default. A bad value is refused naming the field and the rule.
    """
    values = dict(values or {})
    unknown = sorted(set(values) - set(POLICY_KEYS))
    if unknown:
        raise InvalidInput.on(f"supply_policy.{unknown[0]}", "known-key", f"not one of {', '.join(POLICY_KEYS)}")
    out: dict = {}
    if "classes" in values:
        raw = values["classes"]
        if not isinstance(raw, list) or not raw:
            raise InvalidInput.on("supply_policy.classes", "non-empty-list", "give at least one priority class")
        classes = []
        for n, entry in enumerate(raw):
            entry = entry if isinstance(entry, dict) else {"code": entry}
            code = str(entry.get("code", ""))
            if not _CLASS_CODE.match(code):
                raise InvalidInput.on(f"supply_policy.classes.{n}.code", "class-code",
                                      "a lower-case code of letters, digits and _ (at most 40)")
            cost = _number(entry.get("lateness_cost", 10.0), f"supply_policy.classes.{n}.lateness_cost", 0.0)
            classes.append(PriorityClass(code, cost))
        if len({c.code for c in classes}) != len(classes):
            raise InvalidInput.on("supply_policy.classes", "unique-codes", "each class code appears once")
        out["classes"] = tuple(classes)
    for key, low in (("max_source_km", 1e-9), ("km_per_day", 1e-9), ("substitute_cost", 0.0)):
        if key in values:
            out[key] = _number(values[key], f"supply_policy.{key}", low)
    if "horizon_days" in values:
        out["horizon_days"] = int(_number(values["horizon_days"], "supply_policy.horizon_days", 1, 60))
    if "region_digits" in values:
        if values["region_digits"] not in (0, 2, 4, 6):
            raise InvalidInput.on("supply_policy.region_digits", "one-of", "0, 2, 4 or 6")
        out["region_digits"] = int(values["region_digits"])
    if "source_kinds" in values:
        try:
            out["source_kinds"] = tuple(LocationKind(k) for k in values["source_kinds"])
        except (TypeError, ValueError) as error:
            raise InvalidInput.on("supply_policy.source_kinds", "location-kinds",
                                  f"each one of {', '.join(k.value for k in LocationKind)}") from error
    return replace(DEFAULT_POLICY, **out)


def _number(value, field: str, low: float, high: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInput.on(field, "number", f"{value!r} is not a number") from error
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        raise InvalidInput.on(field, "range", f"{number} is outside [{low}, {high if high is not None else '∞'}]")
    return number


def region_of(division_code: str, digits: int) -> str:
    """The region a division code lies in under the policy ("" when unrestricted or unknown: every region)."""
    code = (division_code or "").strip()
    return code[:digits] if digits and len(code) >= digits else ""


def days_of_supply(on_hand: float, daily_use: float) -> float | None:
    """How many days the stock on hand lasts at the current consumption (None when nothing is used)."""
    if daily_use <= 0:
        return None
    return on_hand / daily_use


def to_km(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """A position on a local plane in km around (lat0, lon0): accurate to a few metres over a province."""
    return (lon - lon0) * 111.320 * math.cos(math.radians(lat0)), (lat - lat0) * 110.574


# Stock rows (CSV upload and JSON reports) ------------------------------------------------------------

STOCK_COLUMNS = ("location_id", "item_code", "lot", "expiry", "on_hand", "reserved")


@dataclass(frozen=True)
class StockRow:
    """One reported lot: where, what, which lot, its expiry, how many on hand and held back by the owner."""

    row: int
    location_id: int
    item_code: str
    lot: str
    expiry: dt.date | None
    on_hand: int
    reserved: int


def _int(text: str, field: str, problems: list[FieldProblem], *, minimum: int = 0) -> int | None:
    try:
        value = int(text)
    except ValueError:
        problems.append(FieldProblem(field, "integer", f"{text!r} is not a whole number"))
        return None
    if value < minimum:
        problems.append(FieldProblem(field, "non-negative", f"{value} is below {minimum}"))
        return None
    return value


def parse_stock_csv(text: str, today: dt.date, *, max_rows: int = 20_000) -> tuple[list[StockRow], list[FieldProblem]]:
    """The rows of a stock CSV and every problem found, each naming the row, the field and the rule.

    Rows are numbered as a spreadsheet shows them (the header is row 1). A file with any problem
    must be refused whole; the caller writes nothing then.
    """
    problems: list[FieldProblem] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in STOCK_COLUMNS if c not in header and c not in ("lot", "expiry", "reserved")]
    if missing:
        return [], [FieldProblem(f"header.{c}", "required-column", f"the header lacks the column {c}")
                    for c in missing]
    unknown = [c for c in header if c not in STOCK_COLUMNS]
    problems += [FieldProblem(f"header.{c}", "known-column", f"{c} is not one of {', '.join(STOCK_COLUMNS)}")
                 for c in unknown]
    rows: list[StockRow] = []
    seen: dict[tuple[int, str, str], int] = {}
    for n, raw in enumerate(reader, start=2):
        if n - 1 > max_rows:
            problems.append(FieldProblem(f"row {n}", "max-rows", f"a file holds at most {max_rows} rows"))
            break
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(FieldProblem(f"row {n}", "column-count", "the row has more cells than the header"))
        before = len(problems)
        location = _int(values.get("location_id", ""), f"row {n}.location_id", problems, minimum=1)
        code = values.get("item_code", "")
        if not code:
            problems.append(FieldProblem(f"row {n}.item_code", "required", "give the item's code"))
        lot = values.get("lot", "")
        if len(lot) > 40:
            problems.append(FieldProblem(f"row {n}.lot", "max-length", "a lot number has at most 40 characters"))
        expiry = None
        if values.get("expiry"):
            try:
                expiry = dt.date.fromisoformat(values["expiry"])
            except ValueError:
                problems.append(FieldProblem(f"row {n}.expiry", "iso-date", f"{values['expiry']!r} is not YYYY-MM-DD"))
            else:
                if expiry < today:
                    problems.append(FieldProblem(f"row {n}.expiry", "not-expired",
                                                 f"the lot expired on {expiry.isoformat()}"))
        on_hand = _int(values.get("on_hand", ""), f"row {n}.on_hand", problems)
        reserved = _int(values.get("reserved") or "0", f"row {n}.reserved", problems)
        if on_hand is not None and reserved is not None and reserved > on_hand:
            problems.append(FieldProblem(f"row {n}.reserved", "within-on-hand",
                                         f"{reserved} reserved is more than the {on_hand} on hand"))
        if location is not None and code:
            key = (location, code, lot)
            if key in seen:
                problems.append(FieldProblem(f"row {n}.lot", "unique-lot",
                                             f"the same location, item and lot as row {seen[key]}"))
            seen.setdefault(key, n)
        if len(problems) == before:
            rows.append(StockRow(n, location, code, lot, expiry, on_hand, reserved))
    if not rows and not problems:
        problems.append(FieldProblem("file", "not-empty", "the file holds no rows"))
    return rows, problems


def check_report_row(row: StockRow, committed: int) -> list[FieldProblem]:
    """A reported count may not fall below what committed shipment orders already hold at that lot."""
    if row.on_hand - row.reserved < committed:
        return [FieldProblem(f"row {row.row}.on_hand", "covers-committed",
                             f"{committed} of this lot are committed to shipment orders; "
                             f"on hand less reserved may not fall below that")]
    return []


def fefo(lots: list[tuple[str, dt.date | None, int]], quantity: int) -> list[tuple[str, dt.date | None, int]]:
    """Take quantity from lots (lot, expiry, available), first expiring first out; lots without expiry last."""
    taken = []
    for lot, expiry, available in sorted(lots, key=lambda x: (x[1] is None, x[1] or dt.date.max, x[0])):
        if quantity <= 0:
            break
        take = min(available, quantity)
        if take > 0:
            taken.append((lot, expiry, take))
            quantity -= take
    return taken
