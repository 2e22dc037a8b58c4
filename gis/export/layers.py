"""Every layer of a stored plan as a GeoDataFrame in EPSG:4326, read from the store tables.

A village's coverage status (``built``, ``planned`` or ``not_covered``) is decided once, by
:func:`fonet.coverage.plan_coverage`; the layers carry it as it is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point
from sqlalchemy import Engine, func, select

from fonet.coverage import PlanCoverage, plan_coverage
from fonet.errors import NotFoundError, StateError
from fonet.planning.result import PlanResult
from fonet.store import reader
from fonet.store.models import Area, Plan, PlanSite, RouteEdge, Site, Span

CRS = "EPSG:4326"
LAYER_ORDER = ("boundary", "kecamatan", "villages", "sites", "route_edges", "spans", "hubs",
               "rings")


@dataclass
class PlanLayers:
    """A stored plan's layers and the facts a reader needs about it."""

    plan_id: int
    name: str
    created_at: datetime | None
    summary: PlanResult
    coverage: PlanCoverage
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    phases: list[int] = field(default_factory=list)
    edge_kinds: set[str] = field(default_factory=set)


def resolve_plan_id(engine: Engine, plan_id: int | None) -> int:
    """Return ``plan_id`` if that plan exists, or the newest plan's id when it is ``None``.

    Raises
    ------
    NotFoundError
        No plan has that id.
    StateError
        ``plan_id`` is ``None`` and the store holds no plan.
    """
    with reader(engine) as s:
        if plan_id is None:
            newest = s.scalar(select(func.max(Plan.id)))
            if newest is None:
                raise StateError(f"the store at {engine.url!r} holds no plan: run `fonet plan` "
                                 "first")
            return int(newest)
        if s.get(Plan, plan_id) is None:
            n, newest = s.execute(select(func.count(Plan.id), func.max(Plan.id))).one()
            held = f"{n} plan{'s' if n != 1 else ''}, the newest is {newest}" if n else "no plan"
            raise NotFoundError(f"--plan {plan_id}: no such plan (the store holds {held})")
        return plan_id


