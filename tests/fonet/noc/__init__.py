"""A small hand-built plan for the network-operations tests.

::

    POP ────r1──── H1 ────r2──── X ════r8════ H2 ────r7──── V3
     │             │             │
     │            r4             │            ring 0: POP → H1 → H2 → POP
     │             │             │              POP>H1 rides s1 (r1)
     │             J ───r6─── V2 │              H1>H2  rides s2 (r2), s8a (r8)
     │             │             │              H2>POP rides s8b (r8), s3 (r3)
     │            r5             │            access from H1 (kecamatan K1):
     │             │             │              AC:V1 rides s4 (r4), s5 (r5)
     │             V1            │              AC:V2 rides s4 (r4), s6 (r6)
     └─────────────r3────────────┘            access from H2 (kecamatan K2):
                                                AC:V3 rides s7 (r7)

r8 is H2's single entry: both ring cables lie in its trench (spans s8a and s8b).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

T0 = datetime(2026, 1, 1, tzinfo=UTC)
"""When the hand-built network is first polled."""

SITES = {  # code: (kind, role, hub, kecamatan)
    "POP": ("core_pop", "pop", None, "K1"),
    "H1": ("kecamatan_office", "hub", None, "K1"),
    "H2": ("kecamatan_office", "hub", None, "K2"),
    "V1": ("village_office", "access", "H1", "K1"),
    "V2": ("village_office", "access", "H1", "K1"),
    "V3": ("village_office", "access", "H2", "K2"),
}
NODES = ["POP", "H1", "H2", "V1", "V2", "V3", "X", "J"]
EDGES = {  # route edge: (u, v, length_m)
    "r1": ("POP", "H1", 1000.0), "r2": ("H1", "X", 1200.0), "r8": ("X", "H2", 40.0),
    "r3": ("X", "POP", 2500.0), "r4": ("H1", "J", 800.0), "r5": ("J", "V1", 600.0),
    "r6": ("J", "V2", 700.0), "r7": ("H2", "V3", 900.0),
}
SPANS = {  # span: (route edge, role)
    "s1": ("r1", "backbone"), "s2": ("r2", "backbone"), "s8a": ("r8", "backbone"),
    "s8b": ("r8", "backbone"), "s3": ("r3", "backbone"), "s4": ("r4", "access"),
    "s5": ("r5", "access"), "s6": ("r6", "access"), "s7": ("r7", "access"),
}
LINKS = {  # label: (A, Z, spans)
    "BB0:POP>H1": ("POP", "H1", ["s1"]),
    "BB0:H1>H2": ("H1", "H2", ["s2", "s8a"]),
    "BB0:H2>POP": ("H2", "POP", ["s8b", "s3"]),
    "AC:V1": ("H1", "V1", ["s4", "s5"]),
    "AC:V2": ("H1", "V2", ["s4", "s6"]),
    "AC:V3": ("H2", "V3", ["s7"]),
}


@dataclass
class Mini:
    """Ids of the hand-built plan's rows, by their labels above."""

    url: str
    plan_id: int = 0
    sites: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    spans: dict[str, int] = field(default_factory=dict)

    def link(self, label: str) -> str:
        """Stored name of a link label, e.g. ``AC:V1`` → ``P1:AC:V1``."""
        return f"P{self.plan_id}:{label}"

    def codes(self, site_ids) -> set[str]:
        by_id = {v: k for k, v in self.sites.items()}
        return {by_id[i] for i in site_ids}


def build_mini(engine: Engine, url: str) -> Mini:
    """Create the schema and store the plan drawn above."""
    from fonet.store import transaction, upgrade
    from fonet.store.models import (
        Area,
        Link,
        LinkSpan,
        Plan,
        PlanSite,
        RouteEdge,
        RouteNode,
        Site,
        Span,
    )

    upgrade(engine)
    mini = Mini(url)
    with transaction(engine) as s:
        for code, name in (("K1", "Kecamatan Satu"), ("K2", "Kecamatan Dua")):
            s.add(Area(level="kecamatan", code=code, name=name, geometry_wkb=b""))
        nodes = {}
        for k, code in enumerate(NODES):
            site = None
            if code in SITES:
                kind, _, _, kec = SITES[code]
                site = Site(code=code, name=f"Site {code}", kind=kind, lon=112.4 + k / 100,
                            lat=-7.5, kecamatan_code=kec, location_source="surveyed")
                s.add(site)
                s.flush()
                mini.sites[code] = site.id
            node = RouteNode(kind="site" if site else "corridor", lon=112.4 + k / 100,
                             lat=-7.5, site_id=site.id if site else None)
            s.add(node)
            s.flush()
            nodes[code] = node.id
        for label, (u, v, length) in EDGES.items():
            edge = RouteEdge(u=nodes[u], v=nodes[v], kind="corridor", length_m=length,
                             install_methods="aerial", geometry_wkb=b"", ref=label)
            s.add(edge)
            s.flush()
            mini.edges[label] = edge.id
        plan = Plan(name="mini")
        s.add(plan)
        s.flush()
        mini.plan_id = plan.id
        for label, (edge, role) in SPANS.items():
            u, v, length = EDGES[edge]
            span = Span(plan_id=plan.id, route_edge_id=mini.edges[edge], a_node_id=nodes[u],
                        z_node_id=nodes[v], length_m=length, cores=12, install_method="aerial",
                        role=role, attrs={"label": label})
            s.add(span)
            s.flush()
            mini.spans[label] = span.id
        for label, (a, z, spans) in LINKS.items():
            link = Link(name=mini.link(label), plan_id=plan.id, a_site_id=mini.sites[a],
                        z_site_id=mini.sites[z])
            s.add(link)
            s.flush()
            s.add_all(LinkSpan(link_id=link.id, seq=k, span_id=mini.spans[sp])
                      for k, sp in enumerate(spans))
        for code, (_, role, hub, kec) in SITES.items():
            s.add(PlanSite(plan_id=plan.id, site_id=mini.sites[code], role=role,
                           hub_site_id=mini.sites[hub] if hub else None, kecamatan_code=kec))
    return mini


