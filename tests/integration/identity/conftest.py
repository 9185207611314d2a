"""A database of its own for batch relinking, which reads and rewrites every record of the region."""

from __future__ import annotations

import pytest

from medshare.db import make_engine, upgrade
from tests.conftest import BACKENDS, fresh_database_url


@pytest.fixture(scope="module", params=BACKENDS)
def region_engine(request, tmp_path_factory):
    """An empty, migrated database of each backend, for one module."""
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp("region")):
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()
