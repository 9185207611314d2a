"""`medshare bench api`: a mixed workload over HTTP from separate client processes, at rising concurrency.

Clients search the public directory, search availability (/api/v1/slots), book, and, where those
capabilities exist, read and search FHIR resources and check result recognition. Each level
(32, 128, 512 concurrent clients) runs against one server: uvicorn with one worker on SQLite,
several workers on PostgreSQL. The same run measures the bare /healthz at each level as the
server's ceiling, so every figure is also a ratio to it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from medshare.bench.server import free_port

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
