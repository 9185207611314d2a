"""The asset form: flat HTML fields (weekly hours grid, exam rows with prices in yuan) to and from AssetIn."""

from __future__ import annotations

import re
from typing import Any

from medshare.assets.models import Asset, PriceCategory
from medshare.errors import FieldProblem, InvalidInput
from medshare.i18n import gettext
from medshare.registry.models import InstitutionType
from medshare.web import labels
from medshare.web.assets.common import fen_of, yuan_plain
from medshare.web.forms import FormErrors, values_of

SCALARS = ("name", "kind", "modality", "site", "latitude", "longitude", "open_to", "bookers", "grid_minutes",
           "min_lead_minutes", "max_horizon_days", "quota_count", "quota_period_days", "free_cancel_hours",
           "late_cancel_fee_percent", "no_show_fee_percent", "hold_minutes")
# Fixed once listed: slots already booked sit on the grid, and the price of a hold is its length.
FIXED = ("kind", "modality", "grid_minutes", "latitude", "longitude", "hold_minutes")
EDITABLE = tuple(name for name in SCALARS if name not in FIXED)
LISTS = ("capabilities", "allowed_grades", "allowed_types", "approval_required", "hours", "exam_types", "prices",
         "active")
SESSIONS = 2  # opening sessions a day (morning and afternoon, or one long day)
BLANK_EXAM_ROWS = 2
CATEGORIES = [c.value for c in PriceCategory]
GRID_CHOICES = (5, 10, 15, 20, 30, 60)
BOOKER_TYPES = [t for t in InstitutionType if t not in (InstitutionType.SUPPLIER, InstitutionType.LOGISTICS_FIRM,
                                                         InstitutionType.INSURER, InstitutionType.REGULATOR)]


def exam_rows(form: dict[str, str]) -> int:
    """How many exam rows the form has: those filled in, plus blank ones to add more."""
    used = [int(key[1:].split("-")[0]) for key in form if key.startswith("x") and key[1:].split("-")[0].isdigit()]
    filled = max(used, default=-1) + 1
    return filled + BLANK_EXAM_ROWS


def values_of_asset(asset: Asset) -> dict[str, str]:
    """The asset as the text its form shows."""
    values = values_of(asset, SCALARS)
    values["capabilities"] = ", ".join(asset.capabilities)
    values |= {f"grade_{g}": "on" for g in asset.allowed_grades}
    values |= {f"type_{t}": "on" for t in asset.allowed_types}
    if asset.approval_required:
        values["approval_required"] = "on"
    if asset.active:
        values["active"] = "on"
    per_day: dict[int, int] = {}
    for hours in sorted(asset.hours, key=lambda h: (h.weekday, h.opens)):
        n = per_day.get(hours.weekday, 0)
        per_day[hours.weekday] = n + 1
        values[f"h{hours.weekday}-{n}-opens"] = hours.opens.strftime("%H:%M")
        values[f"h{hours.weekday}-{n}-closes"] = hours.closes.strftime("%H:%M")
    row_of = {}
    for i, exam in enumerate(asset.exam_types):
        row_of[exam.code] = i
        values |= {f"x{i}-code": exam.code, f"x{i}-name": exam.name, f"x{i}-minutes": str(exam.minutes)}
    for price in asset.prices:
        if price.exam_code == "":
            values[f"p-{price.category.value}"] = yuan_plain(price.amount_fen)
        elif price.exam_code in row_of:
            values[f"x{row_of[price.exam_code]}-{price.category.value}"] = yuan_plain(price.amount_fen)
    return values


def _hours(form: dict[str, str], problems: list[FieldProblem]) -> list[dict]:
    hours = []
    for day in range(7):
        for n in range(SESSIONS):
            opens, closes = form.get(f"h{day}-{n}-opens", ""), form.get(f"h{day}-{n}-closes", "")
            if opens and closes:
                hours.append({"weekday": day, "opens": opens, "closes": closes})
            elif opens or closes:
                problems.append(FieldProblem(f"h{day}-{n}", "both-times",
                                             "a session needs both its opening and its closing time"))
    return hours


