"""The owner's pages: list the institution's shared assets, list a new one, edit it, close it, see its week."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.assets import service as assets
from medshare.assets.models import Asset, AssetKind
from medshare.assets.schemas import AssetIn, AssetOut, AssetPatch, BlackoutIn
from medshare.db import utcnow
from medshare.deps import SessionDep
from medshare.permissions import Permission, Principal, authorize, has
from medshare.registry import service as registry
from medshare.web.admin.common import picker_options, region_wide
from medshare.web.assets import asset_form
from medshare.web.assets.common import in_viewers_language, local, parse_local
from medshare.web.core import CsrfChecked, Viewer, can, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create

router = APIRouter()
Owner = Annotated[Principal, page_require(Permission.ASSET_WRITE)]
BLACKOUT_FIELDS = ("starts_at", "ends_at", "kind", "reason")


@router.get("/assets")
def asset_list(request: Request, session: SessionDep, viewer: Owner):
    """The assets the viewer's institution shares (the whole region's for a platform administrator)."""
    wide = region_wide(viewer, Permission.ASSET_WRITE)
    if wide or viewer.institution_id is not None:
        rows = assets.list_assets(session, owner_institution_id=None if wide else viewer.institution_id)
    else:
        rows = []
    names = {i: registry.get_institution(session, i).name for i in {a.owner_institution_id for a in rows}}
    return render(request, "assets/list.html", {"assets": rows, "owner_names": names, "region_wide": wide})


def _form_context(request: Request, session, viewer: Principal, values: dict, errors: FormErrors) -> dict:
    in_viewers_language(request)  # the rows' names beside their problems are worded here
    wide = region_wide(viewer, Permission.ASSET_WRITE)
    return {
        "values": values, "errors": errors,
        "hours_problems": asset_form.sections(errors)["hours"],
        "exam_problems": asset_form.sections(errors)["exams"],
        "shown": asset_form.shown_fields(errors),
        "rows": asset_form.exam_rows(values),
        "sessions": asset_form.SESSIONS,
        "categories": asset_form.CATEGORIES,
        "grid_options": [(str(n), str(n)) for n in asset_form.GRID_CHOICES],
        "booker_types": [t.value for t in asset_form.BOOKER_TYPES],
        "region_wide": wide,
        "options": picker_options(session) if wide else [],
    }


def _new_page(request: Request, session, viewer: Principal, values: dict, errors: FormErrors, status_code=200):
    return render(request, "assets/new.html", _form_context(request, session, viewer, values, errors), status_code)


@router.get("/assets/new")
def asset_new(request: Request, session: SessionDep, viewer: Owner):
    """The form that lists an asset, filled with the usual terms and the institution's location."""
    values = {"kind": AssetKind.EQUIPMENT.value, "open_to": "all", "bookers": "institutions", "grid_minutes": "15",
              "min_lead_minutes": "60", "max_horizon_days": "30", "quota_period_days": "7", "free_cancel_hours": "24",
              "late_cancel_fee_percent": "50", "no_show_fee_percent": "100", "hold_minutes": "10",
              "owner_institution_id": str(viewer.institution_id or "")}
    for day in range(5):  # weekdays 08:00–12:00 and 14:00–17:30, as hospital departments open
        values |= {f"h{day}-0-opens": "08:00", f"h{day}-0-closes": "12:00",
                   f"h{day}-1-opens": "14:00", f"h{day}-1-closes": "17:30"}
    if viewer.institution_id:
        own = registry.get_institution(session, viewer.institution_id)
        values |= {"latitude": str(own.latitude or ""), "longitude": str(own.longitude or ""), "site": own.address}
    return _new_page(request, session, viewer, values, NO_ERRORS)


@router.post("/assets", dependencies=[CsrfChecked])
def asset_create(request: Request, session: SessionDep, viewer: Owner, form: FormFields):
    """List an asset; the form comes back with each broken rule beside its field or row."""
    def create() -> Asset:
        values = asset_form.asset_values(form)
        owner = form.get("owner_institution_id") or viewer.institution_id
        return assets.create_asset(session, viewer, build(AssetIn, values | {"owner_institution_id": owner}))

    asset, errors = attempt(session, create)
    if errors:
        return _new_page(request, session, viewer, form, errors, 422)
    return redirect(f"/assets/{asset.id}", flash="asset-created")


def _owned(session, viewer: Principal, asset_id: int) -> Asset:
    asset = assets.get_asset(session, asset_id)
    authorize(viewer, Permission.ASSET_WRITE, institutions=[asset.owner_institution_id])
    return asset


