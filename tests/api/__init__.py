"""Helpers of the HTTP service tests: a planned copy of the regency store, tokens, servers.

Fixtures live in the test modules; they call these helpers. A store planned once per test
run (the plan takes about ten seconds) is copied for every module that writes to it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from fonet.store import make_engine, transaction
from tests.waiting import wait_until

_PLANNED: dict[str, Path] = {}


def planned_store(regency_db_file: Path) -> Path:
    """Return an SQLite file with the regency and one default plan (built once per run)."""
    key = str(regency_db_file)
    if key not in _PLANNED:
        from fonet.planning.plan import run_plan
        from fonet.planning.profile import load_profile

        folder = Path(tempfile.mkdtemp(prefix="fonet-api-"))
        path = folder / "planned.db"
        shutil.copy(regency_db_file, path)
        eng = make_engine(f"sqlite:///{path}")
        with transaction(eng) as s:
            run_plan(s, load_profile())
        with eng.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        eng.dispose()
        _PLANNED[key] = path
    return _PLANNED[key]


def copy_store(src: Path, folder: Path, name: str = "fonet.db") -> str:
    """Copy a store file into ``folder``; return its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / name
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


def make_tokens(url: str) -> dict[str, str]:
    """Create one token per role; return role → token."""
    from api.auth import create_token

    eng = make_engine(url)
    out = {}
    with transaction(eng) as s:
        for role in ("viewer", "engineer", "admin"):
            out[role] = create_token(s, role, f"test-{role}")[1]
    eng.dispose()
    return out


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def free_tcp_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``fonet serve`` in a subprocess on 127.0.0.1."""

    def __init__(self, url: str, log: Path, **env: str) -> None:
        self.port = free_tcp_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("w")
        full_env = dict(os.environ, FONET_DB_URL=url, **env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "warning"],
            env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until(self._healthy, 60, f"fonet serve to answer {self.base}/healthz",
                       interval_s=0.2, detail=lambda: self.log()[-3000:])
        except BaseException:
            self.stop()
            raise

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"fonet serve exited: {self.log()[-3000:]}")
        try:
            return httpx.get(self.base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        """What the server wrote so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Stop the server (SIGTERM, then SIGKILL); return its exit code."""
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code


def wait_job(client, job: dict, headers: dict[str, str], timeout_s: float = 180.0) -> dict:  # noqa: ANN001
    """Poll a job (``GET links.self``) until it has succeeded or failed; return it."""
    last: dict = {}

    def finished() -> dict | None:
        got = client.get(job["links"]["self"], headers=headers)
        assert got.status_code == 200, got.text
        last.update(got.json())
        return dict(last) if last["state"] in ("succeeded", "failed") else None

    return wait_until(finished, timeout_s, f"job {job['id']} to finish", interval_s=0.2,
                      detail=lambda: f"last seen: {last}")
