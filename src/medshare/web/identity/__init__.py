"""Pages of the patient index: the review queue of candidate pairs, and persons with all their local records."""

from __future__ import annotations

from fastapi import APIRouter

from medshare.web.identity import persons, reviews

router = APIRouter(prefix="/identity", include_in_schema=False)
for module in (reviews, persons):
    router.include_router(module.router)