def _exams_and_prices(form: dict[str, str], problems: list[FieldProblem]) -> tuple[list[dict], list[dict]]:
    exams, prices = [], []

    def price(key: str, exam_code: str, category: str) -> None:
        try:
            fen = fen_of(form.get(key, ""), key)
        except InvalidInput as error:
            problems.extend(error.problems)
            return
        if fen is not None:
            prices.append({"exam_code": exam_code, "category": category, "amount_fen": fen})

    for category in CATEGORIES:
        price(f"p-{category}", "", category)
    for i in range(exam_rows(form)):
        code, name, minutes = (form.get(f"x{i}-{part}", "") for part in ("code", "name", "minutes"))
        priced = any(form.get(f"x{i}-{c}", "") for c in CATEGORIES)
        if not (code or name or minutes or priced):
            continue
        if not (code and name and minutes):
            problems.append(FieldProblem(f"x{i}", "complete-row", "an exam type needs a code, a name and its minutes"))
            continue
        exams.append({"code": code, "name": name, "minutes": minutes})
        for category in CATEGORIES:
            price(f"x{i}-{category}", code, category)
    return exams, prices


def asset_values(form: dict[str, str], *, for_update: bool = False) -> dict[str, Any]:
    """The form as AssetIn's (or AssetPatch's) fields; rows that are only half filled are refused by name."""
    problems: list[FieldProblem] = []
    names = EDITABLE if for_update else SCALARS
    values: dict[str, Any] = {name: form[name] for name in names if form.get(name, "") != ""}
    if for_update and form.get("quota_count", "") == "":
        values["quota_count"] = None  # cleared: no quota
    values["capabilities"] = [c.strip() for c in form.get("capabilities", "").replace("，", ",").split(",")
                              if c.strip()]
    values["allowed_grades"] = [g for g in (1, 2, 3) if form.get(f"grade_{g}")]
    values["allowed_types"] = [t.value for t in BOOKER_TYPES if form.get(f"type_{t.value}")]
    values["approval_required"] = bool(form.get("approval_required"))
    if for_update:
        values["active"] = bool(form.get("active"))
    values["hours"] = _hours(form, problems)
    values["exam_types"], values["prices"] = _exams_and_prices(form, problems)
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems)
    return values


def changes_of(asset: Asset, values: dict[str, Any]) -> dict[str, Any]:
    """Only what the form changed, so the audit trail names the fields that really changed."""
    current = asset_values(values_of_asset(asset), for_update=True)
    return {key: value for key, value in values.items() if current.get(key) != value}


def _where(field: str) -> str:
    """Which row of the hours grid or the exam table a problem's field names, in the page's words."""
    if match := re.fullmatch(r"h(\d)-(\d)", field):
        session = gettext("Session %(n)s") % {"n": int(match[2]) + 1}
        return f"{labels.label(int(match[1]), 'weekday')} · {session}"
    if match := re.fullmatch(r"x(\d+)(?:-\w+)?", field):
        return gettext("Row %(n)s") % {"n": int(match[1]) + 1}
    if field.startswith("p-"):
        return gettext("Default price")
    return field


def sections(errors: FormErrors) -> dict[str, list[tuple[str, FieldProblem]]]:
    """Problems of the hours grid and of the exam table, each with the row it is about, to show under each."""
    out: dict[str, list[tuple[str, FieldProblem]]] = {"hours": [], "exams": []}
    for field, problems in errors.by_field.items():
        if field.startswith("hours") or re.fullmatch(r"h\d-\d", field):
            out["hours"].extend((_where(field), p) for p in problems)
        elif field.startswith(("exam_types", "prices", "p-")) or re.fullmatch(r"x\d+(-\w+)?", field):
            out["exams"].extend((_where(field), p) for p in problems)
    return out


def shown_fields(errors: FormErrors) -> tuple[str, ...]:
    """Every field the form shows its problems beside (the rest go into the summary)."""
    grouped = {p.field for problems in sections(errors).values() for _, p in problems}
    return (*SCALARS, "capabilities", "allowed_grades", "allowed_types", "owner_institution_id", *grouped)
