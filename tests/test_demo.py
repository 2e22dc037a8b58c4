"""End to end: ``fonet demo`` loads, plans, simulates, polls and serves the whole regency.

::

    fonet demo  (process group D)
      |-- uvicorn: API + collectors + sink, one process
      |-- snmpsim agent 0  (process group A0)  --- one data file per simulated device
      `-- snmpsim agent 1  (process group A1)

Checked through the HTTP API: every planned link has a live state, the links riding the cut
span are down at both ends, the degraded links are degraded for want of light, and the
fibre-cut locator ranks the cut span first; then SIGINT stops the demo and no process of
groups D, A0, A1 is left.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from fonet.i18n import t
from fonet.monitoring import latest_sample
from fonet.planning.engineering import check_loss
from fonet.planning.profile import profile_from_dict
from fonet.store import make_engine, reader
from fonet.store.models import Link, LinkSpan, Plan, PlanSite, Span
from tests.api import bearer, free_tcp_port
from tests.waiting import wait_until

INTERVAL_S = 20
READY_TIMEOUT_S = 240


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, pgid, start time) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has exited
        return None
    return int(fields[1]), int(fields[2]), int(fields[19])


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _descendants(root: int) -> dict[int, tuple[int, int, int]]:
    """Every live process below ``root``, with its (ppid, pgid, start time)."""
    table = {pid: st for pid in _all_pids() if (st := _stat(pid)) is not None}
    found, frontier = {}, {root}
    while frontier:
        children = {pid for pid, st in table.items() if st[0] in frontier and pid not in found}
        found.update({pid: table[pid] for pid in children})
        frontier = children
    return found


class Demo:
    """``fonet demo`` in a subprocess of its own process group, its stdout read by a thread."""

    def __init__(self, folder: Path, data_dir: Path) -> None:
        self.port = free_tcp_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = folder / "demo.db"
        self.err_path = folder / "demo.err"
        self._err = self.err_path.open("w")
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "demo", "--port", str(self.port), "--interval",
             str(INTERVAL_S), "--db", str(self.db), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=self._err, text=True, start_new_session=True,
            env=dict(os.environ, COLUMNS="200"))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout_s: float) -> str:
        """Return the first stdout line starting with ``prefix``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.out.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} line from fonet demo; stdout {self.out}, "
                             f"stderr: {self.stderr()[-3000:]}")

    def stderr(self) -> str:
        """What the demo wrote on stderr so far."""
        if not self._err.closed:
            self._err.flush()
        return self.err_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGINT, as Ctrl-C does; SIGKILL to the group if it does not stop in 60 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        self._err.close()
        return code


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, data_dir: Path):
    d = Demo(tmp_path_factory.mktemp("demo"), data_dir)
    try:
        d.url = d.wait_for("URL: ", READY_TIMEOUT_S).split(" ", 1)[1]
        d.token = d.wait_for("viewer token: ", 10).split(": ", 1)[1]
        d.ready = d.wait_for("ready: ", READY_TIMEOUT_S)
        d.up_s = time.monotonic() - d.started
        d.sim = json.loads((d.db.with_name("demo.db.agents") / "simulation.json").read_text())
        yield d
    finally:
        d.stop()