def mini_store(tmp_path: Path) -> tuple[Engine, Mini]:
    """A fresh SQLite store holding the hand-built plan."""
    from fonet.store import make_engine

    url = f"sqlite:///{tmp_path / 'mini.db'}"
    engine = make_engine(url)
    return engine, build_mini(engine, url)


class Net:
    """Devices on the hand-built plan, one per site, polled without SNMP.

    Each link end is a port named ``to-<peer>`` on the device of its site; a cut span takes
    down both ports of every link riding it. Polls go through the real store path:
    ``record_poll``, ``update_link_states``, then the alarms.
    """

    def __init__(self, engine: Engine, mini: Mini) -> None:
        from fonet.devices import add_device, attach_link
        from fonet.store import transaction

        self.engine, self.mini = engine, mini
        self.ports: dict[str, list[str]] = {code: [] for code in SITES}
        self.ends: dict[str, tuple[str, str]] = {}
        for label, (a, z, _) in LINKS.items():
            self.ports[a].append(f"to-{z}")
            self.ports[z].append(f"to-{a}")
            self.ends[label] = (f"dev-{a}:to-{z}", f"dev-{z}:to-{a}")
        self.down_ports: set[str] = set()
        self.rx: dict[str, float] = {}
        self.errors: dict[str, int] = {}
        self.unreachable: set[str] = set()
        with transaction(engine) as s:
            for code in SITES:
                add_device(s, f"dev-{code}", "127.0.0.1", site_code=code, community="public")
        from fonet.monitoring import record_poll

        with transaction(engine) as s:
            for p in self.device_polls(T0):
                record_poll(s, p)
            for label, (a, z) in self.ends.items():
                attach_link(s, mini.link(label), a, z, create=False)

    def cut(self, *spans: str) -> None:
        """Take down both ends of every link riding the spans."""
        for label, (_, _, riding) in LINKS.items():
            if set(riding) & set(spans):
                self.down_ports.update(self.ends[label])

    def repair(self) -> None:
        self.down_ports.clear()

    def device_polls(self, now):
        from fonet.telemetry import DevicePoll, InterfaceSample

        polls = []
        for code, ports in self.ports.items():
            name = f"dev-{code}"
            if name in self.unreachable:
                polls.append(DevicePoll(name, False, "timeout", 1.0, now))
                continue
            ifaces = tuple(InterfaceSample(
                if_index=k + 1, name=port, admin="up",
                oper="down" if f"{name}:{port}" in self.down_ports else "up",
                in_octets=0, out_octets=0, in_errors=self.errors.get(f"{name}:{port}", 0),
                out_errors=0, rx_dbm=self.rx.get(f"{name}:{port}", -6.0))
                for k, port in enumerate(ports))
            uptime_cs = 100 + int((now - T0).total_seconds() * 100)
            polls.append(DevicePoll(name, True, None, 0.01, now, sys_uptime_cs=uptime_cs,
                                    interfaces=ifaces))
        return polls

    def poll(self, now, **alarm_options):
        """Poll every device at ``now``, store it, update links and alarms."""
        from fonet.monitoring import record_poll, update_link_states
        from fonet.noc.alarms import AlarmSettings, process_changes
        from fonet.store import transaction

        with transaction(self.engine) as s:
            for p in self.device_polls(now):
                record_poll(s, p)
            changes = update_link_states(s, interval_s=60, now=now)
            out = process_changes(s, changes, now=now,
                                  settings=AlarmSettings(**alarm_options))
        return changes, out
