"""`medshare bench api`: a mixed workload over HTTP from separate client processes, at rising concurrency.

Clients search the public directory, read and search FHIR resources (Patient/{id}, and
DiagnosticReport?patient=..&_include=DiagnosticReport:result), search availability
(/api/v1/slots), book one of the slots they found (a 409 for a slot someone else took first is
a correct answer, not an error), and check result recognition at order time. Each client is an
institution's account reading its own patients. Each level (32, 128, 512 concurrent clients)
runs against one server in a subprocess of its own: uvicorn with one worker on SQLite, several
workers on PostgreSQL. The same run measures the bare /healthz at the same concurrency as the
server's ceiling, so every figure is also a ratio to it.

Errors are 5xx answers, timeouts and connection errors. Answers outside what an operation
expects (e.g. a 403 or 422) are counted apart as "unexpected": they mean the workload is wrong,
not that the server failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import multiprocessing
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa

from medshare.bench import BenchOptions, benchmark
from medshare.bench.booking import REQUESTER_TYPES, SEARCHES, _percentiles
from medshare.bench.directory import NAMES, QUERIES
from medshare.bench.fhir import LOADS
from medshare.bench.server import free_port
from medshare.settings import get_settings

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# -- a real server in a subprocess (also used by the reliability and security tests) ----------------


class ServerProcess:
    """`uvicorn medshare.main:app_factory --factory` in a subprocess of its own, with its output kept in a file.

    kill() is SIGKILL: nothing gets to flush or finish; what the database holds afterwards is
    only what it had made durable.
    """

    def __init__(self, database_url: str, folder: Path, *, workers: int = 1, log_file: Path | None = None,
                 access_log: bool = False, log_level: str = "warning", env: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = log_file or folder / f"server-{self.port}.log"
        self.env = os.environ | {"MEDSHARE_DATABASE_URL": database_url, "MEDSHARE_DATA_DIR": str(folder),
                                 "MEDSHARE_SECRET_KEY": "bench-secret-0123456789",
                                 "MEDSHARE_DEMO_ON_FIRST_START": "false"} | (env or {})
        self.args = [sys.executable, "-m", "uvicorn", "medshare.main:app_factory", "--factory", "--host",
                     "127.0.0.1", "--port", str(self.port), "--workers", str(workers), "--log-level", log_level,
                     "--timeout-graceful-shutdown", "5", "--backlog", "4096"]
        if not access_log:
            self.args.append("--no-access-log")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
        """Start and wait until /healthz answers."""
        self._log = self.log_file.open("ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_file.read_text(errors='replace')[-800:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("uvicorn did not start")

    def kill(self) -> None:
        """SIGKILL the server and every worker it started."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM), killing after a grace period."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- the workload ------------------------------------------------------------------------------------

# operation -> share of a client's requests ("book" follows a slot search that found something)
MIX = {"directory_search": 0.20, "patient_read": 0.15, "report_search_include": 0.15, "slot_search": 0.20,
       "book": 0.15, "recognition_check": 0.15}
EXPECTED = {"directory_search": {200}, "patient_read": {200}, "report_search_include": {200}, "slot_search": {200},
            "book": {200, 201, 409}, "recognition_check": {201}, "healthz": {200}}
TIMEOUT, CONNECTION, OTHER = -1, -2, -3  # statuses of requests that got no answer

FULL = {"levels": (32, 128, 512), "seconds": 20.0, "health_seconds": 10.0, "processes": 4, "timeout": 30.0,
        "institutions": 24}
QUICK = {"levels": (8, 32), "seconds": 2.0, "health_seconds": 1.0, "processes": 2, "timeout": 15.0,
         "institutions": 4}
CONNECTIONS_PER_WORKER = 40  # the PostgreSQL pool of one server worker at most (db.make_engine: 10 + 30 overflow)


def _request(op: str, plan: dict, rng, slots: list[dict]) -> tuple[str, str, dict | None, dict | None, bool]:
    """The request a client makes for op: (method, path, params, json, authenticated)."""
    if op == "directory_search":  # the public directory, as an anonymous visitor
        if rng.random() < 0.5:
            return "GET", "/api/v1/institutions", {"q": rng.choice(QUERIES)}, None, False
        return "GET", "/api/v1/practitioners", {"q": rng.choice(NAMES)}, None, False
    if op == "slot_search":
        modality, exam = rng.choice(SEARCHES)
        return "GET", "/api/v1/slots", {"modality": modality, "exam_code": exam, "latitude": plan["latitude"],
                                        "longitude": plan["longitude"], "radius_km": 60, "days": 14,
                                        "limit": 20}, None, True
    if op == "book":
        slot = slots.pop(rng.randrange(min(5, len(slots))))
        return "POST", "/api/v1/bookings", None, {"asset_id": slot["asset_id"], "exam_code": slot["exam_code"],
                                                  "starts_at": slot["starts_at"]}, True
    method, path, params, body = LOADS[op](plan, rng)  # patient_read, report_search_include, recognition_check
    return method, path, params, body, True


