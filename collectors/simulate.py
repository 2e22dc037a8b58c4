"""A simulated regency: SNMP agent data for every site a plan connects.

:func:`build_simulation` reads a stored plan and makes one simulated device per site that
terminates a planned link (the core POP, the hubs, the village and kecamatan offices, OPDs),
with one optical port per link: IF-MIB ``ifTable`` and ``ifXTable`` rows (the link's name in
``ifAlias``, octet counters that grow at a steady rate) and MikroTik DOM rows
(``mtxrOpticalTable``, read by the ``mikrotik_optical`` profile) whose received power is the
far end's transmit power less the planned loss of the link. A few links are degraded (received
power below the health threshold) and one backbone span is cut: every link riding it is down
at both ends. :func:`render_snmprec` writes a device as an snmpsim ``.snmprec`` file.

ifOperStatus and the received power are ``writecache`` values, so a cut can be repaired (or
another one made) with ``snmpset``. snmpsim keeps one write cache per process keyed by OID, so
every port of the simulation has its own ifIndex.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import NotFoundError, StateError
from fonet.planning.engineering import check_loss
from fonet.planning.profile import Profile, profile_from_dict
from fonet.store.models import Link, LinkSpan, Plan, PlanSite, Site, Span
from fonet.telemetry import HealthThresholds

SYS = "1.3.6.1.2.1.1"
IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
MT_OPTICAL = "1.3.6.1.4.1.14988.1.1.19.1.1"
PROFILES = ("if_mib", "mikrotik_optical")
"""Collector profiles that read a simulated device."""

LOS_DBM = -40.0
"""Received power reported by a port whose fibre is cut (loss of signal)."""

BACKBONE_MBPS = 10_000
ACCESS_MBPS = 1_000
IF_BASE = 1000
"""Device ``n`` numbers its ports ``n * IF_BASE + 1``, ``+ 2`` ... (unique in the simulation)."""


@dataclass(frozen=True)
class SimPort:
    """One optical port of a simulated device, terminating one link."""

    if_index: int
    name: str
    link_name: str
    speed_mbps: int
    state: str
    """``up``, ``degraded`` or ``down`` (the fibre is cut)."""
    in_rate_bps: float
    out_rate_bps: float
    tx_power_dbm: float
    rx_power_dbm: float


@dataclass
class SimDevice:
    """A simulated device at one site."""

    name: str
    community: str
    site_id: int
    site_code: str
    role: str
    number: int
    ports: list[SimPort] = field(default_factory=list)


@dataclass(frozen=True)
class SimLink:
    """A planned link and the two ports that terminate it."""

    name: str
    a_device: str
    a_port: str
    z_device: str
    z_port: str
    loss_db: float
    state: str


@dataclass
class Simulation:
    """Everything simulated for one plan."""

    plan_id: int
    devices: dict[str, SimDevice]
    links: list[SimLink]
    cut_span_id: int | None
    cut_links: list[str]
    degraded_links: list[str]
    min_rx_power_dbm: float

    def summary(self) -> dict[str, Any]:
        """Return counts and the injected faults, JSON-ready."""
        return {"plan_id": self.plan_id, "devices": len(self.devices),
                "ports": sum(len(d.ports) for d in self.devices.values()),
                "links": len(self.links), "cut_span_id": self.cut_span_id,
                "cut_links": self.cut_links, "degraded_links": self.degraded_links}


def community_of(site_code: str) -> str:
    """Return the SNMP community (and snmpsim data file stem) of a site's device."""
    return "sim-" + re.sub(r"[^a-z0-9]+", "-", site_code.lower()).strip("-")


def _plan(session: Session, plan_id: int | None) -> Plan:
    if plan_id is None:
        plan_id = session.scalar(select(func.max(Plan.id)))
        if plan_id is None:
            raise StateError("the store has no plan: run `fonet plan` first")
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    return plan


def _link_loss_db(link: Link, spans: list[Span], ps: PlanSite | None, profile: Profile) -> float:
    """Planned loss of a link at its transceiver's wavelength."""
    optics = profile.optics
    backbone = ":BB" in link.name or any(s.role == "backbone" for s in spans)
    kind = optics.backbone_transceiver if backbone else optics.access_transceiver
    wavelength = optics.transceivers[kind].wavelength_nm
    if not backbone and ps is not None:
        stored = ps.loss_1310_db if wavelength == 1310 else ps.loss_1550_db
        if stored is not None:
            return float(stored)
    return check_loss(sum(s.length_m for s in spans), 0, profile, kind).loss_db


