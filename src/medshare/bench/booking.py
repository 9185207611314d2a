"""`medshare bench booking`: clients racing over HTTP for one asset's slots, and mixed search and booking.

The race shows that no slot is ever booked twice: 200 clients in separate processes try the
same 50 slots at once, and the database is read afterwards for overlapping live bookings. The
mixed load searches and books across the demo city. Both run on SQLite and on PostgreSQL,
served by uvicorn workers in a subprocess, and are reported beside /healthz from the same run.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from medshare.bench import BenchOptions, benchmark
from medshare.bench.server import ThreadedServer, free_port
from medshare.db import make_engine, session_factory, transaction, upgrade

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEARCHES = [("CT", "CT-CHEST"), ("MRI", "MRI-HEAD"), ("MRI", "MRI-SPINE"), ("DR", "DR-CHEST"),
            ("ultrasound", "US-ABD")]
REQUESTER_TYPES = ("secondary_hospital", "community_health_centre", "township_health_centre", "primary_hospital")




def _percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2)}


# -- clients (run in worker processes, so module-level and picklable) ----------------------


def _client(base_url: str, plan: dict, start_at: float) -> list[tuple[str, float, int]]:
    """One client's requests, timed: the race's slots, a search-and-book loop, or /healthz."""
    headers = {"Authorization": f"Bearer {plan['token']}"}
    rng = random.Random(plan["seed"])
    samples: list[tuple[str, float, int]] = []

    def timed(client: httpx.Client, op: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = client.request(method, path, **kwargs)
        except httpx.HTTPError:
            samples.append((op, time.perf_counter() - started, 0))
            return None
        samples.append((op, time.perf_counter() - started, response.status_code))
        return response

    with httpx.Client(base_url=base_url, timeout=120, headers=headers) as client:
        time.sleep(max(0.0, start_at - time.time()))
        if plan["kind"] == "race":
            for starts_at in plan["slots"]:
                timed(client, "race", "POST", "/api/v1/bookings", json={
                    "asset_id": plan["asset_id"], "exam_code": plan["exam_code"], "starts_at": starts_at},
                    headers={"Idempotency-Key": f"race-{plan['seed']}-{starts_at}"})
        elif plan["kind"] == "health":
            for _ in range(plan["requests"]):
                timed(client, "health", "GET", "/healthz")
        else:
            done = 0
            while done < plan["requests"]:
                modality, exam = rng.choice(SEARCHES)
                found = timed(client, "search", "GET", "/api/v1/slots", params={
                    "modality": modality, "exam_code": exam, "latitude": plan["latitude"],
                    "longitude": plan["longitude"], "radius_km": 60, "days": 14, "limit": 20})
                done += 1
                slots = found.json() if found is not None and found.status_code == 200 else []
                if not slots or done >= plan["requests"]:
                    continue
                slot = rng.choice(slots[:5])
                body = {"asset_id": slot["asset_id"], "exam_code": slot["exam_code"], "starts_at": slot["starts_at"]}
                key = uuid.UUID(int=rng.getrandbits(128)).hex
                timed(client, "book", "POST", "/api/v1/bookings", json=body, headers={"Idempotency-Key": key})
                done += 1
                if rng.random() < 0.1 and done < plan["requests"]:
                    # A client that lost the answer retries with the same key: it gets the same booking.
                    timed(client, "retry", "POST", "/api/v1/bookings", json=body, headers={"Idempotency-Key": key})
                    done += 1
    return samples


def _process(base_url: str, plans: list[dict], start_at: float) -> list[tuple[str, float, int]]:
    """A worker process: one thread per client."""
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        results = list(pool.map(lambda plan: _client(base_url, plan, start_at), plans))
    return [sample for result in results for sample in result]


def _drive(base_url: str, plans: list[dict], processes: int) -> tuple[list[tuple[str, float, int]], float]:
    """Run every client at once (in processes when asked); the samples and the wall time."""
    if processes <= 1:
        start_at = time.time() + 0.2
        samples = _process(base_url, plans, start_at)
        return samples, time.time() - start_at
    start_at = time.time() + 3.0  # room for the processes to start and connect
    groups = [plans[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_process, [(base_url, group, start_at) for group in groups])
    return [s for result in results for s in result], time.time() - start_at


# -- the world the clients meet --------------------------------------------------------------


def _prepare(url: str, scale: str, seed: int, slots: int, accounts_wanted: int) -> dict:
    """Seed the region, list the race's asset and make the clients' accounts."""
    from medshare.accounts import service as accounts
    from medshare.accounts.models import Role, TokenKind, User
    from medshare.accounts.schemas import UserIn
    from medshare.assets import service as assets
    from medshare.assets.schemas import AssetIn
    from medshare.demo.cli import seed as seed_region
    from medshare.registry.models import Institution
    from medshare.settings import get_settings

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    seed_region(engine, scale=scale, seed=seed)
    seed_seconds = time.perf_counter() - started
    tz = ZoneInfo(get_settings().timezone)
    day = dt.datetime.now(tz).date() + dt.timedelta(days=10)
    closes = (dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=15 * slots)).time()
    with transaction(session_factory(engine)) as session:
        admin = accounts.principal_of(session.scalar(sa.select(User).where(User.username == "admin")))
        owner = session.scalar(sa.select(Institution).where(Institution.type == "tertiary_hospital")
                               .order_by(Institution.id))
        race = assets.create_asset(session, admin, AssetIn(
            owner_institution_id=owner.id, name="CT 基准测试机", kind="equipment", modality="CT",
            capabilities=["64-slice"], latitude=owner.latitude, longitude=owner.longitude, open_to="all",
            min_lead_minutes=0, max_horizon_days=30,
            hours=[{"weekday": d, "opens": dt.time(8), "closes": closes} for d in range(7)],
            exam_types=[{"code": "RACE-CT", "name": "胸部CT平扫", "minutes": 15}],
            prices=[{"category": "other", "amount_fen": 23000}]))
        requesters = list(session.scalars(sa.select(Institution).where(Institution.type.in_(REQUESTER_TYPES))
                                          .order_by(Institution.id).limit(accounts_wanted)))
        users = [accounts.create_user(session, None, UserIn(
            username=f"bench-{i:03d}", password=uuid.uuid4().hex, role=Role.INSTITUTION_ADMIN,
            institution_id=institution.id)) for i, institution in enumerate(requesters)]
        where = {u.id: requesters[i] for i, u in enumerate(users)}
        tokens = []
        for n in range(max(RACE_CLIENTS, MIXED_CLIENTS)):
            user = users[n % len(users)]
            raw, _ = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=3))
            tokens.append((raw, where[user.id].latitude, where[user.id].longitude))
        race_id = race.id
    starts = [(dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(minutes=15 * k)).astimezone(dt.UTC)
              for k in range(slots)]
    return {"engine": engine, "seed_seconds": round(seed_seconds, 2), "race_asset": race_id,
            "starts": [s.isoformat() for s in starts], "tokens": tokens}


def _duplicates(engine, asset_id: int) -> dict:
    """From the database: live bookings of the race's asset, and any two of them that overlap."""
    from medshare.assets.models import Booking, SlotClaim

    with session_factory(engine, writing=False)() as session:
        live = session.execute(sa.select(Booking.starts_at, Booking.ends_at).where(
            Booking.asset_id == asset_id, Booking.status.in_(("held", "pending", "confirmed")))
            .order_by(Booking.starts_at)).all()
        claims = session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)
                                .where(SlotClaim.asset_id == asset_id))
    overlapping = sum(1 for i in range(1, len(live)) for j in range(i) if live[j][1] > live[i][0])
    return {"confirmed_bookings": len(live), "duplicate_bookings": overlapping, "claimed_units": claims}


