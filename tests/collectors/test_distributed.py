"""Several collectors on one PostgreSQL store: groups, a killed collector, once per cycle.

Real parts: the PostgreSQL of FONET_TEST_PG_URL (procrastinate's queue in it), net-snmp's
snmpd from conftest.py as the agent of every device, and `fonet collectors run
--distributed` started as processes, one of them killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from fonet.devices import add_device, upsert_interfaces
from fonet.store import make_engine, reader, transaction, upgrade
from fonet.store import models as m
from fonet.store.observed import DevicePollCycle, EvaluatedCycle, InterfaceSample
from fonet.telemetry import InterfaceSample as Port
from tests.ci import require
from tests.collectors.conftest import SNMPD_COMMUNITY
from tests.waiting import wait_until

PG_URL = os.environ.get("FONET_TEST_PG_URL")
INTERVAL = 3
engine_of = functools.cache(make_engine)
DEVICES = {f"east-{k}": "east" for k in range(4)} | {f"west-{k}": "west" for k in range(4)}


class DelayProxy:
    """Relays SNMP over UDP to an agent, each request ``delay_s`` late: a slow device.

    Polls then take long enough that a collector killed at a random moment holds some.
    """

    def __init__(self, agent_port: int, delay_s: float) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.agent_port, self.delay_s = agent_port, delay_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _relay(self, data: bytes, peer: tuple[str, int]) -> None:
        if self._stop.wait(self.delay_s):
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(2)
            up.sendto(data, ("127.0.0.1", self.agent_port))
            with contextlib.suppress(OSError):
                self.sock.sendto(up.recv(65535), peer)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(data, peer), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def fonet(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, FONET_DB_URL=url)
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def pg_store(snmpd) -> Iterator[str]:  # noqa: ANN001
    require(PG_URL, "FONET_TEST_PG_URL is not set: no PostgreSQL server to test against "
                    "(make test starts one with scripts/start-postgres.sh)")
    assert PG_URL is not None
    eng = make_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS fonet_queue CASCADE; "
                          "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(eng)
    proxy = DelayProxy(snmpd.port, 0.25)
    with transaction(eng) as s:
        for name, group in [*DEVICES.items(), ("north-0", "north")]:
            dev = add_device(s, name, "127.0.0.1", port=proxy.port, community=SNMPD_COMMUNITY)
            dev.poller_group = group
            upsert_interfaces(s, dev, [Port(if_index=1, name="lo", descr="lo")])
    eng.dispose()
    yield PG_URL
    proxy.close()


def start_collector(url: str, log: Path, groups: str) -> subprocess.Popen:
    env = dict(os.environ, FONET_DB_URL=url)
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "collectors", "run", "--distributed",
         "--interval", str(INTERVAL), "--groups", groups, "--timeout", "1", "--retries", "1"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def ledger(url: str) -> list[tuple[str, float, str]]:
    """(device, cycle start as epoch seconds, collector) of every stored poll."""
    with reader(engine_of(url)) as s:
        rows = s.execute(select(m.Device.name, DevicePollCycle.cycle_start,
                                DevicePollCycle.collector)
                         .join(DevicePollCycle, DevicePollCycle.device_id == m.Device.id))
        return [(n, c.timestamp(), who) for n, c, who in rows]


def queue_rows(url: str, sql: str, **params: object) -> list:
    with engine_of(url).connect() as conn:
        return list(conn.execute(text(sql), params))


def test_two_collectors_share_devices_and_survive_a_kill(pg_store: str, tmp_path: Path) -> None:
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start_collector(pg_store, logs[0], "east,west")]

    def tails() -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs
                         if p.exists())

    try:
        # A first, so that its worker is the one registered in the queue before B's
        workers = "SELECT id FROM fonet_queue.procrastinate_workers"
        (a_worker,), = wait_until(lambda: queue_rows(pg_store, workers), 60,
                                  "collector A to register", interval_s=0.2, detail=tails)
        procs.append(start_collector(pg_store, logs[1], "west,east"))

        def both_polled() -> bool:
            for p in procs:
                assert p.poll() is None, tails()
            rows = ledger(pg_store)
            per_device = Counter(n for n, _, _ in rows)
            whose = {who.rsplit(":", 1)[1] for _, _, who in rows}
            return (all(per_device[d] >= 2 for d in DEVICES)
                    and whose >= {str(p.pid) for p in procs})

        wait_until(both_polled, 60, "both collectors to poll every device twice",
                   interval_s=0.5, detail=tails)
        status = json.loads(fonet(pg_store, "collectors", "status", "--json").stdout)
        assert status["unserved"] == ["north"]  # its device is in a group nobody serves
        assert {c["pid"] for c in status["collectors"] if c["alive"]} == {p.pid for p in procs}

        held = ("SELECT id FROM fonet_queue.procrastinate_jobs WHERE status = 'doing' "
                "AND task_name = 'fonet.poll' AND worker_id = :w")
        held_ids = wait_until(lambda: queue_rows(pg_store, held, w=a_worker), 60,
                              "collector A to hold a poll", interval_s=0.02, detail=tails)
        os.killpg(procs[0].pid, signal.SIGKILL)  # no clean stop: its jobs stay "doing"
        procs[0].wait()
        killed_at = max(c for _, c, _ in ledger(pg_store))
        survivor = str(procs[1].pid)

        def survivor_took_all() -> bool:
            assert procs[1].poll() is None, tails()
            after = {n for n, c, who in ledger(pg_store)
                     if c > killed_at and who.endswith(":" + survivor)}
            return after >= set(DEVICES)

        wait_until(survivor_took_all, 60, "the survivor to poll every device", interval_s=0.5,
                   detail=tails)
        # the polls A held were taken over (ended, their devices queued again), not left
        # holding their devices' locks
        states = queue_rows(pg_store, "SELECT status FROM fonet_queue.procrastinate_jobs "
                                      "WHERE id = ANY(:ids)", ids=[i for i, in held_ids])
        assert states and {st for st, in states} == {"failed"}, states

        # a collector for the group nobody served polls its device, and only it
        logs.append(tmp_path / "c.log")
        procs.append(start_collector(pg_store, logs[2], "north"))
        wait_until(lambda: any(n == "north-0" for n, _, _ in ledger(pg_store)), 60,
                   "collector C to poll the north group", interval_s=0.5, detail=tails)
        status = json.loads(fonet(pg_store, "collectors", "status", "--json").stdout)
        assert status["unserved"] == []
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    assert procs[1].returncode == 0 and procs[2].returncode == 0, tails()
    assert "of a dead collector is queued again" in logs[1].read_text(), tails()

    rows = ledger(pg_store)
    c_name = f":{procs[2].pid}"
    assert {n for n, _, who in rows if who.endswith(c_name)} == {"north-0"}
    assert all(who.endswith(c_name) for n, _, who in rows if n == "north-0")
    # within two intervals: no device misses two cycles in a row after the kill
    cycles = defaultdict(set)
    for n, c, _ in rows:
        cycles[n].add(round(c / INTERVAL))
    kill_cycle = round(killed_at / INTERVAL)
    last = max(max(v) for v in cycles.values())
    for n in DEVICES:
        missing = [k for k in range(kill_cycle, last) if k not in cycles[n]]
        assert not any(k + 1 in missing for k in missing), (n, sorted(cycles[n]))
    eng = make_engine(pg_store)
    with reader(eng) as s:
        # one sample per interface per stored poll: nothing polled twice in a cycle
        samples = dict(s.execute(
            select(m.Device.name, func.count(InterfaceSample.id))
            .join(m.Interface, m.Interface.device_id == m.Device.id)
            .join(InterfaceSample, InterfaceSample.interface_id == m.Interface.id)
            .group_by(m.Device.name)).all())
        polls = Counter(n for n, _, _ in rows)
        lo = dict(s.execute(
            select(m.Device.name, func.count(InterfaceSample.id))
            .join(m.Interface, m.Interface.device_id == m.Device.id)
            .join(InterfaceSample, InterfaceSample.interface_id == m.Interface.id)
            .where(m.Interface.name == "lo").group_by(m.Device.name)).all())
        assert all(lo[d] == polls[d] for d in DEVICES), (lo, polls)
        assert all(samples[d] % polls[d] == 0 for d in DEVICES), (samples, polls)
        evaluated = sorted(c.timestamp() for c in s.scalars(select(EvaluatedCycle.cycle_start)))
    eng.dispose()
    # link states and alarms: once per cycle, no cycle skipped, whoever ran it
    assert len(evaluated) >= 3
    assert [b - a for a, b in zip(evaluated, evaluated[1:], strict=False)] == \
        [INTERVAL] * (len(evaluated) - 1)


def test_distributed_needs_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    proc = fonet(url, "collectors", "run", "--distributed", "--interval", "5")
    assert proc.returncode == 2, proc.stderr
    assert "PostgreSQL" in proc.stderr and "--distributed" in proc.stderr


@pytest.mark.parametrize(("args", "names"), [
    (["collectors", "run", "--groups", "east"], "--groups"),
    (["collectors", "run", "--distributed", "--groups", "East!"], "East!"),
    (["collectors", "run", "--distributed", "--groups", ","], "--groups"),
    (["collectors", "run", "--distributed", "--interval", "7"], "--interval"),
    (["collectors", "run", "--distributed", "--interval", "2.5"], "--interval"),
    (["devices", "add", "x", "--host", "127.0.0.1", "--community", "c", "--group", "a b"],
     "--group"),
    (["devices", "edit", "nobody", "--group", "east"], "nobody"),
])
def test_bad_input(pg_store: str, args: list[str], names: str) -> None:
    proc = fonet(pg_store, *args)
    assert proc.returncode == 2, proc.stderr
    assert names in proc.stderr
    with reader(engine_of(pg_store)) as s:
        assert s.scalar(select(func.count()).select_from(m.Device)) == len(DEVICES) + 1


def test_collectors_share_one_interval(pg_store: str) -> None:
    """A collector started with another interval than the live ones is refused (exit 2)."""
    from datetime import UTC, datetime

    from fonet.pollers import forget_collector, see_collector

    with transaction(engine_of(pg_store)) as s:
        see_collector(s, "other-host-1", host="other-host", pid=1, groups=["east"],
                      interval_s=INTERVAL, started_at=datetime.now(UTC))
    try:
        proc = fonet(pg_store, "collectors", "run", "--distributed", "--groups", "west",
                     "--interval", str(INTERVAL * 2))
        assert proc.returncode == 2, proc.stderr
        assert "--interval" in proc.stderr and "other-host-1" in proc.stderr
    finally:
        with transaction(engine_of(pg_store)) as s:
            forget_collector(s, "other-host-1")


def test_devices_edit_moves_a_device(pg_store: str) -> None:
    proc = fonet(pg_store, "devices", "edit", "west-0", "--group", "north")
    assert proc.returncode == 0, proc.stderr
    listed = {d["name"]: d["group"] for d in
              json.loads(fonet(pg_store, "devices", "list", "--json").stdout)}
    assert listed["west-0"] == "north" and listed["east-0"] == "east"
    status = json.loads(fonet(pg_store, "collectors", "status", "--json").stdout)
    assert status["groups"]["north"]["devices"] == 2
    assert status["unserved"] == ["east", "north", "west"]  # no collector runs


def test_a_collector_taken_for_dead_stops(pg_store: str, tmp_path: Path) -> None:
    """A collector whose heartbeat came too late has had its polls handed over: it stops."""
    log = tmp_path / "a.log"
    proc = start_collector(pg_store, log, "east")
    try:
        wait_until(lambda: any(n.startswith("east-") for n, _, _ in ledger(pg_store)), 60,
                   "the collector to poll", interval_s=0.5,
                   detail=lambda: log.read_text(errors="replace")[-3000:])
        # what another collector does when it finds this one's heartbeat too old
        with engine_of(pg_store).begin() as conn:
            conn.execute(text("SET LOCAL search_path TO fonet_queue"))
            pruned = list(conn.execute(text(
                "SELECT * FROM fonet_queue.procrastinate_prune_stalled_workers_v1(0)")))
        assert len(pruned) == 1
        wait_until(lambda: proc.poll() is not None, 60, "the collector to stop",
                   detail=lambda: log.read_text(errors="replace")[-3000:])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = log.read_text(errors="replace")
    assert proc.returncode == 1, out
    assert "taken for dead" in out
