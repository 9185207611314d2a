"""Hospital A's shared assets and bookings in every state, for the API's authorisation table."""

from __future__ import annotations

import datetime as dt

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.schemas import BookingIn
from medshare.db import transaction, utcnow
from tests import factories as f
from tests.integration.assets.conftest import TZ, mri_in

ALL_DAY = [{"weekday": d, "opens": "00:00", "closes": "23:45"} for d in range(7)]


def local_hour(days: int, hour: int) -> dt.datetime:
    """Days from today at a local hour, in UTC."""
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), TZ).astimezone(dt.UTC)


def add_assets(committed, w):
    """A community-only MRI of hospital A, one needing approval, and A's bookings on them in each state."""
    with transaction(committed) as session:
        admin_a = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=w.hospital_a))
        w.asset_a = assets.create_asset(session, admin_a, mri_in(w.hospital_a, open_to="community",
                                                                 hours=ALL_DAY)).id
        approval = assets.create_asset(session, admin_a, mri_in(w.hospital_a, open_to="community", hours=ALL_DAY,
                                                                approval_required=True)).id
        past = utcnow() - dt.timedelta(days=3)

        def book(asset_id, start, *, hold=False, now=None):
            data = BookingIn(asset_id=asset_id, exam_code="MRI-HEAD", starts_at=start, hold=hold)
            return bookings.book(session, admin_a, data, now=now)[0].id

        w.booking_held = book(w.asset_a, local_hour(2, 9), hold=True)
        w.booking_live = book(w.asset_a, local_hour(2, 10))
        w.booking_pending = book(approval, local_hour(2, 9))
        w.booking_declinable = book(approval, local_hour(2, 10))
        w.booking_past = book(w.asset_a, local_hour(-1, 9), now=past)
        w.booking_missed = book(w.asset_a, local_hour(-1, 10), now=past)
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The assets API's write routes aimed at hospital A's objects."""
    b = "/api/v1/bookings"
    return {
        ("POST", "/api/v1/assets"): ("/api/v1/assets", mri_in(w.hospital_a).model_dump(mode="json")),
        ("PATCH", "/api/v1/assets/{asset_id}"): (f"/api/v1/assets/{w.asset_a}", {"min_lead_minutes": 30}),
        ("POST", "/api/v1/assets/{asset_id}/blackouts"): (f"/api/v1/assets/{w.asset_a}/blackouts", {
            "starts_at": local_hour(20, 8).isoformat(), "ends_at": local_hour(20, 12).isoformat(),
            "kind": "maintenance", "reason": "helium refill"}),
        ("POST", b): (b, {"asset_id": w.asset_a, "exam_code": "MRI-HEAD",
                          "starts_at": local_hour(3, 9).isoformat()}),
        ("POST", b + "/{booking_id}/confirm"): (f"{b}/{w.booking_held}/confirm", None),
        ("POST", b + "/{booking_id}/approve"): (f"{b}/{w.booking_pending}/approve", None),
        ("POST", b + "/{booking_id}/decline"): (f"{b}/{w.booking_declinable}/decline", {"reason": "reserved"}),
        ("POST", b + "/{booking_id}/cancel"): (f"{b}/{w.booking_live}/cancel", {"reason": "patient better"}),
        ("POST", b + "/{booking_id}/complete"): (f"{b}/{w.booking_past}/complete", None),
        ("POST", b + "/{booking_id}/no-show"): (f"{b}/{w.booking_missed}/no-show", None),
        ("POST", "/api/v1/booking-series"): ("/api/v1/booking-series", {
            "asset_id": w.asset_a, "exam_code": "MRI-HEAD", "first_starts_at": local_hour(4, 9).isoformat(),
            "weeks": 2}),
        ("POST", "/api/v1/waitlist"): ("/api/v1/waitlist", {
            "asset_id": w.asset_a, "exam_code": "MRI-HEAD", "earliest": local_hour(1, 8).isoformat(),
            "latest": local_hour(5, 18).isoformat()}),
    }


ALLOWED = [
    ("admin_a", "POST", "/api/v1/assets"),
    ("admin_a", "PATCH", "/api/v1/assets/{asset_id}"),
    ("admin_a", "POST", "/api/v1/assets/{asset_id}/blackouts"),
    ("doctor_a", "POST", "/api/v1/bookings"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/confirm"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/approve"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/decline"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/cancel"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/complete"),
    ("admin_a", "POST", "/api/v1/bookings/{booking_id}/no-show"),
    ("doctor_a", "POST", "/api/v1/booking-series"),
    ("admin_a", "POST", "/api/v1/waitlist"),
]
