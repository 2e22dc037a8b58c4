"""Loading files into the store, each import in one transaction (whole or not at all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, select

from fonet.errors import InputError, StateError
from fonet.inventory import add_sites, load_regency
from fonet.routes import add_route_graph, attach_sites, replace_route_graph
from fonet.store import models as m
from fonet.store import require_current, transaction, upgrade
from gis.corridors import corridor_graph
from gis.regency import read_regency
from gis.sites import read_sites

if TYPE_CHECKING:
    from shapely.geometry import Point


def _xy(point: Point) -> tuple[float, float]:
    return point.x, point.y


def is_initialised(engine: Engine) -> bool:
    """Tell whether the store already holds a regency."""
    from sqlalchemy import inspect

    if "area" not in inspect(engine).get_table_names():
        return False
    with transaction(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(m.Area)))


def _store_exists(engine: Engine) -> bool:
    """Tell whether the store exists, without creating an SQLite file that does not."""
    if engine.url.get_backend_name() == "sqlite":
        db = engine.url.database
        return db is not None and (db == ":memory:" or Path(db).expanduser().exists())
    return True


def boundary_code(data_dir: Path) -> str | None:
    """Return the regency code of a data directory's boundary file, or None if unreadable."""
    import json

    from gis.regency import data_files

    try:
        path = Path(data_dir) / data_files(Path(data_dir))["boundary"]
        doc = json.loads(path.read_text(encoding="utf-8"))
        return str(doc["features"][0]["properties"]["kode"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def regency_codes(engine: Engine) -> list[str]:
    """Return the codes of the regencies the store holds, in code order."""
    from sqlalchemy import inspect

    if not _store_exists(engine) or "area" not in inspect(engine).get_table_names():
        return []
    with transaction(engine) as s:
        return list(s.scalars(select(m.Area.code).where(m.Area.level == "regency")
                              .order_by(m.Area.code)))


def init_store(engine: Engine, data_dir: Path | str | Sequence[Path | str], *,
               force: bool = False,
               progress: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Create or upgrade the store's schema and load regencies with their corridor graphs.

    One store holds several regencies, each keyed by its code: loading a regency the store
    does not hold adds it beside the others; one it holds already is left as it is (unless
    ``force``).

    Parameters
    ----------
    engine
        The store.
    data_dir
        A regency data directory, or several (a province).
    force
        Rebuild the store: every regency's sites, route graph and plans are dropped (devices
        are kept) and the given regencies loaded.
    progress
        Called with ``(regency code, counts)`` after each regency is loaded.

    Returns
    -------
    dict
        ``status`` (``created``, ``rebuilt``, ``added`` or ``unchanged``) and counts (summed
        over the regencies loaded), with ``regencies``: the codes loaded.
    """
    dirs = [Path(data_dir)] if isinstance(data_dir, str | Path) else [Path(d) for d in data_dir]
    held = set(regency_codes(engine)) if not force else set()
    if held and all(boundary_code(d) in held for d in dirs):
        upgrade(engine)
        return {"status": "unchanged"}
    records = [read_regency(d) for d in dirs]  # every file checked before the store is touched
    codes = [r.boundary.code for r in records]
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        raise InputError(str(dirs[codes.index(min(dup))]), f"regency {min(dup)} is given twice")
    upgrade(engine)
    totals: dict[str, Any] = {}
    loaded = []
    with transaction(engine) as s:
        rebuilt = force and bool(s.scalar(select(func.count()).select_from(m.Area)))
        if rebuilt:
            for table in (m.ProvincePlan, m.ProvinceScenario, m.LinkSpan, m.Link, m.Span, m.Plan,
                          m.RouteEdge, m.RouteNode, m.Site, m.Area):
                s.execute(delete(table))
        added = bool(s.scalar(select(func.count()).select_from(m.Area)))
        for rec in records:
            if rec.boundary.code in held:
                continue
            villages = [(v.code, v.geometry,
                         _xy(v.inner_point or v.geometry.representative_point()))
                        for v in rec.villages]
            nodes, edges = corridor_graph(villages)
            counts = load_regency(s, rec)
            counts.update(add_route_graph(s, nodes, edges))
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            loaded.append(rec.boundary.code)
            if progress is not None:
                progress(rec.boundary.code, counts)
    status = "rebuilt" if rebuilt else "added" if added else "created"
    return {"status": status, **totals, "regencies": loaded}


def import_sites(engine: Engine, path: Path | str) -> dict[str, Any]:
    """Add the sites of a CSV or GeoJSON file and join them to the route graph."""
    require_current(engine)
    records = read_sites(path)
    with transaction(engine) as s:
        if not s.scalar(select(func.count()).select_from(m.RouteNode)):
            raise StateError("the store has no route graph: run `fonet init` first")
        rows = add_sites(s, records, str(path))
        attach_sites(s, rows)
        by_kind: dict[str, int] = {}
        for r in rows:
            by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        outside = [r.code for r in rows if r.village_code is None]
    return {"imported": len(rows), "by_kind": by_kind, "outside_villages": outside}


def import_roads(engine: Engine, path: Path | str, *, buffer_m: float = 3000.0,
                 progress: bool = False) -> dict[str, Any]:
    """Replace the route graph with the roads of an OpenStreetMap file and re-join all sites.

    The roads are clipped to the regency's outer boundary (Kota Mojokerto included) plus
    ``buffer_m``. Refused while plans ride the current graph.
    """
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    from fonet.errors import InputError
    from fonet.geo import from_wkb
    from fonet.routes import EdgeRecord, NodeRecord
    from gis.roads import read_roads

    require_current(engine)
    with transaction(engine) as s:
        boundary = s.scalar(select(m.Area).where(m.Area.level == "regency"))
        if boundary is None:
            raise StateError("the store holds no regency: run `fonet init` first")
        if s.scalar(select(func.count()).select_from(m.Span)):
            raise StateError("plans ride the current route graph; delete them before "
                             "importing roads")
        geom = from_wkb(boundary.geometry_wkb)
    filled = shapely.unary_union([Polygon(p.exterior) for p in getattr(geom, "geoms", [geom])])
    if not isinstance(filled, Polygon | MultiPolygon):
        raise StateError(f"the stored regency boundary is a {filled.geom_type}, not an area")
    roads = read_roads(path, clip=filled, buffer_m=buffer_m, progress=progress)
    if roads.edges.empty:
        raise InputError(str(path), "no roads within the regency (plus "
                                    f"{buffer_m / 1000:g} km) in this file")
    nodes = [NodeRecord(key=int(r.node_id), kind="road", lon=r.geometry.x, lat=r.geometry.y,
                        ref=str(r.node_id)) for r in roads.nodes.itertuples()]
    edges = [EdgeRecord(u=int(r.u), v=int(r.v), kind="road", geometry=r.geometry,
                        length_m=float(r.length_m), road_class=r.highway,
                        name=r.name if isinstance(r.name, str) else None,
                        ref=f"osm way {r.osm_ids}") for r in roads.edges.itertuples()]
    with transaction(engine) as s:
        counts = replace_route_graph(s, nodes, edges)
    return {"source": str(path), "road_km": round(float(roads.edges.length_m.sum()) / 1000, 3),
            "components": roads.components, **counts}


def import_network(engine: Engine, path: Path | str, *, tolerance_m: float = 30.0
                   ) -> dict[str, Any]:
    """Import an as-built network file in one transaction (see :mod:`fonet.asbuilt`)."""
    from fonet.asbuilt import import_network as store_network
    from gis.asbuilt import read_asbuilt

    records = read_asbuilt(path)  # the whole file checked before the store is touched
    require_current(engine)
    with transaction(engine) as s:
        return store_network(s, records, str(path), tolerance_m=tolerance_m)
