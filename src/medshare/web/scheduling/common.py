"""What the scheduling pages share: urgency classes as policy words them, and names of what requests point at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from medshare.assets import service as assets
from medshare.assets.models import Asset
from medshare.errors import NotFound
from medshare.i18n import gettext, ngettext
from medshare.registry import service as registry
from medshare.scheduling import service as scheduling
from medshare.web import labels


def due_within(due: dt.timedelta) -> str:
    """A due time as the region states it: in hours up to three days, in days beyond."""
    hours = int(due.total_seconds() // 3600)
    if hours <= 72 or hours % 24:
        return gettext("within %(n)s h") % {"n": hours}
    return ngettext("within %(num)s day", "within %(num)s days", hours // 24) % {"num": hours // 24}


def urgency_choices() -> list[tuple[str, str]]:
    """Each urgency class of the regional policy with its due time, most urgent first."""
    return [(c.name.value, f"{labels.label(c.name, 'urgency')} · {due_within(c.due)}")
            for c in scheduling.policy().classes]


def institution_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The name of each institution among ids."""
    return {i: registry.get_institution(session, i).name for i in set(ids) if i}


def chosen_name(session: Session, value: str) -> str:
    """The name of the institution a form sent back as chosen, or "" for a blank or unknown one."""
    if not value.isdigit():
        return ""
    try:
        return registry.get_institution(session, int(value)).name
    except NotFound:
        return ""


def assets_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Asset]:
    """The assets among ids, to name them and their owners."""
    return {i: assets.get_asset(session, i) for i in set(ids) if i}