def _edit_page(request: Request, session, viewer: Principal, asset: Asset, *, values: dict | None = None,
               errors: FormErrors = NO_ERRORS, closure_values: dict | None = None,
               closure_errors: FormErrors = NO_ERRORS, status_code: int = 200):
    context = _form_context(request, session, viewer, values or asset_form.values_of_asset(asset), errors)
    return render(request, "assets/edit.html", context | {
        "asset": AssetOut.model_validate(asset),
        "owner": registry.get_institution(session, asset.owner_institution_id),
        "fixed": asset_form.FIXED,
        "closure_values": closure_values or {"kind": "maintenance"},
        "closure_errors": closure_errors,
    }, status_code)


@router.get("/assets/{asset_id}")
def asset_edit(request: Request, session: SessionDep, viewer: Owner, asset_id: int):
    """An asset's sharing policy, calendar and prices, for editing."""
    return _edit_page(request, session, viewer, _owned(session, viewer, asset_id))


@router.post("/assets/{asset_id}", dependencies=[CsrfChecked])
def asset_update(request: Request, session: SessionDep, viewer: Owner, asset_id: int, form: FormFields):
    """Save what changed; bookings already made keep the terms they were made on."""
    asset = _owned(session, viewer, asset_id)
    _, errors = attempt(session, lambda: assets.update_asset(session, viewer, asset, build(
        AssetPatch, asset_form.changes_of(asset, asset_form.asset_values(form, for_update=True)))))
    if errors:
        asset = assets.get_asset(session, asset_id)
        fixed = {name: value for name, value in asset_form.values_of_asset(asset).items()
                 if name in asset_form.FIXED}
        return _edit_page(request, session, viewer, asset, values=form | fixed, errors=errors, status_code=422)
    return redirect(f"/assets/{asset_id}", flash="asset-updated")


@router.post("/assets/{asset_id}/blackouts", dependencies=[CsrfChecked])
def blackout_add(request: Request, session: SessionDep, viewer: Owner, asset_id: int, form: FormFields):
    """Close the asset for a while (blackout or maintenance) with the reason; bookings made stay."""
    asset = _owned(session, viewer, asset_id)

    def add():
        values = for_create(form, BLACKOUT_FIELDS)
        for name in ("starts_at", "ends_at"):
            if name in values:
                values[name] = parse_local(values[name], name)
        return assets.add_blackout(session, viewer, asset, build(BlackoutIn, values))

    _, errors = attempt(session, add)
    if errors:
        asset = assets.get_asset(session, asset_id)
        return _edit_page(request, session, viewer, asset, closure_values=form, closure_errors=errors,
                          status_code=422)
    return redirect(f"/assets/{asset_id}#closures", flash="blackout-added")


def _monday(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if value else dt.datetime.now(assets.region_tz()).date()
    except ValueError:
        day = dt.datetime.now(assets.region_tz()).date()
    return day - dt.timedelta(days=day.weekday())


@router.get("/assets/{asset_id}/calendar")
def asset_week(request: Request, session: SessionDep, viewer: Viewer, asset_id: int,
               exam: Annotated[str, Query(max_length=40)] = "",
               week: Annotated[str, Query(max_length=10)] = ""):
    """One week of an asset's slots of one exam: free, taken, or closed."""
    asset = assets.get_asset(session, asset_id)
    exam_code = exam if exam in {e.code for e in asset.exam_types} else (
        asset.exam_types[0].code if asset.exam_types else "")
    monday = _monday(week)
    start = dt.datetime.combine(monday, dt.time(), assets.region_tz())
    slots = assets.asset_calendar(session, asset, start=start, end=start + dt.timedelta(days=7),
                                  exam_code=exam_code) if exam_code else []
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    grid: dict[str, dict[dt.date, dict]] = {}
    for slot in slots:
        begins = local(slot["starts_at"])
        grid.setdefault(begins.strftime("%H:%M"), {})[begins.date()] = slot
    closures = [b for b in asset.blackouts
                if b.ends_at > start and b.starts_at < start + dt.timedelta(days=7)]
    return render(request, "assets/calendar.html", {
        "asset": asset, "owner": registry.get_institution(session, asset.owner_institution_id),
        "exam_code": exam_code, "days": days, "times": sorted(grid), "grid": grid, "closures": closures,
        "monday": monday, "previous": monday - dt.timedelta(days=7), "next": monday + dt.timedelta(days=7),
        "may_book": has(viewer, Permission.BOOKING_CREATE),
        "may_edit": can(viewer, Permission.ASSET_WRITE, asset.owner_institution_id),
        "now": utcnow(), "free_count": sum(1 for s in slots if s["free"]),
        "taken_count": sum(1 for s in slots if not s["free"] and not s["past"]),
    })