def _gdf(rows: list[dict[str, Any]], geoms: list[Any], columns: list[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


@dataclass
class _Rows:
    """The store rows one plan's layers are built from."""

    areas: list[Area]
    sites: dict[int, Site]
    psites: dict[int, PlanSite]
    spans: list[Span]
    edges: dict[int, RouteEdge]

    @property
    def kec_name(self) -> dict[str, str]:
        """Kecamatan names by code."""
        return {a.code: a.name for a in self.areas if a.level == "kecamatan"}


def load_layers(engine: Engine, plan_id: int | None = None) -> PlanLayers:
    """Read a plan and the regency from the store and build every export layer.

    Parameters
    ----------
    engine
        The store.
    plan_id
        The plan; the newest when ``None``.

    Returns
    -------
    PlanLayers
        Layers ``boundary``, ``kecamatan``, ``villages``, ``sites``, ``route_edges``,
        ``spans``, ``hubs`` and ``rings``, all in EPSG:4326.
    """
    plan_id = resolve_plan_id(engine, plan_id)
    with reader(engine) as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        spans = s.scalars(select(Span).where(Span.plan_id == plan_id).order_by(Span.id)).all()
        edge_ids = sorted({sp.route_edge_id for sp in spans})
        edges = {}
        for chunk in range(0, len(edge_ids), 500):
            ids = edge_ids[chunk:chunk + 500]
            edges.update({e.id: e for e in s.scalars(select(RouteEdge)
                                                     .where(RouteEdge.id.in_(ids)))})
        rows = _Rows(
            areas=list(s.scalars(select(Area).order_by(Area.code))),
            sites={x.id: x for x in s.scalars(select(Site).order_by(Site.id))},
            psites={p.site_id: p for p in
                    s.scalars(select(PlanSite).where(PlanSite.plan_id == plan_id))},
            spans=list(spans), edges=edges)
        out = PlanLayers(plan_id, plan.name, plan.created_at, PlanResult.of_plan(plan.summary),
                         plan_coverage(s, plan_id))
    out.edge_kinds = {e.kind for e in edges.values()}
    out.phases = sorted({sp.phase for sp in spans if sp.phase is not None})
    regency = [a for a in rows.areas if a.level == "regency"]
    out.layers["boundary"] = _gdf(
        [{"code": a.code, "name": a.name, "area_km2": a.area_km2} for a in regency],
        [shapely.from_wkb(a.geometry_wkb) for a in regency], ["code", "name", "area_km2"])
    out.layers["villages"] = _villages_layer(rows, out.coverage)
    out.layers["kecamatan"] = _kecamatan_layer(rows, out.summary, out.coverage)
    out.layers["sites"] = _sites_layer(rows, out.coverage)
    out.layers["hubs"] = _hubs_layer(rows, out.summary)
    out.layers.update(_span_layers(rows, out.summary))
    out.layers = {k: out.layers[k] for k in LAYER_ORDER}
    return out


def _villages_layer(rows: _Rows, coverage: PlanCoverage) -> gpd.GeoDataFrame:
    """Village polygons with their coverage status, hub, path and loss."""
    kec_name = rows.kec_name
    vcols = ["code", "code_bps", "name", "village_type", "kecamatan_code", "kecamatan",
             "area_km2", "status", "office_code", "hub_code", "hub_name", "path_m",
             "path_to_pop_m", "loss_1310_db", "loss_1550_db", "loss_to_pop_db", "budget_db",
             "over_budget", "phase"]
    vrows, vgeoms = [], []
    for a in (a for a in rows.areas if a.level == "village"):
        oid = coverage.office_of.get(a.code)
        office = rows.sites.get(oid) if oid is not None else None
        ps = rows.psites.get(office.id) if office else None
        hub = rows.sites.get(ps.hub_site_id) if ps and ps.hub_site_id else (
            office if ps and ps.role in ("hub", "pop") else None)
        vrows.append({
            "code": a.code, "code_bps": a.code_bps, "name": a.name,
            "village_type": a.village_type, "kecamatan_code": a.parent_code,
            "kecamatan": kec_name.get(a.parent_code or ""), "area_km2": a.area_km2,
            "status": coverage.villages[a.code].value,
            "office_code": office.code if office else None,
            "hub_code": hub.code if hub else None, "hub_name": hub.name if hub else None,
            "path_m": ps.path_m if ps else None,
            "path_to_pop_m": ps.path_to_pop_m if ps else None,
            "loss_1310_db": ps.loss_1310_db if ps else None,
            "loss_1550_db": ps.loss_1550_db if ps else None,
            "loss_to_pop_db": ps.loss_to_pop_db if ps else None,
            "budget_db": (ps.attrs or {}).get("budget_db") if ps else None,
            "over_budget": bool(ps.over_budget) if ps else False,
            "phase": ps.phase if ps else None})
        vgeoms.append(shapely.from_wkb(a.geometry_wkb))
    villages = _gdf(vrows, vgeoms, vcols)
    villages["phase"] = villages["phase"].astype("Int32")
    return villages


def _kecamatan_layer(rows: _Rows, summary: PlanResult, coverage: PlanCoverage
                     ) -> gpd.GeoDataFrame:
    """Kecamatan polygons with villages by status, hub, cable and cost."""
    by_code = {x.code: x for x in rows.sites.values()}
    kec_areas = [a for a in rows.areas if a.level == "kecamatan"]
    krows = []
    for a in kec_areas:
        fig = summary.per_kecamatan.get(a.code)
        hub = by_code.get(fig.hub) if fig else None
        n = coverage.per_kecamatan.get(a.code)
        krows.append({
            "code": a.code, "code_bps": a.code_bps, "name": a.name, "area_km2": a.area_km2,
            "villages": n.villages if n else 0, "villages_built": n.built if n else 0,
            "villages_planned": n.planned if n else 0,
            "villages_not_covered": n.not_covered if n else 0,
            "coverage_pct": n.coverage_pct if n else 0.0,
            "hub_code": hub.code if hub else None, "hub_name": hub.name if hub else None,
            "sites_served": fig.sites if fig else None,
            "cable_km": fig.cable_km_total if fig else 0.0,
            "cost_idr": fig.cost_idr if fig else None})
    return _gdf(krows, [shapely.from_wkb(a.geometry_wkb) for a in kec_areas],
                list(krows[0]) if krows else ["code"])


def _sites_layer(rows: _Rows, coverage: PlanCoverage) -> gpd.GeoDataFrame:
    """Every site with its role in the plan, status, hub, path and loss."""
    scols = ["code", "name", "kind", "village_code", "kecamatan_code", "location_source",
             "snap_m", "plan_role", "plan_kecamatan_code", "status", "hub_code", "path_m",
             "loss_1310_db", "loss_1550_db", "transceiver", "budget_db", "over_budget", "phase"]
    srows, sgeoms = [], []
    for sid, x in rows.sites.items():
        ps = rows.psites.get(sid)
        hub = rows.sites.get(ps.hub_site_id) if ps and ps.hub_site_id else None
        srows.append({
            "code": x.code, "name": x.name, "kind": x.kind, "village_code": x.village_code,
            "kecamatan_code": x.kecamatan_code, "location_source": x.location_source,
            "snap_m": x.snap_m, "plan_role": ps.role if ps else "none",
            "plan_kecamatan_code": ps.kecamatan_code if ps else None,
            "status": coverage.sites[sid].value, "hub_code": hub.code if hub else None,
            "path_m": ps.path_m if ps else None, "loss_1310_db": ps.loss_1310_db if ps else None,
            "loss_1550_db": ps.loss_1550_db if ps else None,
            "transceiver": (ps.attrs or {}).get("transceiver") if ps else None,
            "budget_db": (ps.attrs or {}).get("budget_db") if ps else None,
            "over_budget": bool(ps.over_budget) if ps else False,
            "phase": ps.phase if ps else None})
        sgeoms.append(Point(x.lon, x.lat))
    sites_gdf = _gdf(srows, sgeoms, scols)
    sites_gdf["phase"] = sites_gdf["phase"].astype("Int32")
    return sites_gdf


def _rings_of(summary: PlanResult) -> dict[str, set[int]]:
    """Rings each member site sits on, by site code."""
    ring_of: dict[str, set[int]] = defaultdict(set)
    for r in summary.rings:
        for code in r.members:
            ring_of[code].add(r.ring)
    return ring_of


def _hubs_layer(rows: _Rows, summary: PlanResult) -> gpd.GeoDataFrame:
    """Build the layer of the core POP and the hubs, the POP first."""
    kec_name = rows.kec_name
    ring_of = _rings_of(summary)
    hcols = ["code", "name", "role", "kecamatan_code", "kecamatan", "chosen_by", "rings"]
    chosen = {h.site: h.chosen_by for h in summary.hubs}
    if summary.pop:
        chosen[summary.pop.code] = summary.pop.chosen_by
    hrows, hgeoms = [], []
    for sid, ps in sorted(rows.psites.items(), key=lambda kv: (kv[1].role != "pop", kv[0])):
        if ps.role not in ("pop", "hub"):
            continue
        x = rows.sites[sid]
        hrows.append({
            "code": x.code, "name": x.name, "role": ps.role, "kecamatan_code": ps.kecamatan_code,
            "kecamatan": kec_name.get(ps.kecamatan_code or ""), "chosen_by": chosen.get(x.code),
            "rings": ",".join(str(r) for r in sorted(ring_of.get(x.code, ())))})
        hgeoms.append(Point(x.lon, x.lat))
    return _gdf(hrows, hgeoms, hcols)


def _span_layers(rows: _Rows, summary: PlanResult) -> dict[str, gpd.GeoDataFrame]:
    """Layers ``spans``, ``route_edges`` (those the plan uses) and ``rings``."""
    kec_name = rows.kec_name
    edge_geom = {i: shapely.from_wkb(e.geometry_wkb) for i, e in rows.edges.items()}
    pcols = ["span_id", "route_edge_id", "role", "category", "cores", "cable_size", "cables",
             "cores_needed", "install_method", "status", "phase", "length_m", "cost_idr",
             "ring", "kecamatan_code", "kecamatan", "sites_served"]
    prows, pgeoms = [], []
    edge_roles: dict[int, set[str]] = defaultdict(set)
    ring_parts: dict[int, list[Any]] = defaultdict(list)
    ring_figs: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sp in rows.spans:
        a = sp.attrs or {}
        kec = a.get("kecamatan_code")
        prows.append({
            "span_id": sp.id, "route_edge_id": sp.route_edge_id, "role": sp.role,
            "category": f"{sp.role}_{sp.phase}", "cores": sp.cores,
            "cable_size": a.get("cable_size"), "cables": a.get("cables"),
            "cores_needed": a.get("cores_needed"), "install_method": sp.install_method,
            "status": sp.status, "phase": sp.phase, "length_m": round(sp.length_m, 2),
            "cost_idr": round(sp.cost_idr or 0.0), "ring": a.get("ring"),
            "kecamatan_code": kec, "kecamatan": kec_name.get(kec or ""),
            "sites_served": len(a.get("site_ids") or [])})
        geom = edge_geom[sp.route_edge_id]
        pgeoms.append(geom)
        edge_roles[sp.route_edge_id].add(sp.role or "")
        if sp.role == "backbone" and a.get("ring") is not None:
            ring_parts[int(a["ring"])].append(geom)
            figs = ring_figs[int(a["ring"])]
            figs["length_m"] += sp.length_m
            figs["cost_idr"] += sp.cost_idr or 0.0
            figs["cores"] = max(figs["cores"], sp.cores)
            figs["phase"] = min(figs.get("phase", 99), sp.phase or 99)
    spans_gdf = _gdf(prows, pgeoms, pcols)
    for col in ("ring", "cable_size", "cables", "cores_needed", "phase"):
        spans_gdf[col] = spans_gdf[col].astype("Int32")

    ecols = ["route_edge_id", "kind", "road_class", "name", "install_methods", "length_m",
             "roles"]
    erows = [{"route_edge_id": i, "kind": e.kind, "road_class": e.road_class, "name": e.name,
              "install_methods": e.install_methods, "length_m": round(e.length_m, 2),
              "roles": ",".join(sorted(edge_roles[i]))} for i, e in sorted(rows.edges.items())]

    rcols = ["ring", "members", "hubs", "length_m", "km_summary", "cores", "phase", "cost_idr"]
    rrows, rgeoms = [], []
    for r in summary.rings:
        figs = ring_figs.get(r.ring, {})
        rrows.append({"ring": r.ring, "members": ",".join(r.members),
                      "hubs": max(len(r.members) - 1, 0),
                      "length_m": round(figs.get("length_m", 0.0), 1), "km_summary": r.km,
                      "cores": int(figs.get("cores", 0)),
                      "phase": int(figs["phase"]) if "phase" in figs else None,
                      "cost_idr": round(figs.get("cost_idr", 0.0))})
        rgeoms.append(shapely.line_merge(shapely.union_all(ring_parts.get(r.ring, []))))
    rings = _gdf(rrows, rgeoms, rcols)
    rings["phase"] = rings["phase"].astype("Int32")
    return {"spans": spans_gdf,
            "route_edges": _gdf(erows, [edge_geom[i] for i in sorted(rows.edges)], ecols),
            "rings": rings}
