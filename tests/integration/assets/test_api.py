"""Shared assets over HTTP: a race for one slot, safe retries, search and statements."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import service as assets
from medshare.assets.models import Booking, SlotClaim
from medshare.db import transaction
from tests import factories as f
from tests.integration.api.conftest import auth
from tests.integration.assets.conftest import mri_in
from tests.integration.assets.data import ALL_DAY, local_hour


def _open_mri(committed) -> tuple[int, list[str]]:
    """An open MRI and tokens of eight institutions that may book it."""
    with transaction(committed) as session:
        admin = f.admin_principal(session)
        owner = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3, grade_class="A")
        owner_admin = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner.id))
        asset = assets.create_asset(session, owner_admin, mri_in(owner.id, hours=ALL_DAY))
        tokens = []
        for _ in range(8):
            institution = f.make_institution(session, admin)
            tokens.append(f.token_for(session, f.make_user(session, Role.INSTITUTION_ADMIN,
                                                           institution_id=institution.id)))
    return asset.id, tokens


def test_many_clients_racing_for_one_slot_get_exactly_one_booking(live_server, committed, engine):
    asset_id, tokens = _open_mri(committed)
    start = local_hour(2, 9).isoformat()

    def attempt(i: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            return client.post("/api/v1/bookings", headers=auth(tokens[i % len(tokens)]),
                               json={"asset_id": asset_id, "exam_code": "MRI-SPINE", "starts_at": start}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, range(32)))
    assert statuses.count(201) == 1 and statuses.count(409) == 31
    with engine.connect() as connection:
        live = connection.scalar(sa.select(sa.func.count()).select_from(Booking).where(
            Booking.asset_id == asset_id, Booking.status == "confirmed"))
        claims = connection.scalar(sa.select(sa.func.count()).select_from(SlotClaim).where(
            SlotClaim.asset_id == asset_id))
    assert (live, claims) == (1, 3)  # one 45-minute booking holds three 15-minute units


def test_a_retried_booking_with_the_same_idempotency_key_is_made_once(live_server, committed):
    asset_id, tokens = _open_mri(committed)
    body = {"asset_id": asset_id, "exam_code": "MRI-HEAD", "starts_at": local_hour(3, 9).isoformat()}
    headers = auth(tokens[0]) | {"Idempotency-Key": f.unique("key")}
    with httpx.Client(base_url=live_server.url) as client:
        first = client.post("/api/v1/bookings", headers=headers, json=body)
        again = client.post("/api/v1/bookings", headers=headers, json=body)
        listed = client.get("/api/v1/bookings", headers=auth(tokens[0]), params={"asset_id": asset_id}).json()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and listed["total"] == 1


def test_the_slot_search_and_a_booking_outside_hours_over_http(live_server, committed):
    asset_id, tokens = _open_mri(committed)
    with httpx.Client(base_url=live_server.url) as client:
        slots = client.get("/api/v1/slots", headers=auth(tokens[0]), params={
            "modality": "MRI", "capability": ["3T", "contrast"], "exam_code": "MRI-HEAD", "latitude": 26.26,
            "longitude": 117.64, "radius_km": 5, "limit": 200}).json()
        assert asset_id in {s["asset_id"] for s in slots}
        outside = client.post("/api/v1/bookings", headers=auth(tokens[0]), json={
            "asset_id": asset_id, "exam_code": "MRI-HEAD", "starts_at": local_hour(2, 9).replace(minute=7).isoformat()})
    assert outside.status_code == 422
    assert outside.json()["errors"][0] == {"field": "starts_at", "rule": "on-grid",
                                           "message": "must start on a 15-minute boundary"}


def test_a_statement_exports_as_csv_and_only_to_its_party(live_server, committed):
    _, tokens = _open_mri(committed)
    with httpx.Client(base_url=live_server.url) as client:
        me = client.get("/api/v1/me", headers=auth(tokens[0])).json()
        response = client.get("/api/v1/ledger/statements", headers=auth(tokens[0]),
                              params={"month": "2026-01", "format": "csv"})
        foreign = client.get("/api/v1/ledger/statements", headers=auth(tokens[1]),
                             params={"month": "2026-01", "institution_id": me["institution_id"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "entry_id,booking_id,service_ref,posted_at,reason,amount_fen,amount_yuan"
    assert foreign.status_code == 403