async def _client(client: httpx.AsyncClient, plan: dict, kind: str, stop_at: float, samples: list) -> None:
    """One client: requests one after another until stop_at; (operation, seconds, status, finished at) of each."""
    rng = random.Random(plan["seed"])
    auth = {"Authorization": f"Bearer {plan['token']}"}
    ops, weights = list(MIX), list(MIX.values())
    slots: list[dict] = []
    while time.time() < stop_at:
        op = "healthz" if kind == "health" else rng.choices(ops, weights)[0]
        if op == "book" and not slots:
            op = "slot_search"
        if op == "healthz":
            method, path, params, body, authenticated = "GET", "/healthz", None, None, False
        else:
            method, path, params, body, authenticated = _request(op, plan, rng, slots)
        headers = dict(auth) if authenticated else {}
        if op == "book":
            headers["Idempotency-Key"] = uuid.UUID(int=rng.getrandbits(128)).hex
        started = time.perf_counter()
        try:
            response = await client.request(method, path, params=params, json=body, headers=headers)
            status = response.status_code
        except httpx.TimeoutException:
            status, response = TIMEOUT, None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            status, response = CONNECTION, None
        except httpx.HTTPError:
            status, response = OTHER, None
        samples.append((op, time.perf_counter() - started, status, time.time()))
        if op == "slot_search" and status == 200:
            slots = response.json()[:5]


async def _phase(job: dict, ready, go) -> list[tuple[str, float, int, float]]:
    """This process's share of the clients: connect each (one /healthz, not counted), say ready, wait for the
    start time, run until the stop time."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=job["base_url"], timeout=job["timeout"], limits=limits)
               for _ in job["plans"]]
    samples: list[tuple[str, float, int, float]] = []
    try:
        await asyncio.gather(*(c.get("/healthz") for c in clients), return_exceptions=True)
        ready()
        start_at, stop_at = await asyncio.get_running_loop().run_in_executor(None, go)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(_client(c, plan, job["kind"], stop_at, samples)
                               for c, plan in zip(clients, job["plans"], strict=True)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    return samples


def _worker(index: int, inbox, outbox) -> None:
    """A client process: runs the phases it is sent until it gets None."""
    while (job := inbox.get()) is not None:
        samples = asyncio.run(_phase(job, lambda: outbox.put(("ready", index, None)), inbox.get))
        outbox.put(("done", index, samples))


class ClientProcesses:
    """Client processes kept for the whole run; each phase spreads the clients over them and starts them at once."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.inboxes = [context.Queue() for _ in range(count)]
        self.outbox = context.Queue()
        self.processes = [context.Process(target=_worker, args=(i, inbox, self.outbox), daemon=True)
                          for i, inbox in enumerate(self.inboxes)]
        for process in self.processes:
            process.start()

    def run(self, base_url: str, kind: str, plans: list[dict], seconds: float, timeout: float) -> dict:
        """Every plan as one client for seconds: (operation, seconds, status, finished at) of each request.

        A client starts no request after the stop; the answers still coming then are kept for the latencies,
        and left out of requests per second, which counts the answers within the seconds."""
        groups = [plans[i::len(self.processes)] for i in range(len(self.processes))]
        busy = [i for i, group in enumerate(groups) if group]
        for i in busy:
            self.inboxes[i].put({"base_url": base_url, "kind": kind, "plans": groups[i], "timeout": timeout})
        self._collect("ready", len(busy), timeout * 4 + 60)
        start_at = time.time() + 0.5
        for i in busy:
            self.inboxes[i].put((start_at, start_at + seconds))
        results = self._collect("done", len(busy), seconds + timeout * 2 + 60)
        samples = [s for result in results for s in result]
        return {"samples": samples, "seconds": seconds, "stop_at": start_at + seconds}

    def _collect(self, what: str, count: int, timeout: float) -> list:
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            try:
                kind, index, payload = self.outbox.get(timeout=1.0)
            except queue.Empty:
                dead = [p.pid for p in self.processes if not p.is_alive()]
                if dead:
                    raise RuntimeError(f"client processes {dead} died while {what} was awaited") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"client processes did not report {what} in time") from None
                continue
            if kind != what:
                raise RuntimeError(f"client process {index} said {kind} while {what} was awaited")
            out.append(payload)
        return out

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# -- figures -------------------------------------------------------------------------------------------


