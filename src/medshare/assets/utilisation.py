"""Utilisation: booked and used hours over open hours, by week, per asset, institution, grade or modality."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.assets import rules
from medshare.assets import service as assets
from medshare.assets.models import Asset, Booking, BookingStatus
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry.models import Institution

GROUPS = ("asset", "institution", "grade", "modality")
BOOKED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


def _key(group_by: str, asset: Asset, owner: Institution) -> tuple[str, str]:
    if group_by == "asset":
        return str(asset.id), asset.name
    if group_by == "institution":
        return str(owner.id), owner.name
    if group_by == "grade":
        return str(owner.grade_level or 0), f"grade {owner.grade_level}" if owner.grade_level else "ungraded"
    return asset.modality.value if asset.modality else asset.kind.value, (
        asset.modality.value if asset.modality else asset.kind.value)


def utilisation(session: Session, actor: Principal, *, start: dt.date, weeks: int, group_by: str = "asset",
                owner_institution_id: int | None = None, modality: str | None = None) -> list[dict]:
    """Rows of (group, week): open, booked and used hours and their ratios; an institution sees its own assets."""
    if group_by not in GROUPS:
        raise InvalidInput.on("group_by", "one-of", f"must be one of {', '.join(GROUPS)}")
    if scope_of(actor, Permission.UTILISATION_READ) is not Scope.ANY:
        authorize(actor, Permission.UTILISATION_READ, institutions=[actor.institution_id])
        owner_institution_id = actor.institution_id
    query = sa.select(Asset, Institution).join(Institution, Asset.owner_institution_id == Institution.id).options(
        selectinload(Asset.hours), selectinload(Asset.blackouts))
    if owner_institution_id is not None:
        query = query.where(Asset.owner_institution_id == owner_institution_id)
    if modality:
        query = query.where(Asset.modality == modality)
    pairs = session.execute(query).all()
    tz = assets.region_tz()
    week_starts = [dt.datetime.combine(start + dt.timedelta(weeks=w), dt.time(), tz).astimezone(dt.UTC)
                   for w in range(weeks + 1)]
    booked = defaultdict(float)
    used = defaultdict(float)
    rows = session.execute(sa.select(Booking.asset_id, Booking.starts_at, Booking.ends_at, Booking.status).where(
        Booking.asset_id.in_([a.id for a, _ in pairs]), Booking.status.in_(BOOKED),
        Booking.starts_at >= week_starts[0], Booking.starts_at < week_starts[-1]))
    for asset_id, starts_at, ends_at, status in rows:
        week = next(w for w in range(weeks) if starts_at < week_starts[w + 1])
        hours = (ends_at - starts_at).total_seconds() / 3600
        booked[asset_id, week] += hours
        if status is BookingStatus.COMPLETED:
            used[asset_id, week] += hours
    totals: dict[tuple[str, int], dict] = {}
    for asset, owner in pairs:
        calendar = assets.calendar_of(asset)
        key, label = _key(group_by, asset, owner)
        for week in range(weeks):
            row = totals.setdefault((key, week), {"key": key, "label": label,
                                                  "week": (start + dt.timedelta(weeks=week)).isoformat(),
                                                  "open_hours": 0.0, "booked_hours": 0.0, "used_hours": 0.0})
            window = rules.Interval(week_starts[week], week_starts[week + 1])
            row["open_hours"] += rules.open_minutes(calendar, window) / 60
            row["booked_hours"] += booked[asset.id, week]
            row["used_hours"] += used[asset.id, week]
    result = []
    for row in sorted(totals.values(), key=lambda r: (r["label"], r["week"])):
        opened = row["open_hours"]
        result.append(row | {"open_hours": round(opened, 2), "booked_hours": round(row["booked_hours"], 2),
                             "used_hours": round(row["used_hours"], 2),
                             "booked_ratio": round(row["booked_hours"] / opened, 3) if opened else 0.0,
                             "used_ratio": round(row["used_hours"] / opened, 3) if opened else 0.0})
    return result
