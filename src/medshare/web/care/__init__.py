"""Pages of tiered care: the hub, referral inbox and outbox, teleconsult desk, family-doctor panel, rota and
night-care queue."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from medshare.care import referrals as care_referrals
from medshare.deps import SessionDep
from medshare.permissions import Permission, has
from medshare.web.care import (
    common,  # noqa: F401  (the pages' words and filters)
    desk,
    family,
    night,
    referrals,
)
from medshare.web.core import Viewer, render

router = APIRouter()


@router.get("/care")
def hub(request: Request, session: SessionDep, viewer: Viewer):
    """Where each role's part of tiered care starts, with the last 30 days' referral figures for those who
    read them (the region's for a regulator, the institution's for its admin)."""
    figures = None
    if has(viewer, Permission.CARE_FIGURES_READ):
        end = dt.datetime.now(dt.UTC)
        figures = care_referrals.figures(session, viewer, start=end - dt.timedelta(days=30), end=end)
    return render(request, "care/hub.html", {"figures": figures})


for module in (referrals, desk, family, night):
    router.include_router(module.router)
