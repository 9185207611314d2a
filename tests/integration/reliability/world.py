"""A small booking world written straight to a fresh database, for tests that drive a real server process."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.schemas import BookingIn
from medshare.db import make_engine, session_factory, transaction, upgrade, utcnow
from tests import factories as f
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour


@dataclass
class BookingWorld:
    asset_id: int
    owner_token: str
    requester_tokens: list[str]
    future_slots: list[str]  # starts_at of contended slots, ISO
    past_bookings: list[int]  # bookings already used, for the owner to record as completed (ledger postings)
    patient_names: list[str] = field(default_factory=list)


def build(url: str, *, requesters: int = 3, slots: int = 48, past: int = 60) -> BookingWorld:
    """Migrate url and write an MRI of hospital O, requesters with tokens, and bookings in the past."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        f.make_user(session, Role.PLATFORM_ADMIN)
        admin = f.admin_principal(session)
        owner = f.make_institution(session, admin)
        owner_user = f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner.id)
        owner_admin = accounts.principal_of(owner_user)
        asset = assets.create_asset(session, owner_admin, mri_in(owner.id, hours=ALL_DAY, min_lead_minutes=0))
        tokens, principals = [], []
        for _ in range(requesters):
            hospital = f.make_institution(session, admin)
            user = f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=hospital.id)
            tokens.append(f.token_for(session, user))
            principals.append(accounts.principal_of(user))
        earlier = utcnow() - dt.timedelta(days=5)
        done = []
        for k in range(past):
            start = local_hour(-3 + k // 40, 0) + dt.timedelta(minutes=30 * (k % 40))
            data = BookingIn(asset_id=asset.id, exam_code="MRI-HEAD", starts_at=start)
            done.append(bookings.book(session, principals[k % requesters], data, now=earlier)[0].id)
        future = [(local_hour(2, 0) + dt.timedelta(minutes=30 * k)).isoformat() for k in range(slots)]
        world = BookingWorld(asset.id, f.token_for(session, owner_user), tokens, future, done)
    engine.dispose()
    return world
