"""Batch relinking: a seeded region is linked, manual decisions survive, registrations never wait."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from medshare.db import session_factory, transaction
from medshare.demo import service as demo
from medshare.demo.generator import generate
from medshare.demo.models import DemoPersonTruth
from medshare.identity import batch, clustering, persons
from medshare.identity.models import LinkageModel, PersonLink, RejectedPair, ReviewItem, ReviewStatus
from tests import factories as f
from tests.integration.identity import data


@pytest.fixture(scope="module")
def region(region_engine):
    """The small demo region (3,000 records, bulk-loaded without links), then relinked once with training."""
    with transaction(session_factory(region_engine)) as session:
        demo.load(session, generate("small", 1), password_hash="x")
    summary = batch.relink(region_engine, retrain=True, chunk=500)
    return region_engine, summary


def _links(engine) -> dict[int, int]:
    with engine.connect() as c:
        return dict(c.execute(sa.select(PersonLink.patient_record_id, PersonLink.person_id)).all())


def test_a_bulk_loaded_region_is_linked_and_agrees_with_the_truth(region):
    engine, summary = region
    assert summary["records"] == 3_000 and summary["records_moved"] == 3_000
    links = _links(engine)
    with engine.connect() as c:
        truth = dict(c.execute(sa.select(DemoPersonTruth.patient_record_id, DemoPersonTruth.person_key)).all())
        assert c.scalar(sa.select(sa.func.count()).select_from(LinkageModel)) == 1
    ids = sorted(truth)
    scores = clustering.pairwise_scores([links[i] for i in ids], [truth[i] for i in ids])
    assert scores["precision"] >= 0.99 and scores["f1"] >= 0.95, scores


def test_relinking_again_changes_nothing(region):
    engine, _ = region
    summary = batch.relink(engine, retrain=False)
    assert summary["links_changed"] == 0 and summary["reviews_opened"] == 0


def test_a_rejected_pair_is_not_proposed_again_and_manual_links_survive_a_relink(region):
    engine, _ = region
    factory = session_factory(engine)
    with transaction(factory) as session:
        item = session.scalars(sa.select(ReviewItem).where(ReviewItem.status == ReviewStatus.OPEN.value)
                               .order_by(ReviewItem.id).limit(2)).all()
        admin = f.admin_principal(session)
        persons.decide_reject(session, admin, item[0])
        persons.decide_link(session, admin, item[1])
        rejected = (item[0].record_id, item[0].candidate_record_id)
        linked = (item[1].record_id, item[1].candidate_record_id)
    batch.relink(engine, retrain=False)
    links = _links(engine)
    assert links[rejected[0]] != links[rejected[1]]
    assert links[linked[0]] == links[linked[1]]
    with engine.connect() as c:
        again = c.scalar(sa.select(sa.func.count()).select_from(ReviewItem).where(
            ReviewItem.status == ReviewStatus.OPEN.value,
            sa.tuple_(ReviewItem.record_id, ReviewItem.candidate_record_id).in_([rejected, rejected[::-1]])))
        assert again == 0
        assert c.scalar(sa.select(sa.func.count()).select_from(RejectedPair)) >= 1


def test_a_registration_never_waits_for_a_slow_batch(region):
    """The batch's plan holds a reading transaction for a long time, then writes in chunks with pauses between."""
    engine, _ = region
    factory = session_factory(engine)
    with transaction(factory) as session:
        admin = f.admin_principal(session)
        site = f.make_institution(session, admin).id
    planning, done = threading.Event(), threading.Event()

    def slow(stage: str, finished: int, total: int) -> None:
        if stage == "scoring pairs":
            planning.set()
            time.sleep(1.5)  # inside the plan's reading transaction
        elif stage == "linking records":
            time.sleep(0.2)  # between chunks

    worker = threading.Thread(target=lambda: (batch.relink(engine, retrain=False, chunk=1_000, progress=slow),
                                              done.set()))
    worker.start()
    try:
        assert planning.wait(30)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            with transaction(factory) as session:
                record = data.record(session, admin, site)
            timings.append(time.perf_counter() - started)
            assert record.id
        assert not done.is_set(), "the batch finished before the registrations could be timed against it"
        assert max(timings) < 1.0, timings
    finally:
        worker.join(60)
    assert done.is_set()
