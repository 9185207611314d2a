"""SIGKILL the server in the middle of a write load: after a restart every write a client saw acknowledged
is there, the ledger balances and no slot unit is claimed twice; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from medshare.assets.models import Asset, Booking, JournalEntry, SlotClaim
from medshare.bench.api import ServerProcess
from medshare.db import make_engine, session_factory
from tests.conftest import BACKENDS, fresh_database_url
from tests.integration.reliability import world as worlds

LIVE = ("held", "pending", "confirmed", "completed", "no_show")


class Load:
    """Client threads writing through the API; each remembers only what the server acknowledged."""

    def __init__(self, url: str, world: worlds.BookingWorld, *, bookers: int = 6, completers: int = 2) -> None:
        self.url, self.world = url, world
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.booked: list[tuple[str, str, dict, int]] = []  # token, key, body, booking id
        self.completed: list[int] = []
        self.statuses: Counter = Counter()
        todo = list(world.past_bookings)
        self.to_complete = [todo[i::completers] for i in range(completers)]
        self.threads = [threading.Thread(target=self._book, args=(i,), daemon=True) for i in range(bookers)]
        self.threads += [threading.Thread(target=self._complete, args=(i,), daemon=True) for i in range(completers)]

    def _book(self, i: int) -> None:
        rng = random.Random(i)
        token = self.world.requester_tokens[i % len(self.world.requester_tokens)]
        with httpx.Client(base_url=self.url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
            while not self.stop.is_set():
                key = uuid.uuid4().hex
                body = {"asset_id": self.world.asset_id, "exam_code": "MRI-HEAD",
                        "starts_at": rng.choice(self.world.future_slots)}
                try:
                    response = client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    self._note("unanswered")
                    continue
                self._note(response.status_code)
                if response.status_code == 201:
                    with self.lock:
                        self.booked.append((token, key, body, response.json()["id"]))

    def _complete(self, i: int) -> None:
        headers = {"Authorization": f"Bearer {self.world.owner_token}"}
        with httpx.Client(base_url=self.url, timeout=10, headers=headers) as client:
            for booking_id in self.to_complete[i]:
                if self.stop.is_set():
                    return
                try:
                    response = client.post(f"/api/v1/bookings/{booking_id}/complete")
                except httpx.HTTPError:
                    self._note("unanswered")
                    continue
                self._note(response.status_code)
                if response.status_code == 200:
                    with self.lock:
                        self.completed.append(booking_id)

    def _note(self, status) -> None:
        with self.lock:
            self.statuses[status] += 1

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.booked) + len(self.completed)

    def start(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _check_database(url: str, world: worlds.BookingWorld, load: Load) -> None:
    engine = make_engine(url)
    try:
        with session_factory(engine, writing=False)() as session:
            grid = session.get(Asset, world.asset_id).grid_minutes
            rows = {b.id: b for b in session.scalars(sa.select(Booking).where(Booking.asset_id == world.asset_id))}
            for _, _, body, booking_id in load.booked:
                booking = rows.get(booking_id)
                assert booking is not None, f"acknowledged booking {booking_id} was lost"
                assert booking.status.value == "confirmed"
                assert booking.starts_at == dt.datetime.fromisoformat(body["starts_at"])
            settled = set(session.scalars(sa.select(JournalEntry.booking_id)))
            for booking_id in load.completed:
                assert rows[booking_id].status.value == "completed", f"acknowledged completion {booking_id} lost"
                assert booking_id in settled, f"completed booking {booking_id} has no ledger posting"
            lines = session.execute(sa.text("SELECT COALESCE(SUM(amount_fen), 0) FROM journal_lines")).scalar()
            assert lines == 0, "the ledger does not balance"
            live = sorted((b for b in rows.values() if b.status.value in LIVE), key=lambda b: b.starts_at)
            for earlier, later in itertools.pairwise(live):
                assert earlier.ends_at <= later.starts_at, f"bookings {earlier.id} and {later.id} overlap"
            claims = session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)
                                    .where(SlotClaim.asset_id == world.asset_id))
            units = sum(int((b.ends_at - b.starts_at).total_seconds() // (grid * 60)) for b in live
                        if b.status.value in ("held", "pending", "confirmed"))
            past_units = sum(int((b.ends_at - b.starts_at).total_seconds() // (grid * 60)) for b in live
                             if b.status.value in ("completed", "no_show"))
            assert units <= claims <= units + past_units, "slot claims and live bookings disagree"
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_writes_survive_a_sigkill_mid_load(backend, tmp_path):
    for url in fresh_database_url(backend, tmp_path):
        world = worlds.build(url)
        workers = 1 if backend == "sqlite" else 2
        server = ServerProcess(url, tmp_path, workers=workers).start()
        load = Load(server.url, world).start()
        deadline = time.monotonic() + 20
        while load.acknowledged() < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(random.Random(backend).uniform(0.1, 0.4))  # somewhere in the middle of requests
        server.kill()
        load.finish()
        assert load.acknowledged() >= 40, load.statuses
        assert load.statuses["unanswered"] > 0 or load.statuses[201] > 0

        _check_database(url, world, load)

        restarted = ServerProcess(url, tmp_path, workers=workers).start()
        try:
            with httpx.Client(base_url=restarted.url, timeout=10) as client:
                # A client that lost the answer retries with its key: it gets the booking it has, not a second.
                for token, key, body, booking_id in load.booked[:10]:
                    again = client.post("/api/v1/bookings", json=body, headers={
                        "Authorization": f"Bearer {token}", "Idempotency-Key": key})
                    assert again.status_code in (200, 201) and again.json()["id"] == booking_id
                booking_id = load.booked[0][3]
                read = client.get(f"/api/v1/bookings/{booking_id}",
                                  headers={"Authorization": f"Bearer {load.booked[0][0]}"})
                assert read.status_code == 200 and read.json()["status"] == "confirmed"
            # And it keeps taking writes.
            more = Load(restarted.url, world, bookers=2, completers=1).start()
            time.sleep(1.0)
            more.finish()
        finally:
            restarted.stop()
        assert more.statuses[201] + more.statuses[409] > 0, more.statuses
        assert set(more.statuses) <= {200, 201, 409, 422}, more.statuses
        _check_database(url, world, more)
