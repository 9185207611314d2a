"""A database of its own for batch relinking, which reads and rewrites every record of the region."""

from __future__ import annotations

import pytest

from medshare.db import make_engine, upgrade
from tests.conftest import BACKENDS, _postgres_database


@pytest.fixture(scope="module", params=BACKENDS)
def region_engine(request, tmp_path_factory):
    """An empty, migrated database of each backend, for one module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('region') / 'region.db'}"
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()
    else:
        for url in _postgres_database():
            engine = make_engine(url)
            upgrade(engine)
            yield engine
            engine.dispose()
