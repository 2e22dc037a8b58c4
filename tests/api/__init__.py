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
import time
from pathlib import Path

import httpx

from fonet.store import make_engine, transaction

_PLANNED: dict[str, Path] = {}

# `fonet serve` through the command line, registering the command when the entry point does
# not do it (yet)
SERVE = (
    "import sys\n"
    "from api.cli import app\n"
    "from api.cli import commands, serve_cmd\n"
    "if not any((c.name or getattr(c.callback, '__name__', '')) == 'serve'\n"
    "           for c in app.registered_commands):\n"
    "    serve_cmd.register(app)\n"
    "app()\n"
)


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
            [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "warning"],
            env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fonet serve exited: {self.log()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"fonet serve did not answer: {self.log()[-3000:]}")

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
    deadline = time.monotonic() + timeout_s
    while True:
        got = client.get(job["links"]["self"], headers=headers)
        assert got.status_code == 200, got.text
        out = got.json()
        if out["state"] in ("succeeded", "failed"):
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job['id']} still {out['state']} after {timeout_s} s")
        time.sleep(0.2)
