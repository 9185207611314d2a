"""The demo region's tiered care: seeded deterministically, every referral state present, the services
reading it as they read real data (figures, panel, rota gaps, queues), and no shift or teleconsultation at
one site while its doctor is committed at another (the risk scan the claims extension runs after it finds only
the planted overlap)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.assets.models import Asset, AssetKind, Booking
from medshare.care import family, nightcare, referrals
from medshare.care.models import FollowUp, NightRequest, Referral, Team, Teleconsult
from medshare.care.rules import ReferralStatus
from medshare.db import make_engine, session_factory, transaction, upgrade
from medshare.demo import care, service
from medshare.demo import claims as demo_claims
from medshare.demo.extensions import DemoContext
from medshare.demo.generator import generate
from medshare.risk import rules as risk_rules
from medshare.risk import sources as risk_sources
from medshare.risk.models import RiskAlert
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
        # Claims comes after care among the extensions: it plants the risks and runs the first scan.
        with session_factory(engine)() as session:
            last_booking = session.scalar(sa.select(sa.func.max(Booking.id)))
        with transaction(session_factory(engine)) as session:
            claim_counts = demo_claims.extend(session, DemoContext(region, "unusable"))
        yield engine, region, counts | {"claims": claim_counts, "last booking before claims": last_booking}
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


def test_no_shift_or_teleconsultation_clashes_with_a_commitment_elsewhere(seeded):
    engine, region, counts = seeded
    now = dt.datetime.combine(region.today, dt.time(12), dt.UTC)
    with session_factory(engine)() as session:
        commitments = risk_sources.gather(risk_sources.COMMITMENT_SOURCES, session, now - dt.timedelta(days=90),
                                          now + dt.timedelta(days=90))
        given = session.scalar(sa.select(sa.func.count()).select_from(Teleconsult).where(
            Teleconsult.specialist_id.is_not(None)))
    care_made = [c for c in commitments if c.source in ("teleconsultation", "rota_shift")]
    assert len(care_made) == counts["night shifts"] + given  # the window holds every one of them
    clashes = [o for o in risk_rules.overlaps(commitments)
               if {o.first.source, o.second.source} & {"teleconsultation", "rota_shift"}]
    assert clashes == []


def test_the_first_risk_scan_finds_the_planted_overlap_and_no_other(seeded):
    engine, _region, counts = seeded
    assert counts["claims"]["planted risks"] == 3
    with session_factory(engine)() as session:
        # The plant: a research instrument booked by a doctor inside a mall consulting room they rent.
        planted = set(session.scalars(sa.select(Booking.id).join(Asset).where(
            Booking.id > counts["last booking before claims"], Asset.kind == AssetKind.RESEARCH_INSTRUMENT)))
        alerts = session.scalars(sa.select(RiskAlert).where(RiskAlert.rule == "overlap")).all()
    assert len(planted) == 1 and alerts
    for alert in alerts:  # one alert per room of the mall the doctor holds at that time
        refs = {c["ref"] for c in alert.evidence["commitments"]}
        assert all(ref.startswith("booking:") for ref in refs), alert.summary
        assert {f"booking:{b}" for b in planted} & refs, alert.summary