# -- serving ---------------------------------------------------------------------------------


class _Workers:
    """`uvicorn medshare.main:app_factory --factory --workers N` in a subprocess."""

    def __init__(self, url: str, folder: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"MEDSHARE_DATABASE_URL": url, "MEDSHARE_DATA_DIR": str(folder),
                            "MEDSHARE_SECRET_KEY": "bench-secret", "MEDSHARE_DEMO_ON_FIRST_START": "false"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "medshare.main:app_factory", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> _Workers:
        deadline = time.monotonic() + 180  # workers import the whole app; slow on a busy machine
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.process.stderr.read().decode()[-500:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- one backend -----------------------------------------------------------------------------

RACE_CLIENTS, RACE_SLOTS, RACE_TRIES = 200, 50, 10
MIXED_CLIENTS, MIXED_REQUESTS = 50, 3000
QUICK = {"race_clients": 12, "race_slots": 10, "race_tries": 5, "mixed_clients": 4, "mixed_requests": 40}


def _sizes(quick: bool) -> dict:
    if quick:
        return QUICK
    return {"race_clients": RACE_CLIENTS, "race_slots": RACE_SLOTS, "race_tries": RACE_TRIES,
            "mixed_clients": MIXED_CLIENTS, "mixed_requests": MIXED_REQUESTS}


def _summary(samples: list[tuple[str, float, int]], seconds: float) -> dict:
    statuses = Counter(str(status) for _, _, status in samples)
    return {"requests": len(samples), "seconds": round(seconds, 2),
            "requests_per_second": round(len(samples) / seconds, 1) if seconds else 0.0,
            **_percentiles([t for _, t, _ in samples]), "statuses": dict(sorted(statuses.items())),
            "errors": sum(n for status, n in statuses.items() if status == "0" or status.startswith("5"))}


def _run(url: str, folder: Path, options: BenchOptions, scale: str) -> dict:
    sizes = _sizes(options.quick)
    world = _prepare(url, scale, options.seed, sizes["race_slots"], 4 if options.quick else 24)
    engine = world.pop("engine")
    engine.dispose()
    workers = max(2, min(4, os.cpu_count() or 2))
    if options.quick:
        server, processes, served_by = ThreadedServer(_settings(url, folder)).start(), 1, "uvicorn in a thread"
    else:
        server, processes, served_by = _Workers(url, folder, workers).start(), 4, f"uvicorn, {workers} workers"
    rng = random.Random(options.seed)
    try:
        # The race: every client tries its share of the slots in its own order, all at once.
        starts, tries = world["starts"], sizes["race_tries"]
        plans = []
        for i in range(sizes["race_clients"]):
            mine = [starts[(i * tries + j) % len(starts)] for j in range(tries)]
            rng.shuffle(mine)
            plans.append({"kind": "race", "token": world["tokens"][i][0], "seed": i, "slots": mine,
                          "asset_id": world["race_asset"], "exam_code": "RACE-CT"})
        race_samples, race_seconds = _drive(server.url, plans, processes)
        race = _summary(race_samples, race_seconds) | _duplicates(make_engine(url), world["race_asset"])
        race |= {"clients": sizes["race_clients"], "slots": len(starts), "tries_per_client": tries,
                 "created": sum(1 for _, _, s in race_samples if s == 201)}

        clients, per = sizes["mixed_clients"], sizes["mixed_requests"] // sizes["mixed_clients"]
        health_plans = [{"kind": "health", "token": world["tokens"][i][0], "seed": i, "requests": per}
                        for i in range(clients)]
        health_samples, health_seconds = _drive(server.url, health_plans, processes)
        mixed_plans = [{"kind": "mixed", "token": token, "seed": 1000 + i, "requests": per, "latitude": lat,
                        "longitude": lon} for i, (token, lat, lon) in enumerate(world["tokens"][:clients])]
        mixed_samples, mixed_seconds = _drive(server.url, mixed_plans, processes)
    finally:
        server.stop()
    health = _summary(health_samples, health_seconds)
    mixed = _summary(mixed_samples, mixed_seconds) | {"clients": clients}
    base = health["p50_ms"] or 0.01
    for op in ("search", "book", "retry"):
        ops = [s for s in mixed_samples if s[0] == op]
        mixed[op] = _summary(ops, mixed_seconds) | {"p50_over_health": round(_percentiles(
            [t for _, t, _ in ops])["p50_ms"] / base, 1)}
        del mixed[op]["seconds"], mixed[op]["requests_per_second"]
    return {"seed_seconds": world["seed_seconds"], "served_by": served_by, "race": race, "health": health,
            "mixed": mixed}


def _settings(url: str, folder: Path):
    from medshare.settings import Settings

    return Settings(database_url=url, data_dir=folder, secret_key="bench-secret", demo_on_first_start=False)


def _postgres(options: BenchOptions, scale: str) -> dict:
    """The run on a scratch PostgreSQL database, created and dropped here; a note when none answers."""
    given = os.environ.get("MEDSHARE_BENCH_POSTGRES_URL", "")
    if options.quick and not given:
        return {"skipped": "--quick runs on SQLite only unless MEDSHARE_BENCH_POSTGRES_URL is set"}
    server = given or DEFAULT_POSTGRES
    name = f"medshare_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, ModuleNotFoundError) as error:
        return {"skipped": f"PostgreSQL at {sa.make_url(server).render_as_string(hide_password=True)} is "
                           f"unreachable ({type(error).__name__}); set MEDSHARE_BENCH_POSTGRES_URL"}
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            return _run(url, Path(folder), options, scale)
    finally:
        from medshare.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@benchmark("booking", "200 clients racing for 50 slots over HTTP, and mixed search and booking, on SQLite and "
                      "PostgreSQL")
def run(options: BenchOptions) -> dict:
    """Confirmed and duplicate bookings of the race, and p50/p99 and requests/s of both loads, per database."""
    scale = "small" if options.quick else options.scale
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _run(f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder), options, scale)
    return {"scale": scale, "seed": options.seed, "sqlite": sqlite, "postgresql": _postgres(options, scale)}
