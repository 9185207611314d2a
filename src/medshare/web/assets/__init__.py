"""Pages of shared assets: owners list and run their assets, requesters search and book, everyone sees the money."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.assets import bookings, listing, reports

router = APIRouter(include_in_schema=False)
for module in (listing, bookings, reports):
    router.include_router(module.router)
