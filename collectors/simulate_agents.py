"""Serving a :class:`~collectors.simulate.Simulation` with snmpsim, and registering it.

:func:`write_data` writes one ``.snmprec`` file per device, spread over the data folders of
several agents; :class:`SnmpsimAgents` runs one ``snmpsim-command-responder`` per folder on a
free UDP port of 127.0.0.1, each in its own process group (and, on Linux, told to stop when
its parent dies), and stops them all; :func:`register_simulation` adds the devices, their
interfaces and the links' terminations to the store.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from collectors.simulate import PROFILES, Simulation, render_snmprec
from fonet.devices import add_device, attach_link, upsert_interfaces
from fonet.errors import DeviceError
from fonet.telemetry import DeviceTarget, InterfaceSample

HOST = "127.0.0.1"


class AgentError(DeviceError):
    """An snmpsim agent did not start or did not answer."""


def write_data(sim: Simulation, folder: Path | str, *, agents: int = 1,
               seed: int = 0) -> dict[str, int]:
    """Write the ``.snmprec`` file of every device; return each device's agent number.

    Devices are dealt round-robin into ``folder/agent-0``, ``folder/agent-1`` ... A folder
    that exists is emptied first.
    """
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    root = Path(folder)
    if root.exists():
        shutil.rmtree(root)
    dirs = [root / f"agent-{k}" for k in range(agents)]
    for d in dirs:
        d.mkdir(parents=True)
    placed = {}
    for n, device in enumerate(sim.devices.values()):
        k = n % agents
        (dirs[k] / f"{device.community}.snmprec").write_text(render_snmprec(device, seed=seed),
                                                              encoding="utf-8")
        placed[device.name] = k
    return placed


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _responder() -> str:
    beside = Path(sys.executable).with_name("snmpsim-command-responder")
    found = str(beside) if beside.exists() else shutil.which("snmpsim-command-responder")
    if not found:
        raise AgentError("snmpsim-command-responder not found (pip package 'snmpsim')")
    return found


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: stop when the parent dies


class SnmpsimAgents:
    """snmpsim command responders serving one data folder each on 127.0.0.1.

    Parameters
    ----------
    data_dirs
        One folder of ``.snmprec`` files per agent.
    work_dir
        Where the agents keep their index caches and logs.
    """

    def __init__(self, data_dirs: list[Path], work_dir: Path | str) -> None:
        self.data_dirs = [Path(d) for d in data_dirs]
        self.work_dir = Path(work_dir)
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def _spawn(self, k: int, port: int) -> subprocess.Popen:
        self.logs[k] = self.work_dir / f"agent-{k}-{port}.log"
        cmd = [_responder(), f"--data-dir={self.data_dirs[k]}",
               f"--cache-dir={self.work_dir / f'cache-{k}'}",
               f"--agent-udpv4-endpoint={HOST}:{port}", f"--logging-method=file:{self.logs[k]}",
               "--log-level=error"]
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_die_with_parent)

    def _respawn(self, k: int) -> None:
        """Start agent ``k`` again on another free port (its port was taken meanwhile)."""
        old = self.procs[k]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(old.pid, signal.SIGKILL)
        old.wait()
        self.ports[k] = _free_udp_port()
        self.procs[k] = self._spawn(k, self.ports[k])

    def start(self, probes: Sequence[DeviceTarget | None] | None = None, *,
              timeout_s: float = 60.0) -> list[int]:
        """Start every agent and wait until each answers; return their ports.

        An agent that exits because its port is in use, or listens but does not answer
        (another socket took the port between the choice and the bind), is started again on
        another port, up to three times.

        Parameters
        ----------
        probes
            For each agent, a device (its port is ignored: the agent's is used) to ask for
            until it answers; ``None`` does not wait.
        timeout_s
            How long to wait for all of them.

        Raises
        ------
        AgentError
            An agent exited or did not answer in time (its log's tail is in the message).
        """
        from collectors.client import poll_once

        self.work_dir.mkdir(parents=True, exist_ok=True)
        probes = probes or [None] * len(self.data_dirs)
        for k in range(len(self.data_dirs)):
            port = _free_udp_port()
            self.ports.append(port)
            self.logs.append(self.work_dir / f"agent-{k}.log")
            self.procs.append(self._spawn(k, port))
        deadline = time.monotonic() + timeout_s
        for k, probe in enumerate(probes):
            respawns, listening_since = 0, None
            while probe is not None:
                proc = self.procs[k]
                log = self._log_tail(k)
                if proc.poll() is not None:
                    if respawns < 3 and "in use" in log:
                        respawns += 1
                        self._respawn(k)
                        continue
                    raise AgentError(f"snmpsim agent {k} (port {self.ports[k]}) exited with "
                                     f"{proc.returncode}: {log}")
                target = DeviceTarget(probe.name, HOST, self.ports[k],
                                      community=probe.community, profiles=("if_mib",))
                if poll_once([target], timeout_s=0.5, retries=0)[0].reachable:
                    break
                if "Listening at" in log:
                    listening_since = listening_since or time.monotonic()
                    if time.monotonic() - listening_since > 8 and respawns < 3:
                        respawns, listening_since = respawns + 1, None
                        self._respawn(k)
                        continue
                if time.monotonic() > deadline:
                    raise AgentError(f"snmpsim agent {k} (port {self.ports[k]}) did not answer "
                                     f"in {timeout_s:g} s: {log}")
                time.sleep(0.2)
        return self.ports

    def _log_tail(self, k: int) -> str:
        log = self.logs[k]
        return log.read_text(errors="replace")[-1500:] if log.exists() else "(no log)"

    @property
    def pids(self) -> list[int]:
        """Process ids of the agents started (their process group ids too)."""
        return [p.pid for p in self.procs]

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every agent's process group: SIGTERM, then SIGKILL after ``timeout_s``."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # anything left in the group (nothing is expected) goes too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs = []

    def __enter__(self) -> SnmpsimAgents:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def probes_for(sim: Simulation, placed: dict[str, int], agents: int) -> list[DeviceTarget]:
    """Return one device per agent to ask until the agent answers."""
    first: dict[int, str] = {}
    for name, k in placed.items():
        first.setdefault(k, name)
    return [DeviceTarget(first[k], HOST, 1, community=sim.devices[first[k]].community)
            for k in range(agents)]


def register_simulation(
    session: Session,
    sim: Simulation,
    ports: dict[str, int],
    *,
    host: str = HOST,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, int]:
    """Add the simulated devices and interfaces to the store and attach every link.

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    sim
        The simulation.
    ports
        UDP port of each device's agent, by device name.
    host
        Address of the agents.
    progress
        Called with the number of devices added so far.

    Returns
    -------
    dict
        ``devices``, ``interfaces`` and ``links`` attached.
    """
    interfaces = 0
    for n, dev in enumerate(sim.devices.values(), 1):
        row = add_device(session, dev.name, host, port=ports[dev.name], site_code=dev.site_code,
                         community=dev.community, profiles=PROFILES)
        upsert_interfaces(session, row, [
            InterfaceSample(if_index=p.if_index, name=p.name, descr=p.name, alias=p.link_name,
                            high_speed_mbps=p.speed_mbps) for p in dev.ports])
        interfaces += len(dev.ports)
        if progress is not None:
            progress(n)
    for link in sim.links:
        attach_link(session, link.name, f"{link.a_device}:{link.a_port}",
                    f"{link.z_device}:{link.z_port}", create=False)
    return {"devices": len(sim.devices), "interfaces": interfaces, "links": len(sim.links)}
