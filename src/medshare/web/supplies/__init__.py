"""Pages of emergency supplies: the dashboard, requests, stock, shipments and the allocation desk."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.supplies import desk, pages

router = APIRouter(include_in_schema=False)
for module in (pages, desk):
    router.include_router(module.router)