def _figures(samples: list[tuple[str, float, int, float]], run: dict | None = None) -> dict:
    """Count, latencies, statuses and errors of samples; with the run they came from, requests per second."""
    statuses = Counter(s[2] for s in samples)
    names = {TIMEOUT: "timeout", CONNECTION: "connection_error", OTHER: "other_error"}
    errors = {"5xx": sum(n for s, n in statuses.items() if s >= 500), "timeout": statuses[TIMEOUT],
              "connection_error": statuses[CONNECTION], "other_error": statuses[OTHER]}
    unexpected = sum(1 for op, _, status, _ in samples if 0 < status < 500 and status not in EXPECTED[op])
    out = {"requests": len(samples), **_percentiles([s[1] for s in samples]),
           "statuses": {names.get(s, str(s)): n for s, n in sorted(statuses.items())},
           "errors": sum(errors.values()), "error_kinds": errors, "unexpected": unexpected}
    if run is not None:
        within = sum(1 for s in samples if s[3] <= run["stop_at"])
        out["requests_per_second"] = round(within / run["seconds"], 1)
    return out


def _level(clients: ClientProcesses, base_url: str, plans: list[dict], sizes: dict) -> dict:
    """One concurrency level: /healthz, then the mixed load, at len(plans) clients."""
    health_run = clients.run(base_url, "health", plans, sizes["health_seconds"], sizes["timeout"])
    mixed_run = clients.run(base_url, "mixed", plans, sizes["seconds"], sizes["timeout"])
    health = _figures(health_run["samples"], health_run)
    mixed = _figures(mixed_run["samples"], mixed_run)
    base_rps, base_p50 = health["requests_per_second"] or 0.1, health["p50_ms"] or 0.01
    mixed |= {"rps_over_healthz": round(mixed["requests_per_second"] / base_rps, 3),
              "p50_over_healthz": round(mixed["p50_ms"] / base_p50, 1),
              "p99_over_healthz_p99": round(mixed["p99_ms"] / (health["p99_ms"] or 0.01), 1)}
    operations = {}
    for op in MIX:
        mine = [s for s in mixed_run["samples"] if s[0] == op]
        figures = _figures(mine, mixed_run)
        figures["p50_over_healthz"] = round(figures["p50_ms"] / base_p50, 1)
        operations[op] = figures
    return {"clients": len(plans), "healthz": health, "mixed": mixed, "operations": operations}


# -- the world the clients meet ------------------------------------------------------------------------


def _prepare(url: str, scale: str, seed: int, institutions_wanted: int, clients_wanted: int) -> dict:
    """Seed the demo region, and give each client a token of an institution's account, that institution's
    place (for slot searches) and patients with results there (for FHIR reads and recognition checks)."""
    from medshare.accounts import service as accounts
    from medshare.accounts.models import Role, TokenKind
    from medshare.accounts.schemas import UserIn
    from medshare.db import make_engine, session_factory, transaction, upgrade
    from medshare.demo.cli import seed as seed_region
    from medshare.identity.models import PatientRecord
    from medshare.records.models import DiagnosticReport
    from medshare.registry.models import Institution

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    counts = seed_region(engine, scale=scale, seed=seed)
    seed_seconds = time.perf_counter() - started
    with transaction(session_factory(engine)) as session:
        reported = sa.select(DiagnosticReport.patient_record_id).distinct().scalar_subquery()
        with_results: dict[int, list[int]] = {}
        for institution_id, record_id in session.execute(
                sa.select(PatientRecord.institution_id, PatientRecord.id)
                .where(PatientRecord.id.in_(reported)).order_by(PatientRecord.id)):
            with_results.setdefault(institution_id, []).append(record_id)
        candidates = list(session.scalars(sa.select(Institution).where(Institution.type.in_(REQUESTER_TYPES))
                                          .order_by(Institution.id)))
        candidates.sort(key=lambda i: -len(with_results.get(i.id, [])))
        chosen = candidates[:institutions_wanted]
        places = []
        for institution in chosen:
            patients = with_results.get(institution.id, [])[:200] or list(session.scalars(
                sa.select(PatientRecord.id).where(PatientRecord.institution_id == institution.id)
                .order_by(PatientRecord.id).limit(200)))
            if not patients:  # nobody to read there (small regions): its clients would have no FHIR work
                continue
            user = accounts.create_user(session, None, UserIn(
                username=f"bench-api-{len(places):03d}", password=uuid.uuid4().hex, role=Role.INSTITUTION_ADMIN,
                institution_id=institution.id))
            places.append((user, institution, [str(p) for p in patients]))
        if not places:
            raise RuntimeError("no requesting institution of the region has a patient record to read")
        plans = []
        for n in range(clients_wanted):
            user, institution, patients = places[n % len(places)]
            token, _ = accounts.issue_token(session, user, TokenKind.API, dt.timedelta(hours=6))
            plans.append({"seed": n, "token": token, "latitude": institution.latitude,
                          "longitude": institution.longitude, "patients": patients})
    engine.dispose()
    return {"seed_seconds": round(seed_seconds, 2), "patient_records": counts.get("patient_records"),
            "institutions": len(chosen), "patients_with_results": sum(len(p) for _, _, p in places),
            "plans": plans}


