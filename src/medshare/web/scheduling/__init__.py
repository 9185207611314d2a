"""Pages of regional exam scheduling: the referrer's waiting list and the scheduling desk's runs."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.scheduling import desk, requests

router = APIRouter(include_in_schema=False)
for module in (requests, desk):
    router.include_router(module.router)
