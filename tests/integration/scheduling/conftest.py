"""A DSA only these tests can use (a capability of its own), the assets tests' region, the API client."""

from __future__ import annotations

import pytest

from medshare.assets import service as assets
from tests import factories as f
from tests.integration.api.conftest import client  # noqa: F401  (the live server's client fixture)
from tests.integration.assets.conftest import mri_in, region  # noqa: F401  (the region fixture)


@pytest.fixture
def capability() -> str:
    return f.unique("cap")


@pytest.fixture
def dsa(session, region, capability):  # noqa: F811
    """The owner's DSA, open to all, one-hour exams from 08:00 to 18:00 every day."""
    return assets.create_asset(session, region.owner, mri_in(
        region.owner_id, modality="DSA", name=f.unique("DSA"), capabilities=[capability],
        exam_types=[{"code": "DSA-CARD", "name": "cardiac angiography", "minutes": 60}], prices=[]))
