"""The demo region's tiered care: seeded deterministically, every referral state present, and the services
reading it as they read real data (figures, panel, rota gaps, queues)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.care import family, nightcare, referrals
from medshare.care.models import FollowUp, NightRequest, Referral, Team, Teleconsult
from medshare.care.rules import ReferralStatus
from medshare.db import make_engine, session_factory, transaction, upgrade
from medshare.demo import care, service
from medshare.demo.extensions import DemoContext
from medshare.demo.generator import generate
from tests.conftest import BACKENDS, fresh_database_url
from tests.integration.care.conftest import principal


@pytest.fixture(params=BACKENDS, scope="module")
def seeded(request, tmp_path_factory) -> Iterator[tuple]:
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp("care-demo")):
        engine = make_engine(url)
        upgrade(engine)
        region = generate("small", 11)
        with transaction(session_factory(engine)) as session:
            service.load(session, region, password_hash="unusable")
        with transaction(session_factory(engine)) as session:
            counts = care.extend(session, DemoContext(region, "unusable"))
        yield engine, region, counts
        engine.dispose()


def test_the_demo_has_referrals_in_every_state_and_the_rest_of_tiered_care(seeded):
    engine, region, counts = seeded
    assert counts["referrals"] >= 12 and counts["family-doctor contracts"] > 50
    with session_factory(engine)() as session:
        states = set(session.scalars(sa.select(Referral.status).distinct()))
        assert states == set(ReferralStatus)
        directions = set(session.scalars(sa.select(Referral.direction).distinct()))
        assert {d.value for d in directions} == {"up", "down"}
        assert session.scalar(sa.select(sa.func.count()).select_from(Teleconsult)) == counts["teleconsultations"]
        assert session.scalar(sa.select(sa.func.count()).select_from(NightRequest)) == 12
        overdue = session.scalar(sa.select(sa.func.count()).select_from(FollowUp).where(
            FollowUp.due_on < region.today))
        assert 0 < overdue < counts["follow-ups"]


def test_the_same_seed_gives_the_same_care_rows(seeded):
    _engine, region, _counts = seeded
    sites = {row["id"]: row for row in region.institutions if row["latitude"] is not None}
    records_at: dict = {}
    for r in region.patient_records:
        records_at.setdefault(r["institution_id"], []).append(r)
    by_site: dict = {}
    for p in region.practitioners:
        by_site.setdefault(p["primary_institution_id"], []).append(p)

    def draw():
        rng = random.Random(f"{region.seed}:care")
        return care._family_doctors(rng, region, sites, by_site, records_at, region.today)

    first, second = draw(), draw()
    assert first == second and first[2]


def test_the_services_read_the_demo_like_real_data(seeded):
    engine, region, _counts = seeded
    now = dt.datetime.combine(region.today, dt.time(12), dt.UTC)
    with transaction(session_factory(engine)) as session:
        regulator = principal(session, Role.PLATFORM_ADMIN)
        figures = referrals.figures(session, regulator, start=now - dt.timedelta(days=61), end=now)
        assert figures["up"] > figures["down"] > 0 and figures["time_to_accept_hours_median"] > 0
        assert 0 < figures["share_within_county"] <= 1
        gaps = nightcare.coverage_gaps(session, start=now, days=14)
        assert gaps and {g.specialty for g in gaps} <= {"全科", "儿科"}
        team = session.scalars(sa.select(Team)).first()
        panel = family.panel(session, regulator, family.get_team(session, team.id), today=region.today)
        assert panel["contracts"] > 0 and panel["due"] + panel["overdue"] > 0
        _rows, total = nightcare.list_requests(session, regulator, queue="institution", now=now)
        assert total == 12
