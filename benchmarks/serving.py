"""Start ``fonet serve`` in a subprocess for the service benchmarks (api, jobs).

``--server-path`` in those scripts points at another checkout (an older fonet) to measure a
baseline; its command line may lack the ``serve`` command's registration, so the server is
started through :data:`SERVE`, which registers it when it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine

SERVE = ("from api.cli import app\nfrom api.cli import commands, serve_cmd\n"
         "if not any((c.name or getattr(c.callback, '__name__', '')) == 'serve'\n"
         "           for c in app.registered_commands):\n"
         "    serve_cmd.register(app)\napp()\n")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, log: Path, server_path: str | None = None,
                 env_extra: dict[str, str] | None = None, *, timeout_s: float = 90.0
                 ) -> tuple[subprocess.Popen, str]:
    """Start ``fonet serve`` on ``url`` (collectors off) and wait until ``/healthz`` answers.

    Parameters
    ----------
    url : str
        The store's database URL.
    log : Path
        File for the server's output (its tail is printed when it exits early).
    server_path : str, optional
        Checkout to run the server from (default: this one).
    env_extra : dict, optional
        More environment variables for the server.
    timeout_s : float
        How long to wait for the server.

    Returns
    -------
    tuple
        The server process and its base URL.
    """
    port = free_port()
    env = dict(os.environ, FONET_DB_URL=url, FONET_COLLECTORS="false", **(env_extra or {}))
    if server_path:
        env["PYTHONPATH"] = server_path
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, cwd=server_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"fonet serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    sys.exit("fonet serve did not start")


def copy_store(db_url: str, folder: Path, *, upgrade: bool) -> tuple[str, Engine]:
    """Copy an SQLite store into ``folder`` (upgraded to this fonet's schema if asked).

    Returns
    -------
    tuple
        The copy's URL and an engine on it (dispose of it when done).
    """
    from sqlalchemy.engine import make_url

    from fonet.store import make_engine
    from fonet.store import upgrade as upgrade_store

    dst = folder / "bench.db"
    shutil.copy(Path(make_url(db_url).database or "").expanduser(), dst)
    url = f"sqlite:///{dst}"
    eng = make_engine(url)
    if upgrade:
        upgrade_store(eng)
    return url, eng
