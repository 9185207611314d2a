"""`medshare bench fhir`: the FHIR API over HTTP, on SQLite and PostgreSQL, beside /healthz of the same server.

1. Ingest: Synthea-sized transaction Bundles (the five sample patients, each copied with fresh
   uuids and record numbers so every copy is a new patient) posted by 4 clients at once;
   resources written per second.
2. At 32 concurrent clients: `GET /fhir/Patient/{id}`, `GET /fhir/DiagnosticReport?
   patient=..&_include=DiagnosticReport:result`, and the recognition check at order time
   (`POST /api/v1/recognition/checks`: the patient's results for an item everywhere, judged,
   recorded); requests per second, p50 and p99; every read is audited, as in production. The
   same server's bare `GET /healthz` is the ceiling, and each figure is also given as a ratio to it.
3. More loads plug in with ``register_load``: a name and a function of the world (tokens,
   patient ids) returning the request to make.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa

from medshare.bench import BenchOptions, benchmark
from medshare.bench.server import ThreadedServer
from medshare.fhir import SYNTHEA_SAMPLES
from medshare.recognition.load import check_request

SAMPLES = SYNTHEA_SAMPLES
READ_CLIENTS = 32
INGEST_CLIENTS = 4
FULL = {"bundles": 40, "reads_per_client": 60}
QUICK = {"bundles": 5, "reads_per_client": 4}

# name -> function(world, rng) -> (method, path, params or None, json body or None)
Request = tuple[str, str, dict | None, dict | None]
LOADS: dict[str, Callable[[dict, random.Random], Request]] = {}


def register_load(name: str, make: Callable[[dict, random.Random], Request]) -> None:
    """Add a load measured like the reads: make(world, rng) gives one request; world has "patients" (record ids),
    "reports" (DiagnosticReport ids), "token" (a platform token) and "practitioner_token"."""
    LOADS[name] = make


register_load("patient_read", lambda w, rng: ("GET", f"/fhir/Patient/{rng.choice(w['patients'])}", None, None))
register_load("report_search_include", lambda w, rng: (
    "GET", "/fhir/DiagnosticReport", {"patient": f"Patient/{rng.choice(w['patients'])}",
                                      "_include": "DiagnosticReport:result"}, None))
register_load("recognition_check", check_request)  # an audited write: the look-up is recorded


def _percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(samples)
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2)}


def _fresh_copy(bundle: dict, rng: random.Random) -> dict:
    """The bundle with every urn:uuid replaced by a new one and the record number made unique: a new patient."""
    text = json.dumps(bundle)
    for entry in bundle["entry"]:
        old = entry["fullUrl"].removeprefix("urn:uuid:")
        if entry["resource"]["resourceType"] in ("Organization", "Practitioner"):
            continue  # the region's directory: shared by every patient
        text = text.replace(old, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    return json.loads(text)


def _bundles(count: int, seed: int) -> tuple[list[dict], int]:
    from medshare.fhir.load import servable

    rng = random.Random(seed)
    patients = []
    for path in sorted(SAMPLES.glob("*_*-*.json")):
        cleaned, _ = servable(json.loads(path.read_text()))
        cleaned["entry"] = [e for e in cleaned["entry"]
                            if e["resource"]["resourceType"] not in ("Organization", "Practitioner")]
        patients.append(cleaned)
    out = [_fresh_copy(patients[i % len(patients)], rng) for i in range(count)]
    return out, sum(len(b["entry"]) for b in out)


def _timed_clients(base: str, token: str, plans: list[list[Request]]) -> tuple[list[tuple[float, int]], float]:
    """Each plan in a thread of its own, all at once: (seconds, status) per request, and the wall time."""
    def run(plan: list[Request]) -> list[tuple[float, int]]:
        out = []
        with httpx.Client(base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
            for method, path, params, body in plan:
                started = time.perf_counter()
                try:
                    status = client.request(method, path, params=params, json=body).status_code
                except httpx.HTTPError:
                    status = 0
                out.append((time.perf_counter() - started, status))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        results = list(pool.map(run, plans))
    return [s for r in results for s in r], time.perf_counter() - started


def _drive_process(base: str, token: str, plans: list[list[Request]]) -> tuple[list[tuple[float, int]], float]:
    return _timed_clients(base, token, plans)


def _drive(base: str, token: str, plans: list[list[Request]], processes: int):
    """The plans spread over client processes (so the client is not the ceiling), threads inside each."""
    if processes <= 1:
        return _timed_clients(base, token, plans)
    groups = [plans[i::processes] for i in range(processes)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_drive_process, [(base, token, g) for g in groups])
    return [s for samples, _ in results for s in samples], time.perf_counter() - started


def _summary(samples: list[tuple[float, int]], seconds: float, ceiling: float | None = None) -> dict:
    statuses = Counter(str(s) for _, s in samples)
    rps = round(len(samples) / seconds, 1) if seconds else 0.0
    out = {"requests": len(samples), "requests_per_second": rps, **_percentiles([t for t, _ in samples]),
           "statuses": dict(sorted(statuses.items())),
           "errors": sum(n for s, n in statuses.items() if s == "0" or s.startswith("5"))}
    if ceiling:
        out["rps_over_healthz"] = round(rps / ceiling, 3)
    return out


def _prepare(url: str, folder: Path) -> dict:
    from medshare.accounts import service as accounts
    from medshare.accounts.models import Role, TokenKind
    from medshare.accounts.schemas import UserIn
    from medshare.db import make_engine, session_factory, transaction, upgrade
    from medshare.fhir.load import load_files

    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        user = accounts.create_user(session, None, UserIn(username="bench-fhir", password=uuid.uuid4().hex,
                                                          role=Role.PLATFORM_ADMIN))
        principal = accounts.principal_of(user)
        import datetime as dt
        token, _ = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=3))
    started = time.perf_counter()
    directory = load_files(factory, principal, [SAMPLES / "hospitalInformation1559319163815.json",
                                                SAMPLES / "practitionerInformation1559319163815.json"])
    seconds = time.perf_counter() - started
    engine.dispose()
    written = sum(sum(r.written.values()) for r in directory)
    return {"token": token, "directory": {"resources": written, "seconds": round(seconds, 2),
                                          "resources_per_second": round(written / seconds, 1)}}


def _world(url: str, token: str) -> dict:
    from medshare.db import make_engine, session_factory
    from medshare.identity.models import PatientRecord
    from medshare.records.models import DiagnosticReport

    engine = make_engine(url)
    with session_factory(engine, writing=False)() as session:
        patients = [str(i) for i in session.scalars(sa.select(DiagnosticReport.patient_record_id).distinct())]
        reports = list(session.scalars(sa.select(DiagnosticReport.fhir_id).limit(500)))
        every = [str(i) for i in session.scalars(sa.select(PatientRecord.id))]
    engine.dispose()
    return {"patients": patients or every, "reports": reports, "token": token, "practitioner_token": token}


def _run(url: str, folder: Path, options: BenchOptions) -> dict:
    from medshare.bench.booking import _Workers
    from medshare.settings import Settings

    sizes = QUICK if options.quick else FULL
    prepared = _prepare(url, folder)
    token = prepared["token"]
    if options.quick:
        server = ThreadedServer(Settings(database_url=url, data_dir=folder, secret_key="bench-secret",
                                         demo_on_first_start=False)).start()
        processes, served_by = 1, "uvicorn in a thread"
    else:
        workers = max(2, min(4, os.cpu_count() or 2))
        server, processes, served_by = _Workers(url, folder, workers).start(), 4, f"uvicorn, {workers} workers"
    try:
        bundles, resources = _bundles(sizes["bundles"], options.seed)
        plans = [[("POST", "/fhir", None, b) for b in bundles[i::INGEST_CLIENTS]] for i in range(INGEST_CLIENTS)]
        samples, seconds = _drive(server.url, token, plans, 1)
        created = sum(1 for _, s in samples if s == 200)
        ingest = {"bundles": len(bundles), "resources": resources, "clients": INGEST_CLIENTS,
                  "seconds": round(seconds, 2), "resources_per_second": round(resources / seconds, 1),
                  "bundles_ok": created, **_percentiles([t for t, _ in samples])}
        world = _world(url, token)
        rng = random.Random(options.seed)
        per = sizes["reads_per_client"]
        health_plans = [[("GET", "/healthz", None, None)] * per for _ in range(READ_CLIENTS)]
        health = _summary(*_drive(server.url, token, health_plans, processes))
        loads = {}
        for name, make in LOADS.items():
            plans = [[make(world, rng) for _ in range(per)] for _ in range(READ_CLIENTS)]
            loads[name] = _summary(*_drive(server.url, token, plans, processes),
                                   ceiling=health["requests_per_second"])
    finally:
        server.stop()
    return {"served_by": served_by, "directory_load": prepared["directory"], "ingest": ingest,
            "clients": READ_CLIENTS, "healthz": health, **loads}


def _postgres(options: BenchOptions) -> dict:
    from medshare.bench.booking import DEFAULT_POSTGRES

    given = os.environ.get("MEDSHARE_BENCH_POSTGRES_URL", "")
    if options.quick and not given:
        return {"skipped": "--quick runs on SQLite only unless MEDSHARE_BENCH_POSTGRES_URL is set"}
    server = given or DEFAULT_POSTGRES
    name = f"medshare_bench_fhir_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, ModuleNotFoundError) as error:
        return {"skipped": f"PostgreSQL unreachable ({type(error).__name__}); set MEDSHARE_BENCH_POSTGRES_URL"}
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            return _run(url, Path(folder), options)
    finally:
        from medshare.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@benchmark("fhir", "FHIR API over HTTP: Synthea transaction ingest, Patient read, DiagnosticReport search with "
                   "_include and the recognition check at 32 clients, beside /healthz, on SQLite and PostgreSQL")
def run(options: BenchOptions) -> dict:
    """Ingest resources/s, and rps, p50, p99 and ratio to /healthz of each read load, per database."""
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _run(f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder), options)
    return {"seed": options.seed, "sqlite": sqlite, "postgresql": _postgres(options)}
