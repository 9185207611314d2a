"""The small region's assets and bookings seeded into each backend, and booked through the service."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.accounts import service as accounts
from medshare.accounts.models import User
from medshare.assets import booking as bookings
from medshare.assets import ledger
from medshare.assets import service as assets
from medshare.assets.models import Asset, Booking, JournalLine, SlotClaim
from medshare.assets.schemas import BookingIn
from medshare.audit.service import Origin, current_origin
from medshare.db import make_engine, session_factory, upgrade, utcnow
from medshare.demo import cli as demo_cli
from medshare.errors import Conflict
from medshare.registry.models import Institution
from tests.conftest import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS, scope="module")
def seeded(request, tmp_path_factory):
    """A database of each backend with the small region seeded, and its row counts."""
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp("assets")):
        engine = make_engine(url)
        upgrade(engine)
        yield engine, demo_cli.seed(engine, scale="small", seed=1)
        engine.dispose()


@pytest.fixture
def session(seeded):
    """A writing session on the seeded database, rolled back afterwards."""
    engine, _ = seeded
    token = current_origin.set(Origin(channel="test"))
    with session_factory(engine)() as sess:
        yield sess
        sess.rollback()
    current_origin.reset(token)


def _admin_of(session, kind: str):
    user = session.scalar(sa.select(User).join(Institution, User.institution_id == Institution.id)
                          .where(Institution.type == kind, User.role == "institution_admin").order_by(User.id))
    return accounts.principal_of(user)


def test_every_asset_table_is_filled_and_the_ledger_balances(seeded, session):
    _, counts = seeded
    for model, name in ((Asset, "assets"), (Booking, "bookings"), (SlotClaim, "slot_claims"),
                        (JournalLine, "journal_lines")):
        assert counts[name] > 0
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == counts[name]
    assert ledger.imbalance(session) == 0


def test_a_new_booking_gets_a_fresh_id_after_the_seeded_ones(seeded, session):
    seeded_ids = session.scalar(sa.select(sa.func.max(Booking.id)))
    requester = _admin_of(session, "secondary_hospital")
    slot = assets.search_slots(session, requester, modality="CT", exam_code="CT-CHEST", days=14, limit=1)[0]
    booking, new = bookings.book(session, requester, BookingIn(asset_id=slot["asset_id"], exam_code="CT-CHEST",
                                                               starts_at=slot["starts_at"]))
    # Greater, not next: PostgreSQL's sequence also counts the demo's inserts that were rolled back.
    assert new and booking.id > seeded_ids and booking.status.value in ("confirmed", "pending")


def test_a_free_seeded_slot_is_booked_once_and_then_refused(session):
    first, second = _admin_of(session, "secondary_hospital"), _admin_of(session, "tertiary_hospital")
    slot = assets.search_slots(session, first, modality="MRI", exam_code="MRI-HEAD", days=14, limit=1)[0]
    data = BookingIn(asset_id=slot["asset_id"], exam_code="MRI-HEAD", starts_at=slot["starts_at"])
    booking, _ = bookings.book(session, first, data)
    assert booking.starts_at == slot["starts_at"]
    with pytest.raises(Conflict) as refused:
        bookings.book(session, second, data)
    assert refused.value.problems[0].rule == "slot-free"


def test_a_unit_the_demo_history_claimed_is_refused(session):
    requester = _admin_of(session, "secondary_hospital")
    soon = utcnow() + dt.timedelta(days=1)
    taken = session.execute(
        sa.select(Booking).join(Asset).where(Booking.status == "confirmed", Booking.starts_at > soon,
                                             Asset.open_to == "all", Asset.bookers == "institutions",
                                             Asset.quota_count.is_(None), Asset.approval_required.is_(False),
                                             Asset.owner_institution_id != requester.institution_id)
        .order_by(Booking.starts_at).limit(1)).scalar_one()
    with pytest.raises(Conflict) as refused:
        bookings.book(session, requester, BookingIn(asset_id=taken.asset_id, exam_code=taken.exam_code,
                                                    starts_at=taken.starts_at))
    assert refused.value.problems[0].rule == "slot-free"