def _links(demo: Demo) -> list[dict]:
    r = httpx.get(f"{demo.base}/api/v1/links", params={"plan_id": demo.sim["plan_id"],
                                                       "limit": 1000},
                  headers=bearer(demo.token), timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def test_demo_comes_up_with_every_device_answering(demo: Demo) -> None:
    assert demo.url == f"{demo.base}/map/"
    assert httpx.get(f"{demo.base}/map/", timeout=10).status_code == 200
    health = httpx.get(f"{demo.base}/healthz", timeout=10).json()
    assert health["collectors"]["running"] is True
    assert health["collectors"]["devices"] == demo.sim["devices"] > 300
    n = demo.sim["devices"]
    assert demo.ready.startswith(f"ready: {n}/{n} devices"), demo.ready


def test_every_planned_link_has_a_live_state(demo: Demo) -> None:
    links = _links(demo)
    assert len(links) == demo.sim["links"]
    for link in links:
        assert link["monitored"], link["name"]
        assert link["state"] in ("up", "degraded", "down"), (link["name"], link["reasons"])
        assert link["a_interface"] and link["z_interface"]


def test_the_cut_span_takes_down_every_link_riding_it(demo: Demo) -> None:
    span_id = demo.sim["cut_span_id"]
    eng = make_engine(f"sqlite:///{demo.db}")
    with reader(eng) as s:
        assert s.get(Span, span_id).role == "backbone"
        riders = set(s.scalars(select(Link.name).join(LinkSpan, LinkSpan.link_id == Link.id)
                               .where(LinkSpan.span_id == span_id)))
    eng.dispose()
    assert riders and riders == set(demo.sim["cut_links"])
    by_state: dict[str, set[str]] = {}
    reasons = {}
    for link in _links(demo):
        by_state.setdefault(link["state"], set()).add(link["name"])
        reasons[link["name"]] = link["reasons"]
    assert by_state["down"] == riders
    for name in riders:  # both ends report it
        assert len([r for r in reasons[name] if "oper down" in r]) == 2, reasons[name]
    assert by_state["degraded"] == set(demo.sim["degraded_links"])
    for name in by_state["degraded"]:
        assert any("Rx power" in r for r in reasons[name]), reasons[name]


def test_received_power_follows_the_planned_loss(demo: Demo) -> None:
    """On a working link, Rx is the far end's Tx (-3 to -5 dBm) less the link's planned loss."""
    eng = make_engine(f"sqlite:///{demo.db}")
    state = {lk["name"]: lk["state"] for lk in _links(demo)}
    checked = 0
    with reader(eng) as s:
        plan = s.get(Plan, demo.sim["plan_id"])
        profile = profile_from_dict(plan.profile)
        optics = profile.optics
        access_nm = optics.transceivers[optics.access_transceiver].wavelength_nm
        site_loss = {ps.site_id: ps.loss_1310_db if access_nm == 1310 else ps.loss_1550_db
                     for ps in s.scalars(select(PlanSite).where(PlanSite.plan_id == plan.id))}
        for link in s.scalars(select(Link).where(Link.plan_id == plan.id)):
            if state[link.name] != "up":
                continue
            if ":BB" in link.name:
                length_m = sum(sp.length_m for sp in s.scalars(
                    select(Span).join(LinkSpan, LinkSpan.span_id == Span.id)
                    .where(LinkSpan.link_id == link.id)))
                loss_db = check_loss(length_m, 0, profile, optics.backbone_transceiver).loss_db
            else:
                loss_db = site_loss[link.z_site_id]
            for iface in (link.a_interface_id, link.z_interface_id):
                sample = latest_sample(s, iface)
                assert -5.0 - loss_db - 0.35 <= sample.rx_power_dbm <= -3.0 - loss_db + 0.35, (
                    link.name, loss_db, sample.rx_power_dbm)
                assert -5.0 <= sample.tx_power_dbm <= -3.0
                checked += 1
        for name in demo.sim["cut_links"]:  # loss of signal at both ends of the cut links
            link = s.scalar(select(Link).where(Link.name == name))
            for iface in (link.a_interface_id, link.z_interface_id):
                assert latest_sample(s, iface).rx_power_dbm <= -30
    eng.dispose()
    assert checked >= 2 * (demo.sim["links"] - len(demo.sim["cut_links"]) - 10)


def test_locate_cut_ranks_the_cut_span_first(demo: Demo) -> None:
    r = httpx.get(f"{demo.base}/api/v1/noc/cut", params={"plan_id": demo.sim["plan_id"]},
                  headers=bearer(demo.token), timeout=60)
    assert r.status_code == 200, f"GET /api/v1/noc/cut answered {r.status_code}: {r.text}"
    body = r.json()
    assert set(body["down_links"]) == set(demo.sim["cut_links"])
    first = body["candidates"][0]
    assert demo.sim["cut_span_id"] in first["spans"]
    assert not first["contradicted_by"]


def test_ctrl_c_stops_every_process_the_demo_started(demo: Demo) -> None:
    tree = _descendants(demo.proc.pid)
    agents = {a["pid"] for a in demo.sim["agents"]}
    assert agents <= set(tree), "the snmpsim agents are children of the demo"
    groups = {demo.proc.pid} | {tree[p][1] for p in tree}
    assert {tree[p][1] for p in agents} == agents, "each agent leads its own process group"
    code = demo.stop()
    assert code == 0, demo.stderr()[-3000:]
    assert t("cli.demo.stopped", "id") in demo.stderr()  # Indonesian by default

    def left_behind() -> set[int]:
        left = {pid for pid, st in tree.items() if (now := _stat(pid)) and now[2] == st[2]}
        return left | {pid for pid in _all_pids() if (st := _stat(pid)) and st[1] in groups}

    wait_until(lambda: not left_behind(), 10, "every process of the demo to end",
               interval_s=0.2, detail=lambda: f"processes left behind: {sorted(left_behind())}")
