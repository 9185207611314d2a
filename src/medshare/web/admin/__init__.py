"""Admin pages, one per registry; each shows only to accounts whose role holds its permission."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.admin import communities, institutions, patients, practitioners, users

router = APIRouter(prefix="/admin", include_in_schema=False)
for module in (institutions, communities, practitioners, patients, users):
    router.include_router(module.router)
