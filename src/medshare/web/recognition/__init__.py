"""Pages of mutual recognition and signed reports: ordering with prior results, figures, certificates, $verify."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.recognition import dashboard, ordering, signatures

router = APIRouter(include_in_schema=False)
for module in (ordering, dashboard, signatures):
    router.include_router(module.router)
