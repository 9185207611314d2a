"""The catalogue is filled on first use; requests that race to fill it all find the item (none answers 404)."""

from __future__ import annotations

import threading

import pytest

from medshare.db import session_factory, transaction
from medshare.recognition import service as recognition
from tests.conftest import own_engine


@pytest.fixture
def empty(database_url, tmp_path):
    """A migrated database of its own: its catalogue is still empty."""
    yield from own_engine(database_url, tmp_path)


def test_concurrent_first_uses_of_an_empty_catalogue_all_find_the_item(empty):
    factory = session_factory(empty)
    start, found, failed = threading.Barrier(6), [], []

    def first_use():
        start.wait()
        try:
            with transaction(factory) as session:
                found.append(recognition.item_by_code(session, "2823-3").validity_days)
        except Exception as error:
            failed.append(repr(error))

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed and found == [7] * 6