def _end_sites(link: Link) -> tuple[int, int]:
    """Return the sites at the two ends of a planned link (a site deleted since is a gap)."""
    if link.a_site_id is None or link.z_site_id is None:
        raise StateError(f"link {link.name} of plan {link.plan_id} lost an end site: "
                         "plan it again")
    return link.a_site_id, link.z_site_id


@dataclass
class _PlanData:
    """What the simulation reads of a stored plan."""

    plan: Plan
    profile: Profile
    links: list[Link]
    spans_of: dict[int, list[Span]]
    plan_sites: dict[int, PlanSite]
    site_ids: set[int]
    sites: dict[int, Site]


def _load_plan_data(session: Session, plan_id: int | None) -> _PlanData:
    """Read a plan's links, the spans they ride and the sites they join.

    Parameters
    ----------
    session
        A session on the store.
    plan_id
        The plan (default: the newest).

    Returns
    -------
    _PlanData
        Links by name, the spans of each link in order, the plan's sites and the sites that
        terminate a link.

    Raises
    ------
    StateError
        The store has no plan, or the plan has no links.
    NotFoundError
        No such plan.
    """
    plan = _plan(session, plan_id)
    profile = profile_from_dict(plan.profile, f"plan {plan.id} profile")
    links = list(session.scalars(select(Link).where(Link.plan_id == plan.id)
                                 .order_by(Link.name)))
    if not links:
        raise StateError(f"plan {plan.id} has no links: plan it again with this version")
    spans_of: dict[int, list[Span]] = defaultdict(list)
    for link_id, span in session.execute(
            select(LinkSpan.link_id, Span).join(Span, Span.id == LinkSpan.span_id)
            .join(Link, Link.id == LinkSpan.link_id).where(Link.plan_id == plan.id)
            .order_by(LinkSpan.link_id, LinkSpan.seq)).tuples():
        spans_of[link_id].append(span)
    plan_sites = {ps.site_id: ps for ps in session.scalars(
        select(PlanSite).where(PlanSite.plan_id == plan.id))}
    site_ids = {x for lk in links for x in _end_sites(lk)}
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))}
    return _PlanData(plan, profile, links, spans_of, plan_sites, site_ids, sites)


def _choose_cut(data: _PlanData, cut: bool, cut_span_id: int | None,
                rng: random.Random) -> tuple[int | None, list[str]]:
    """Choose the backbone span to cut and name every link riding it.

    Parameters
    ----------
    data
        The plan.
    cut
        Cut a backbone span chosen with ``rng`` (when ``cut_span_id`` is not given).
    cut_span_id
        The span to cut.
    rng
        The simulation's random source.

    Returns
    -------
    tuple
        The span cut (or ``None``) and the names of the links riding it, sorted.

    Raises
    ------
    NotFoundError
        ``cut_span_id`` carries no link of the plan.
    """
    riders: dict[int, set[str]] = defaultdict(set)
    for lk in data.links:
        for sp in data.spans_of[lk.id]:
            riders[sp.id].add(lk.name)
    backbone = sorted({sp.id for lk in data.links for sp in data.spans_of[lk.id]
                       if sp.role == "backbone"})
    if cut_span_id is not None and cut_span_id not in riders:
        raise NotFoundError(f"span {cut_span_id} carries no link of plan {data.plan.id}")
    chosen = cut_span_id if cut_span_id is not None else (
        rng.choice(backbone) if cut and backbone else None)
    return chosen, sorted(riders[chosen]) if chosen is not None else []


