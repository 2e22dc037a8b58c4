"""Benchmark of ``fonet plan`` on generated road graphs of the regency's size.

A real OpenStreetMap road graph of Kabupaten Mojokerto has tens of thousands of junctions.
This script generates road-like graphs of 15 k, 50 k and 100 k nodes over the regency (a
jittered grid clipped to the regency plus 3 km, with a share of its street links missing so
that blocks, dead ends and detours occur, lengths measured geodesically), loads each into a
copy of the regency store (all 322 offices joined to it), times ``run_plan`` and checks the
access trees searched on each kecamatan's part of the graph (plus a margin) against trees
searched on the whole graph with the same terminals.

Usage::

    .venv/bin/python benchmarks/plan_roads.py                 # 15k 50k 100k
    .venv/bin/python benchmarks/plan_roads.py --nodes 15000 --keep /tmp/roads

Baseline (issue 14, before): 1.7 s on the 2.1 k-node corridor graph, 39 s on 14.6 k nodes,
149 s on 54.7 k nodes. Goal: under 10 s at 50 k nodes on two cores, access trees within 1 %
of the whole-graph result. ``plan s`` is wall-clock time, ``cpu s`` the CPU time of the
planning process (the machine is shared: wall time varies with its load). ``worst tree`` and
``all trees`` compare the plan's access trees with whole-graph trees; ``spread`` is how far two
whole-graph searches of one tree (seeds 0 and 1) can differ, the heuristic's own resolution;
``inside`` is the share of whole-graph trees lying wholly inside the part the planner searched.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BASELINE = {15_000: 39.0, 50_000: 149.0}
"""Seconds of the plan before this work on road graphs of about this many nodes (issue 14)."""


def generate(n_nodes: int, boundary, seed: int = 0):  # noqa: ANN001, ANN201
    """Road-like nodes and edges over ``boundary`` (lon/lat), about ``n_nodes`` nodes."""
    import shapely
    from shapely.geometry import LineString, Polygon

    from fonet.geo import to_lonlat, to_metric
    from fonet.routes import EdgeRecord, NodeRecord

    rnd = random.Random(seed)
    filled = shapely.unary_union([Polygon(p.exterior)
                                  for p in getattr(boundary, "geoms", [boundary])])
    area = to_metric(filled).buffer(3000)
    minx, miny, maxx, maxy = area.bounds
    share = area.area / ((maxx - minx) * (maxy - miny))
    step = math.sqrt(area.area / n_nodes)
    nx_, ny_ = int((maxx - minx) / step) + 1, int((maxy - miny) / step) + 1
    shapely.prepare(area)
    keep = {}
    xs, ys = [], []
    for i in range(nx_):
        for j in range(ny_):
            x = minx + i * step + rnd.uniform(-0.3, 0.3) * step
            y = miny + j * step + rnd.uniform(-0.3, 0.3) * step
            if area.contains(shapely.Point(x, y)):
                keep[i, j] = len(xs)
                xs.append(x)
                ys.append(y)
    _ = share
    pts = [to_lonlat(shapely.Point(x, y)) for x, y in zip(xs, ys, strict=True)]
    nodes = [NodeRecord(key=k, kind="road", lon=p.x, lat=p.y, ref=f"gen{k}")
             for k, p in enumerate(pts)]
    edges = []
    for (i, j), k in keep.items():
        for di, dj in ((1, 0), (0, 1)):
            other = keep.get((i + di, j + dj))
            if other is None or rnd.random() < 0.22:  # missing links: blocks and dead ends
                continue
            a, b = pts[k], pts[other]
            cls = "primary" if (i % 25 == 0 or j % 25 == 0) else "residential"
            edges.append(EdgeRecord(u=k, v=other, kind="road",
                                    geometry=LineString([(a.x, a.y), (b.x, b.y)]),
                                    road_class=cls))
    return nodes, edges


def build_store(src: Path, dst: Path, n_nodes: int) -> dict:
    """Copy the regency store and replace its corridor graph by a generated road graph."""
    from sqlalchemy import select

    from fonet.geo import from_wkb
    from fonet.routes import replace_route_graph
    from fonet.store import make_engine, transaction
    from fonet.store import models as m

    shutil.copy(src, dst)
    eng = make_engine(f"sqlite:///{dst}")
    with transaction(eng) as s:
        boundary = from_wkb(s.scalar(select(m.Area).where(m.Area.level == "regency"))
                            .geometry_wkb)
    nodes, edges = generate(n_nodes, boundary)
    with transaction(eng) as s:
        out = replace_route_graph(s, nodes, edges)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return out


def check_trees(eng, result) -> dict[str, float]:  # noqa: ANN001
    """Compare the plan's access trees (searched on parts of the graph) with whole-graph trees.

    Each tree's terminals are its hub and the sites that hub serves (strays from outside every
    kecamatan included), in the order the planner gives them. Returns the worst and total
    relative excess of the plan's trees over whole-graph trees (seed 0); ``spread``, the
    largest difference between two whole-graph searches (seeds 0 and 1) of one tree — the
    heuristic's own resolution; and ``inside``, the share of whole-graph trees that lie wholly
    inside the part of the graph the planner cut out for them.
    """
    from sqlalchemy import select

    from fonet.graph import route_graph
    from fonet.planning.access import NodeIndex, region
    from fonet.planning.brownfield import mark_built
    from fonet.planning.network import priced_graph
    from fonet.planning.profile import load_profile
    from fonet.planning.steiner import steiner_tree
    from fonet.store import models as m
    from fonet.store import reader

    with reader(eng) as s:
        g = route_graph(s)
        mark_built(s, g)
        spans = list(s.scalars(select(m.Span).where(m.Span.plan_id == result.plan_id,
                                                      m.Span.role == "access")))
        sites = list(s.scalars(select(m.PlanSite).where(m.PlanSite.plan_id == result.plan_id)))
        node_of = {n.site_id: n.id for n in s.scalars(select(m.RouteNode)
                                                      .where(m.RouteNode.site_id.is_not(None)))}
        code_id = {site.code: site.id for site in s.scalars(select(m.Site))}
    priced_graph(g, load_profile())
    by_kec: dict[str, float] = {}
    for sp in spans:
        by_kec[sp.attrs["kecamatan_code"]] = by_kec.get(sp.attrs["kecamatan_code"], 0.0) + \
            g.edges[sp.a_node_id, sp.z_node_id]["cost"]
    kec_of_hub = {code_id[h.site]: h.kecamatan for h in result.hubs}
    served: dict[str, set[int]] = {}
    for ps in sites:  # each tree's own terminals: the sites its hub serves (strays included)
        if ps.role == "access" and ps.connected and ps.hub_site_id in kec_of_hub:
            served.setdefault(kec_of_hub[ps.hub_site_id], set()).add(node_of[ps.site_id])
    index = NodeIndex(g)
    worst = spread = 0.0
    tot_regional = tot_whole = 0.0
    inside = 0
    for kec, nodes in served.items():
        hub = node_of[next(i for i, k in kec_of_hub.items() if k == kec)]
        terms = [hub, *sorted(nodes - {hub})]
        whole = steiner_tree(g, terms, weight="cost")
        other = steiner_tree(g, terms, weight="cost", seed=1).graph["cost"]
        cost = whole.graph["cost"]
        regional = by_kec.get(kec, 0.0)
        tot_regional += regional
        tot_whole += cost
        inside += set(whole.nodes) <= set(region(g, index, terms).nodes)
        if cost > 0:
            worst = max(worst, regional / cost - 1)
            spread = max(spread, abs(other / cost - 1))
    return {"worst": worst, "total": (tot_regional / tot_whole - 1) if tot_whole else 0.0,
            "spread": spread, "inside": inside / len(served) if served else 1.0}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the parallel access trees)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, nargs="*", default=[15_000, 50_000, 100_000])
    ap.add_argument("--keep", type=Path, help="Keep the generated stores in this folder.")
    ap.add_argument("--no-check", action="store_true", help="Skip the whole-graph trees.")
    args = ap.parse_args()

    from fonet.config import Settings
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile
    from fonet.store import make_engine, transaction
    from gis.load import init_store

    work = args.keep or Path(tempfile.mkdtemp(prefix="fonet-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "regency.db"
    if not base.exists():
        beng = make_engine(f"sqlite:///{base}")
        init_store(beng, Settings().regency_dir)
        with beng.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        beng.dispose()
    print(f"{'nodes':>8} {'edges':>8} {'build s':>8} {'plan s':>8} {'cpu s':>7} "
          f"{'baseline s':>10} {'worst tree':>10} {'all trees':>9} {'spread':>8} {'inside':>7} "
          f"{'route km':>9}")
    for n in args.nodes:
        db = work / f"roads-{n}.db"
        t0 = time.perf_counter()
        if not db.exists():
            counts = build_store(base, db, n)
        else:
            counts = {}
        build_s = time.perf_counter() - t0
        eng = make_engine(f"sqlite:///{db}")
        with transaction(eng) as s:
            from sqlalchemy import func, select

            from fonet.store import models as m

            nodes = s.scalar(select(func.count()).select_from(m.RouteNode))
            edges = s.scalar(select(func.count()).select_from(m.RouteEdge))
        t0, c0 = time.perf_counter(), _cpu()
        with transaction(eng) as s:
            r = run_plan(s, load_profile(), name=f"bench-{time.time_ns()}")
        plan_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
        nan = float("nan")
        check = {"worst": nan, "total": nan, "spread": nan, "inside": nan}
        if not args.no_check:
            check = check_trees(eng, r)
        base_s = BASELINE.get(n)
        print(f"{nodes:>8} {edges:>8} {build_s:>8.1f} {plan_s:>8.1f} {cpu_s:>7.1f} "
              f"{(f'{base_s:.0f}' if base_s else '-'):>10} {check['worst']:>9.2%} "
              f"{check['total']:>9.2%} {check['spread']:>8.2%} {check['inside']:>7.0%} "
              f"{r.route_km:>9.1f}", flush=True)
        _ = counts
        eng.dispose()
        print(f"{'':>8} load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
              flush=True)
        if not args.keep:
            db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
