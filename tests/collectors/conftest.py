"""Real SNMP agents for the collector tests: net-snmp snmpd, snmpsim, junk servers.

Everything listens on 127.0.0.1 only and is started once per test session.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.client import poll_once
from fonet.telemetry import DeviceTarget
from tests.ci import require
from tests.waiting import wait_until

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
SNMPSIM = Path(sys.executable).with_name("snmpsim-command-responder")

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
V3_USER = "fonetv3"
V3_AUTH = "authphrase-7f3c"
V3_PRIV = "privphrase-91ad"
SNMPD_COMMUNITY = "ro-9d2e1"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(target: DeviceTarget, proc: subprocess.Popen, log: Path) -> None:
    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"agent exited early: {log.read_text(errors='replace')[-2000:]}")
        return poll_once([target], timeout_s=0.3, retries=0)[0].reachable

    wait_until(answers, 20, f"the agent on 127.0.0.1:{target.port} to answer", interval_s=0.2,
               detail=lambda: log.read_text(errors="replace")[-2000:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- net-snmp snmpd ----------------------------------------------------------
@dataclass(frozen=True)
class Snmpd:
    port: int

    def v2c(self, name: str = "snmpd", community: str = SNMPD_COMMUNITY) -> DeviceTarget:
        return DeviceTarget(name, "127.0.0.1", self.port, community=community)

    def v3(self, name: str = "snmpd-v3", **override) -> DeviceTarget:
        fields = dict(v3_user=V3_USER, auth_proto="SHA", auth_key=V3_AUTH,
                      priv_proto="AES", priv_key=V3_PRIV)
        fields.update(override)
        return DeviceTarget(name, "127.0.0.1", self.port, **fields)


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Snmpd:
    require(Path(SNMPD).exists(), "net-snmp snmpd is not installed (Debian package 'snmpd')")
    folder = tmp_path_factory.mktemp("snmpd")
    port = free_udp_port()
    conf = folder / "snmpd.conf"
    conf.write_text(
        f"agentaddress udp:127.0.0.1:{port}\n"
        f"rocommunity {SNMPD_COMMUNITY} 127.0.0.1 .1.3.6.1\n"
        f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"\n'
        f"rouser {V3_USER} priv .1.3.6.1\n"
    )
    log = folder / "snmpd.log"
    env = dict(os.environ, SNMP_PERSISTENT_DIR=str(folder / "persist"))
    proc = subprocess.Popen(
        [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(log), "-p", str(folder / "pid")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    agent = Snmpd(port)
    try:
        wait_until_answers(agent.v2c(), proc, log)
        yield agent
    finally:
        stop(proc)


@dataclass(frozen=True)
class V3Agent:
    """A net-snmp agent with one SNMPv3 user (authPriv, SHA/AES) of its own keys."""

    port: int
    user: str
    auth_key: str
    priv_key: str
    folder: Path

    def target(self, name: str, **override) -> DeviceTarget:
        fields = dict(v3_user=self.user, auth_proto="SHA", auth_key=self.auth_key,
                      priv_proto="AES", priv_key=self.priv_key)
        fields.update(override)
        return DeviceTarget(name, "127.0.0.1", self.port, **fields)

    @property
    def log(self) -> Path:
        return self.folder / "snmpd.log"


@contextmanager
def running_v3_snmpd(folder: Path, user: str, auth_key: str, priv_key: str,
                     engine_id: str | None = None, port: int | None = None
                     ) -> Iterator[V3Agent]:
    """Run snmpd on a free port with one v3 user (and a v2c community to probe it)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_udp_port()
    conf = folder / "snmpd.conf"
    conf.write_text(
        f"agentaddress udp:127.0.0.1:{port}\n"
        f"rocommunity {SNMPD_COMMUNITY} 127.0.0.1 .1.3.6.1\n"
        + (f"engineID {engine_id}\n" if engine_id else "")
        + f'createUser {user} SHA "{auth_key}" AES "{priv_key}"\n'
        f"rouser {user} priv .1.3.6.1\n"
    )
    log = folder / "snmpd.log"
    env = dict(os.environ, SNMP_PERSISTENT_DIR=str(folder / "persist"))
    proc = subprocess.Popen(
        [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(log), "-p", str(folder / "pid")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answers(DeviceTarget("probe", "127.0.0.1", port, community=SNMPD_COMMUNITY),
                           proc, log)
        yield V3Agent(port, user, auth_key, priv_key, folder)
    finally:
        stop(proc)


#: Two sites, one v3 user name, keys of their own (as a network with per-site keys).
SITE_KEYS = {"site-a": ("auth-site-a-51c0", "priv-site-a-88e2"),
             "site-b": ("auth-site-b-07fd", "priv-site-b-3b19")}


@pytest.fixture(scope="session")
def v3_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[V3Agent]]:
    """Two snmpd agents, same v3 user name, different keys (own engine IDs)."""
    folder = tmp_path_factory.mktemp("v3pair")
    with running_v3_snmpd(folder / "a", V3_USER, *SITE_KEYS["site-a"]) as a, \
            running_v3_snmpd(folder / "b", V3_USER, *SITE_KEYS["site-b"]) as b:
        yield [a, b]


# -- snmpsim -------------------------------------------------------------------
def snmprec(lines: list[tuple[str, str, object]]) -> str:
    """Render (oid, tag, value) rows sorted by OID in snmprec format."""
    rows = sorted(lines, key=lambda row: tuple(int(p) for p in row[0].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows)


def if_rows(
    names: dict[int, str],
    *,
    hc: bool = True,
    oper: str | int = 1,
    octets: str | int = 1000,
    uptime: str = "67|123456",
    skip: tuple[str, ...] = (),
) -> list[tuple[str, str, object]]:
    """IF-MIB rows for interfaces {ifIndex: ifName}; values may carry variations."""
    up_tag, up_value = uptime.split("|", 1)
    rows: list[tuple[str, str, object]] = [
        ("1.3.6.1.2.1.1.1.0", "4", "fonet test agent"),
        ("1.3.6.1.2.1.1.3.0", up_tag, up_value),
    ]

    def put(column: str, oid: str, tag: str, value: object) -> None:
        if column not in skip:
            rows.append((oid, tag, value))

    for index, name in names.items():
        put("descr", f"{IF}.2.{index}", "4", f"port {name}")
        put("admin", f"{IF}.7.{index}", "2", 1)
        if isinstance(oper, str):
            put("oper", f"{IF}.8.{index}", oper.split("|")[0], oper.split("|", 1)[1])
        else:
            put("oper", f"{IF}.8.{index}", "2", oper)
        put("last_change", f"{IF}.9.{index}", "67", 100)
        put("in_errors", f"{IF}.14.{index}", "65", 0)
        put("out_errors", f"{IF}.20.{index}", "65", 0)
        put("name", f"{IFX}.1.{index}", "4", name)
        put("speed", f"{IFX}.15.{index}", "66", 10000)
        put("alias", f"{IFX}.18.{index}", "4", f"to {name}-peer")
        put("disc", f"{IFX}.19.{index}", "67", 0)
        if hc:
            tag, value = ("70", octets) if isinstance(octets, int) else octets.split("|", 1)
            put("hc", f"{IFX}.6.{index}", tag, value)
            put("hc", f"{IFX}.10.{index}", tag, value)
        else:
            tag, value = ("65", octets) if isinstance(octets, int) else octets.split("|", 1)
            put("octets32", f"{IF}.10.{index}", tag, value)
            put("octets32", f"{IF}.16.{index}", tag, value)
    return rows


GROW_IN_RATE = 125_000       # octets/s -> 1 Mbit/s
GROW_ERR_RATE = 4            # errors/s


def device_files() -> dict[str, str]:
    """Community -> .snmprec text of every simulated device."""
    # The writecache variation keeps one cache keyed by OID for all data files,
    # so every device written to below uses its own ifIndex values.
    files: dict[str, str] = {}
    grow = if_rows({1: "xe-0/0/1", 2: "xe-0/0/2"},
                   octets=f"70:numeric|rate={GROW_IN_RATE}")
    grow = [r for r in grow if not r[0].startswith(f"{IF}.14.")]
    grow += [(f"{IF}.14.{i}", "65:numeric", f"rate={GROW_ERR_RATE}") for i in (1, 2)]
    files["grow"] = snmprec(grow)
    files["wrap32"] = snmprec(if_rows({11: "ge-1"}, hc=False,
                                      octets="65:writecache|value=4294967000"))
    files["reboot"] = snmprec(if_rows({21: "ge-1"}, octets="70:writecache|value=900000000",
                                      uptime="67:writecache|value=9000000"))
    files["flip"] = snmprec(if_rows({31: "ge-1", 32: "ge-2"}, oper="2:writecache|value=1"))
    files["nocolumns"] = snmprec(if_rows({1: "ge-1"}, hc=False, skip=("oper", "octets32")))
    files["bare"] = snmprec([("1.3.6.1.2.1.1.1.0", "4", "system only"),
                             ("1.3.6.1.2.1.1.3.0", "67", 500)])
    # MikroTik: optical rows indexed 1..2, interfaces 5..6, tied by name.
    mt = if_rows({5: "sfp1", 6: "sfp-sfpplus2", 7: "ether1"})
    base = "1.3.6.1.4.1.14988.1.1.19.1.1"
    mt += [(f"{base}.2.1", "4", "sfp1"), (f"{base}.9.1", "2", -2400), (f"{base}.10.1", "2", -5100),
           (f"{base}.2.2", "4", "sfp-sfpplus2"), (f"{base}.9.2", "2", -1000),
           (f"{base}.10.2", "2", -19875)]
    files["mikrotik"] = snmprec(mt)
    # Huawei: entity 67108867 aliased to ifIndex 6; 67108868 empty cage (sentinel).
    hw = if_rows({6: "GigabitEthernet0/0/1", 7: "GigabitEthernet0/0/2"})
    ent, alias, opt = "1.3.6.1.2.1.47.1.1.1.1", "1.3.6.1.2.1.47.1.3.2.1.2", \
        "1.3.6.1.4.1.2011.5.25.31.1.1.3.1"
    hw += [(f"{ent}.7.67108867", "4", "GigabitEthernet0/0/1"),
           (f"{ent}.7.67108868", "4", "GigabitEthernet0/0/2"),
           (f"{alias}.67108867.0", "6", f"{IF}.1.6"), (f"{alias}.67108868.0", "6", f"{IF}.1.7"),
           (f"{opt}.8.67108867", "2", -1234), (f"{opt}.9.67108867", "2", -250),
           (f"{opt}.8.67108868", "2", 2147483647), (f"{opt}.9.67108868", "2", 2147483647)]
    files["huawei"] = snmprec(hw)
    # Cisco: port 1001 (alias -> ifIndex 3) > transceiver 1002 > sensors 1003/1004;
    # sensor 2003 has no alias anywhere and is matched by name to ifName Te1/2.
    cs = if_rows({3: "Te1/1", 4: "Te1/2"})
    sens = "1.3.6.1.4.1.9.9.91.1.1.1.1"
    cs += [(f"{ent}.7.1001", "4", "Te1/1"), (f"{ent}.4.1001", "2", 1),
           (f"{ent}.7.1002", "4", "Te1/1 transceiver"), (f"{ent}.4.1002", "2", 1001),
           (f"{ent}.7.1003", "4", "Te1/1 Receive Power Sensor"), (f"{ent}.4.1003", "2", 1002),
           (f"{ent}.7.1004", "4", "Te1/1 Transmit Power Sensor"), (f"{ent}.4.1004", "2", 1002),
           (f"{ent}.7.1005", "4", "Te1/1 Temperature Sensor"), (f"{ent}.4.1005", "2", 1002),
           (f"{ent}.7.2003", "4", "Te1/2 Receive Power Sensor"),
           (f"{alias}.1001.0", "6", f"{IF}.1.3")]
    for index, kind, scale, precision, value in [
        (1003, 14, 9, 1, -75), (1004, 14, 9, 1, -21), (1005, 8, 9, 0, 41), (2003, 14, 8, 0, -3210),
    ]:
        cs += [(f"{sens}.1.{index}", "2", kind), (f"{sens}.2.{index}", "2", scale),
               (f"{sens}.3.{index}", "2", precision), (f"{sens}.4.{index}", "2", value),
               (f"{sens}.5.{index}", "2", 1)]
    files["cisco"] = snmprec(cs)
    # ENTITY-SENSOR-MIB in watts: 5012 x 0.1 uW = 501.2 uW = -3.00 dBm.
    es = if_rows({1: "xe-0/0/1"})
    phy = "1.3.6.1.2.1.99.1.1.1"
    es += [(f"{ent}.7.11", "4", "xe-0/0/1 Rx Power"), (f"{ent}.7.12", "4", "xe-0/0/1 Tx Power"),
           (f"{alias}.11.0", "6", f"{IF}.1.1"), (f"{alias}.12.0", "6", f"{IF}.1.1")]
    for index, value in ((11, 5012), (12, 10000)):
        es += [(f"{phy}.1.{index}", "2", 6), (f"{phy}.2.{index}", "2", 7),
               (f"{phy}.3.{index}", "2", 1), (f"{phy}.4.{index}", "2", value),
               (f"{phy}.5.{index}", "2", 1)]
    files["entsensor"] = snmprec(es)
    # Juniper: indexed by ifIndex directly, 0.01 dBm.
    jn = if_rows({501: "xe-0/0/0", 502: "xe-0/0/1"})
    dom = "1.3.6.1.4.1.2636.3.60.1.1.1.1"
    jn += [(f"{dom}.5.501", "2", -345), (f"{dom}.7.501", "2", -112),
           (f"{dom}.5.502", "2", -4010), (f"{dom}.7.502", "2", -190)]
    files["juniper"] = snmprec(jn)
    return files


@dataclass(frozen=True)
class Snmpsim:
    port: int

    def target(self, community: str, profiles: tuple[str, ...] = ("if_mib",)) -> DeviceTarget:
        return DeviceTarget(f"sim-{community}", "127.0.0.1", self.port, community=community,
                            profiles=profiles)

    def set(self, community: str, oid: str, value) -> None:
        """SET one value (writecache variation) with pysnmp, numeric OID, no MIBs."""
        _SETTER.set(self.port, community, oid, value)


class _Setter:
    """One pysnmp engine on a background event loop, for SET requests in tests."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        from pysnmp.entity.engine import SnmpEngine

        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()

        async def make():
            return SnmpEngine()

        self._engine = asyncio.run_coroutine_threadsafe(make(), self._loop).result()

    def set(self, port: int, community: str, oid: str, value) -> None:
        from pysnmp.entity.rfc3413 import cmdgen
        from pysnmp.hlapi.v3arch.asyncio import CommunityData, UdpTransportTarget
        from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
        from pysnmp.proto.rfc1902 import ObjectName

        with self._lock:
            if self._loop is None:
                self._start()

        async def run():
            transport = await UdpTransportTarget.create(("127.0.0.1", port), timeout=2)
            addr, _ = CommandGeneratorLcdConfigurator().configure(
                self._engine, CommunityData(community), transport, b"")
            future = asyncio.get_running_loop().create_future()

            def done(_e, _h, indication, status, _index, _binds, _ctx):
                if not future.done():
                    future.set_result((indication, status))

            cmdgen.SetCommandGenerator().send_varbinds(
                self._engine, addr, None, b"", [(ObjectName(oid), value)], done)
            return await future

        indication, status = asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)
        assert not indication and not status, (indication, status)


_SETTER = _Setter()


@contextmanager
def running_snmpsim(folder: Path, files: dict[str, str], probe: str,
                    port: int | None = None) -> Iterator[Snmpsim]:
    """Run snmpsim on a free 127.0.0.1 port serving ``files`` (community -> .snmprec text).

    Yields once the ``probe`` community answers; the process is stopped on exit. ``port``
    starts it on a given port (an agent coming back where it was).
    """
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for community, text in files.items():
        (data / f"{community}.snmprec").write_text(text)
    port = port or free_udp_port()
    log = folder / "snmpsim.log"
    proc = subprocess.Popen(
        [str(SNMPSIM), f"--data-dir={data}", f"--cache-dir={folder / 'cache'}",
         f"--agent-udpv4-endpoint=127.0.0.1:{port}", f"--logging-method=file:{log}"],
        env=dict(os.environ, SNMPSIM_ALLOW_ROOT="true"),
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    agent = Snmpsim(port)
    try:
        wait_until_answers(agent.target(probe), proc, log)
        yield agent
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Snmpsim:
    with running_snmpsim(tmp_path_factory.mktemp("snmpsim"), device_files(), "grow") as agent:
        yield agent


# -- servers that answer nonsense ---------------------------------------------
class JunkServer:
    """UDP server on 127.0.0.1 answering every datagram via ``reply(request)``."""

    def __init__(self, reply) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.hits += 1
            self.sock.sendto(self.reply(data), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="session")
def junk_servers():
    garbage = JunkServer(lambda request: b"\x30\x82\xff\xffthis is not BER at all")
    truncated = JunkServer(lambda request: request[: len(request) // 2])
    yield {"garbage": garbage, "truncated": truncated}
    garbage.close()
    truncated.close()