def _choose_degraded(links: list[Link], loss: dict[str, float], cut_links: list[str],
                     degraded: int, rng: random.Random) -> list[str]:
    """Choose the access links to degrade among the lossier half of those not cut.

    Parameters
    ----------
    links
        The plan's links.
    loss
        Planned loss of every link by name, in dB.
    cut_links
        Links that are down.
    degraded
        How many links to degrade.
    rng
        The simulation's random source.

    Returns
    -------
    list of str
        Names of the degraded links, sorted.
    """
    access = sorted((lk.name for lk in links if lk.name not in cut_links and ":AC:" in lk.name),
                    key=lambda n: (-loss[n], n))
    pool = access[:max(degraded, len(access) // 2)]
    return sorted(rng.sample(pool, min(degraded, len(pool))))


def _make_devices(data: _PlanData) -> dict[int, SimDevice]:
    """Make one device (without ports) per site that terminates a link, POP and hubs first.

    Parameters
    ----------
    data
        The plan.

    Returns
    -------
    dict
        Devices by site id, numbered from 1 in order of role then site code.
    """
    plan_sites, sites = data.plan_sites, data.sites
    role_rank = {"pop": 0, "hub": 1}
    order = sorted(data.site_ids, key=lambda sid: (
        role_rank.get(plan_sites[sid].role if sid in plan_sites else "", 2), sites[sid].code))
    devices: dict[int, SimDevice] = {}
    for n, sid in enumerate(order, 1):
        site = sites[sid]
        role = plan_sites[sid].role if sid in plan_sites else "access"
        devices[sid] = SimDevice(site.code, community_of(site.code), sid, site.code, role, n)
    return devices


def _simulate_link(lk: Link, state: str, loss_db: float, devices: dict[int, SimDevice],
                   counters: dict[int, dict[str, int]], min_rx_power_dbm: float,
                   rng: random.Random) -> SimLink:
    """Add the two ports of a link to its end devices and return the simulated link.

    Parameters
    ----------
    lk
        The planned link.
    state
        ``up``, ``degraded`` or ``down``.
    loss_db
        Its planned loss.
    devices
        Devices by site id; a port is appended to each end's device.
    counters
        Backbone (``bb``) and access (``ac``) ports made so far per site id (names the
        ports), updated.
    min_rx_power_dbm
        The health threshold a degraded port's received power falls below.
    rng
        The simulation's random source.

    Returns
    -------
    SimLink
        The link and the ports that terminate it.
    """
    is_bb = ":BB" in lk.name
    rate_down = rng.uniform(1.5e9, 6e9) if is_bb else rng.uniform(20e6, 400e6)
    rate_up = rate_down * (rng.uniform(0.6, 1.0) if is_bb else rng.uniform(0.1, 0.4))
    if state == "down":
        rate_down = rate_up = 0.0
    tx = {end: round(rng.uniform(-5.0, -3.0), 2) for end in "az"}
    ends = {}
    a_id, z_id = _end_sites(lk)
    for end, sid, other in (("a", a_id, "z"), ("z", z_id, "a")):
        dev = devices[sid]
        kind = "bb" if is_bb else "ac"
        counters[sid][kind] += 1
        name = (f"sfp-sfpplus{counters[sid][kind]}" if is_bb
                else f"sfp{counters[sid][kind]}")
        if state == "down":
            rx = LOS_DBM
        elif state == "degraded":
            rx = min_rx_power_dbm - rng.uniform(1.5, 4.0)
        else:
            rx = tx[other] - loss_db + rng.uniform(-0.3, 0.3)
        ins, outs = (rate_up, rate_down) if end == "a" else (rate_down, rate_up)
        port = SimPort(dev.number * IF_BASE + len(dev.ports) + 1, name, lk.name,
                       BACKBONE_MBPS if is_bb else ACCESS_MBPS, state, ins, outs,
                       tx[end], round(rx, 2))
        dev.ports.append(port)
        ends[end] = (dev.name, name)
    return SimLink(lk.name, *ends["a"], *ends["z"], round(loss_db, 3), state)


def build_simulation(
    session: Session,
    plan_id: int | None = None,
    *,
    degraded: int = 3,
    cut: bool = True,
    cut_span_id: int | None = None,
    thresholds: HealthThresholds | None = None,
    seed: int = 0,
) -> Simulation:
    """Simulate the devices and ports of a stored plan.

    Parameters
    ----------
    session
        A session on the store.
    plan_id
        The plan (default: the newest).
    degraded
        How many access links to degrade (received power 1.5 to 4 dB below the threshold).
    cut
        Cut one backbone span (``cut_span_id``, or one chosen with ``seed``).
    cut_span_id
        The backbone span to cut.
    thresholds
        Health limits; ``min_rx_power_dbm`` sets what degraded means.
    seed
        Seed of every random choice (powers, traffic, the faults).

    Returns
    -------
    Simulation
        Devices by name, links, and the faults injected.

    Raises
    ------
    StateError
        The store has no plan, or the plan has no links.
    NotFoundError
        No such plan or span.
    """
    rng = random.Random(seed)
    limits = thresholds or HealthThresholds()
    data = _load_plan_data(session, plan_id)
    links = data.links
    chosen, cut_links = _choose_cut(data, cut, cut_span_id, rng)
    loss = {lk.name: _link_loss_db(lk, data.spans_of[lk.id], data.plan_sites.get(_end_sites(lk)[1]),
                                   data.profile)
            for lk in links}
    degraded_links = _choose_degraded(links, loss, cut_links, degraded, rng)
    devices = _make_devices(data)
    sim_links = []
    counters: dict[int, dict[str, int]] = defaultdict(lambda: {"bb": 0, "ac": 0})
    backbone_first = sorted(links, key=lambda lk: (":BB" not in lk.name, lk.name))
    for lk in backbone_first:
        state = ("down" if lk.name in cut_links else
                 "degraded" if lk.name in degraded_links else "up")
        sim_links.append(_simulate_link(lk, state, loss[lk.name], devices, counters,
                                        limits.min_rx_power_dbm, rng))
    return Simulation(data.plan.id, {d.name: d for d in devices.values()}, sim_links, chosen,
                      cut_links, degraded_links, limits.min_rx_power_dbm)


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def render_snmprec(device: SimDevice, *, seed: int = 0) -> str:
    """Return the snmpsim ``.snmprec`` text of a simulated device.

    Counters start from a random value and grow at the port's rate (snmpsim ``numeric``
    variation); sysUpTime grows at 100 ticks a second; ifOperStatus and the received power
    are ``writecache`` values.
    """
    rng = random.Random(f"{seed}:{device.name}")
    uptime_cs = rng.randint(10, 400) * 86_400 * 100
    rows: list[tuple[str, str, Any]] = [
        (f"{SYS}.1.0", "4", f"RouterOS CCR2004-1G-12S+2XS (simulated {device.role} "
                            f"at {device.site_code})"),
        (f"{SYS}.2.0", "6", "1.3.6.1.4.1.14988.1"),
        (f"{SYS}.3.0", "67:numeric", f"rate=100,initial={uptime_cs}"),
        (f"{SYS}.5.0", "4", device.name),
        ("1.3.6.1.2.1.2.1.0", "2", len(device.ports)),
    ]
    for k, p in enumerate(device.ports, 1):
        i = p.if_index
        up = p.state != "down"
        oper = 1 if up else 2
        last_change = rng.randint(100, uptime_cs // 2)
        rows += [
            (f"{IF}.1.{i}", "2", i),
            (f"{IF}.2.{i}", "4", p.name),
            (f"{IF}.3.{i}", "2", 6),
            (f"{IF}.4.{i}", "2", 1500),
            (f"{IF}.5.{i}", "66", min(p.speed_mbps * 1_000_000, 4_294_967_295)),
            (f"{IF}.7.{i}", "2", 1),
            (f"{IF}.8.{i}", "2:writecache", f"value={oper}"),
            (f"{IF}.9.{i}", "67", last_change),
            (f"{IF}.14.{i}", "65", 0),
            (f"{IF}.20.{i}", "65", 0),
            (f"{IFX}.1.{i}", "4", p.name),
            (f"{IFX}.15.{i}", "66", p.speed_mbps),
            (f"{IFX}.18.{i}", "4", p.link_name),
            (f"{IFX}.19.{i}", "67", 0),
            (f"{MT_OPTICAL}.1.{i}", "2", k),
            (f"{MT_OPTICAL}.2.{i}", "4", p.name),
            (f"{MT_OPTICAL}.9.{i}", "2", round(p.tx_power_dbm * 1000)),
            (f"{MT_OPTICAL}.10.{i}", "2:writecache", f"value={round(p.rx_power_dbm * 1000)}"),
        ]
        for col32, col64, rate_bps in ((10, 6, p.in_rate_bps), (16, 10, p.out_rate_bps)):
            start = rng.randint(10**9, 10**14)
            if up and rate_bps > 0:
                octets = f"rate={rate_bps / 8:.1f},initial={start}"
                rows.append((f"{IF}.{col32}.{i}", "65:numeric", f"{octets},wrap=1"))
                rows.append((f"{IFX}.{col64}.{i}", "70:numeric", octets))
            else:
                rows.append((f"{IF}.{col32}.{i}", "65", start % 2**32))
                rows.append((f"{IFX}.{col64}.{i}", "70", start))
    rows.sort(key=lambda r: _oid_key(r[0]))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows)