# -- one database --------------------------------------------------------------------------------------


def _run(url: str, folder: Path, options: BenchOptions, scale: str, workers: int) -> dict:
    sizes = QUICK if options.quick else FULL
    server = ServerProcess(url, folder, workers=workers)
    server.args += ["--timeout-keep-alive", "60"]  # clients connect before the start and may wait a while
    clients = ClientProcesses(sizes["processes"])
    try:
        # The server touches the database only when asked, so it starts (imports the app) while the region is
        # seeded; workers import the whole app, which is slow on a busy machine.
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(server.start, 180)
            try:
                world = _prepare(url, scale, options.seed, sizes["institutions"], max(sizes["levels"]))
            finally:
                starting.result()
        plans = world.pop("plans")
        clients.run(server.url, "mixed", plans[:4], 1.0, sizes["timeout"])  # warm-up, not counted
        levels = {str(n): _level(clients, server.url, plans[:n], sizes) for n in sizes["levels"]}
    finally:
        clients.close()
        server.stop()
    return {"served_by": f"uvicorn, {workers} worker{'s' if workers > 1 else ''}",
            "requests_in_progress_per_worker": get_settings().max_requests_in_progress, **world,
            "client_processes": sizes["processes"], "levels": levels}


@contextlib.contextmanager
def scratch_postgres(server: str, prefix: str):
    """A PostgreSQL database created on server for the block and dropped after it; yields its URL."""
    from medshare.db import get_engine

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            get_engine.cache_clear()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _postgres_workers(server: str) -> int:
    """Several workers, as many as the machine has cores (2 to 4), but no more than max_connections allows."""
    engine = sa.create_engine(server)
    try:
        with engine.connect() as connection:
            allowed = int(connection.exec_driver_sql("SHOW max_connections").scalar())
    finally:
        engine.dispose()
    return max(2, min(4, os.cpu_count() or 2, (allowed - 10) // CONNECTIONS_PER_WORKER))


def _postgres(options: BenchOptions, scale: str) -> dict:
    """The run on a scratch PostgreSQL database, created and dropped here; a note when none answers."""
    given = os.environ.get("MEDSHARE_BENCH_POSTGRES_URL", "")
    if options.quick and not given:
        return {"skipped": "--quick runs on SQLite only unless MEDSHARE_BENCH_POSTGRES_URL is set"}
    server = given or DEFAULT_POSTGRES
    try:
        workers = _postgres_workers(server)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, ModuleNotFoundError) as error:
        return {"skipped": f"PostgreSQL at {sa.make_url(server).render_as_string(hide_password=True)} is "
                           f"unreachable ({type(error).__name__}); set MEDSHARE_BENCH_POSTGRES_URL"}
    with scratch_postgres(server, "medshare_bench_api") as url, tempfile.TemporaryDirectory() as folder:
        return _run(url, Path(folder), options, scale, workers)


@benchmark("api", "mixed HTTP workload (directory, FHIR, slots, bookings, recognition checks) from separate "
                  "client processes at 32, 128 and 512 clients, beside /healthz, on SQLite and PostgreSQL")
def run(options: BenchOptions) -> dict:
    """Per database and concurrency: requests/s, p50/p99 per operation, errors, and ratios to /healthz."""
    sizes = QUICK if options.quick else FULL
    scale = "small" if options.quick else options.scale
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _run(f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder), options, scale, 1)
    return {"scale": scale, "seed": options.seed, "levels": list(sizes["levels"]),
            "seconds_per_level": sizes["seconds"], "healthz_seconds_per_level": sizes["health_seconds"],
            "request_timeout_s": sizes["timeout"], "mix": MIX, "sqlite": sqlite,
            "postgresql": _postgres(options, scale)}
