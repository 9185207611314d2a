"""Pages of supervision and public trust: public complaints and blacklist, regulators' desk and cases, an
institution's standing."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.supervision import desk, public

router = APIRouter(include_in_schema=False)
for module in (public, desk):
    router.include_router(module.router)
