"""OpenStreetMap roads as a route graph for fibre cables.

:func:`read_roads` reads an ``.osm.pbf`` (pyrosm) or ``.osm`` XML (osmnx)
file, keeps the road classes a cable can follow, clips them to a buffered
area and merges chains of segments into junction-to-junction edges::

    from gis.roads import read_roads

    roads = read_roads("jawa-timur.osm.pbf", clip=regency_polygon)
    roads.edges  # u, v, length_m, highway, name, osm_ids, geometry
    roads.nodes  # node_id, geometry

Road classes
------------
:data:`FIBRE_HIGHWAY_CLASSES` holds the ``highway`` values kept by default:
the motor roads ``motorway`` to ``residential`` with their ``*_link`` ramps,
``unclassified``, ``living_street``, ``service`` and ``track``. Left out:
``footway``, ``path``, ``steps``, ``cycleway``, ``pedestrian``,
``bridleway``, ``corridor`` (no duct or pole line is built along them, and
footpaths would add many short, parallel alternatives to real roads) and
non-roads (``construction``, ``proposed``, ``platform``, ...). In Indonesian
villages many alleys (*gang*) are mapped as ``path`` or ``footway``; pass
``highway_classes=FIBRE_HIGHWAY_CLASSES | {"path", "footway"}`` to plan drop
cables along them. Ways tagged ``area=yes`` are dropped (their outline is not
a road centre line). Access tags are ignored: the right to lay a cable is not
the right to drive.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.graph_simplify import HIGHWAY_RANK, clip_segments, simplify_segments
from gis.osm_read import read_pbf_segments, read_xml_segments

__all__ = [
    "DEFAULT_METRIC_CRS",
    "FIBRE_HIGHWAY_CLASSES",
    "RoadGraph",
    "buffer_area",
    "read_roads",
    "utm_crs_for",
]

#: ``highway`` classes a cable route may follow by default (see the module notes).
FIBRE_HIGHWAY_CLASSES: frozenset[str] = frozenset(HIGHWAY_RANK)

#: Metric CRS for buffers: UTM zone 49S, which covers Kabupaten Mojokerto.
DEFAULT_METRIC_CRS = "EPSG:32749"

_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_XML_SUFFIXES = (".osm",)
#: Extra margin (degrees) around the clip area when pyrosm pre-selects ways by
#: bounding box, so that long segments crossing the clip boundary are read.
_BBOX_MARGIN_DEG = 0.05
#: How far (degrees) a clip area may reach beyond the area of use of ``metric_crs``.
_CRS_SLACK_DEG = 1.0


@dataclass(frozen=True)
class RoadGraph:
    """Roads as an undirected junction-to-junction graph.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        ``node_id`` (int64) and ``geometry`` (Point), EPSG:4326. Ids are OSM
        node ids; points where the clip cuts a road get negative ids.
    edges : geopandas.GeoDataFrame
        ``u``, ``v`` (node ids), ``length_m`` (geodesic, WGS84), ``highway``,
        ``name`` (distinct names of the merged ways joined by ``"; "``, or
        None), ``osm_ids`` (comma-separated ids of the OSM ways forming the
        edge) and ``geometry`` (LineString from node ``u`` to node ``v``),
        EPSG:4326.
    source : pathlib.Path
        The file read.
    components : int
        Number of connected components of the graph.
    area : shapely geometry or None
        The buffered clip area (EPSG:4326) the roads were clipped to.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: Path
    components: int
    area: BaseGeometry | None = None

    @property
    def total_length_m(self) -> float:
        """Sum of the edge lengths in metres."""
        return float(self.edges["length_m"].sum())


def _valid_area(area: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """Repair an invalid (Multi)Polygon, keeping only the areas of what the repair gives."""
    valid = shapely.make_valid(area)
    if isinstance(valid, Polygon | MultiPolygon):
        return valid
    polygons = [p for part in getattr(valid, "geoms", [])
                for p in (part.geoms if isinstance(part, MultiPolygon) else [part])
                if isinstance(p, Polygon)]
    return MultiPolygon(polygons)


def read_roads(
    path: str | PathLike[str],
    *,
    clip: Polygon | MultiPolygon | None = None,
    buffer_m: float = 3000.0,
    metric_crs: str | int | pyproj.CRS | None = DEFAULT_METRIC_CRS,
    highway_classes: frozenset[str] | set[str] = FIBRE_HIGHWAY_CLASSES,
    progress: bool = False,
) -> RoadGraph:
    """Read OSM roads into a junction-to-junction graph.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.osm.pbf`` (or ``.pbf``) file, read with pyrosm, or a UTF-8
        ``.osm`` XML file, read with osmnx.
    clip : shapely.Polygon or shapely.MultiPolygon, optional
        Area of interest in EPSG:4326 (lon/lat), e.g. the regency outline.
        Holes are honoured: fill them first to keep the roads inside them.
        ``None`` keeps every road of the file.
    buffer_m : float, default 3000.0
        Distance in metres by which ``clip`` is widened before clipping, so
        that routes may leave the area briefly. Computed in ``metric_crs``.
    metric_crs : str, int, pyproj.CRS or None, default "EPSG:32749"
        Projected CRS in metres used for the buffer (UTM 49S suits
        Mojokerto). ``None`` picks the UTM zone of the clip's centroid,
        which suits data elsewhere (e.g. 35N for Helsinki). The clip must
        lie within the CRS's area of use (1 degree of slack).
    highway_classes : set of str, default FIBRE_HIGHWAY_CLASSES
        ``highway`` values to keep.
    progress : bool, default False
        Show pyrosm's progress bar on stderr while a large PBF is read.

    Returns
    -------
    RoadGraph
        Nodes (junctions, dead ends, class changes) and edges. Lengths are
        geodesic on the WGS84 ellipsoid, never planar degrees.

    Raises
    ------
    InputError
        If the file is missing, empty, of an unknown type, malformed, not
        OSM, or holds no roads of ``highway_classes`` (in the clip area).
    ValueError
        If ``clip`` is not a lon/lat (Multi)Polygon, ``buffer_m`` is
        negative, or ``clip`` lies outside the area of use of ``metric_crs``.

    Notes
    -----
    A node where exactly two segments of the same class meet is merged
    away; where the classes differ it stays, so each edge has one class.
    Segments shared by two ways are kept once under the higher class.
    Parallel edges between the same nodes differ in geometry and are all
    kept; zero-length self-loops are dropped.
    """
    source = Path(path)
    reader = _reader_for(source)
    area = None
    if clip is not None:
        area = buffer_area(clip, buffer_m, metric_crs=metric_crs)
    classes = frozenset(highway_classes)
    if not classes:
        raise ValueError("highway_classes is empty")

    if reader == "pbf":
        bbox = None
        if area is not None:
            bbox = box(*area.bounds).buffer(_BBOX_MARGIN_DEG, join_style="mitre")
        segments = read_pbf_segments(
            source, highway_classes=classes, bounding_box=bbox, progress=progress
        )
    else:
        segments = read_xml_segments(source, highway_classes=classes)
    if area is not None:
        segments = clip_segments(segments, area)
        if segments.table.empty:
            raise InputError(source, f"no ways with highway in {sorted(classes)} in the clip area")
    nodes, edges, components = simplify_segments(segments)
    return RoadGraph(nodes=nodes, edges=edges, source=source, components=components, area=area)


def buffer_area(
    clip: Polygon | MultiPolygon,
    buffer_m: float,
    *,
    metric_crs: str | int | pyproj.CRS | None = DEFAULT_METRIC_CRS,
) -> BaseGeometry:
    """Widen a lon/lat area by a distance in metres.

    Parameters
    ----------
    clip : shapely.Polygon or shapely.MultiPolygon
        Area in EPSG:4326.
    buffer_m : float
        Distance in metres, zero or more.
    metric_crs : str, int, pyproj.CRS or None, default "EPSG:32749"
        Projected CRS in metres for the buffer; ``None`` picks the UTM zone
        of the clip's centroid (:func:`utm_crs_for`).

    Returns
    -------
    shapely geometry
        The buffered area in EPSG:4326, its edges densified to 100 m before
        projecting back so that arcs keep their shape.

    Raises
    ------
    ValueError
        If ``clip`` is not a valid non-empty lon/lat (Multi)Polygon, if
        ``buffer_m`` is negative, or if ``clip`` lies outside the area of use
        of ``metric_crs``.
    """
    if not isinstance(clip, Polygon | MultiPolygon) or clip.is_empty:
        raise ValueError(f"clip must be a non-empty shapely (Multi)Polygon, not {clip!r:.80}")
    minx, miny, maxx, maxy = clip.bounds
    if not (-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0):
        raise ValueError(f"clip bounds {clip.bounds} are not lon/lat degrees (EPSG:4326)")
    if not clip.is_valid:
        clip = _valid_area(clip)
    if buffer_m < 0:
        raise ValueError(f"buffer_m must be zero or more, not {buffer_m}")
    crs = utm_crs_for(clip) if metric_crs is None else pyproj.CRS.from_user_input(metric_crs)
    _check_area_of_use(crs, clip)
    metric = gpd.GeoSeries([clip], crs="EPSG:4326").to_crs(crs)
    buffered = metric.buffer(buffer_m) if buffer_m > 0 else metric
    buffered = buffered.segmentize(100.0)
    area = buffered.to_crs("EPSG:4326").iloc[0]
    return area if area.is_valid else shapely.make_valid(area)


def utm_crs_for(geometry: BaseGeometry) -> pyproj.CRS:
    """Return the WGS84 UTM CRS of the zone holding a lon/lat geometry's centroid.

    Parameters
    ----------
    geometry : shapely geometry
        Geometry in EPSG:4326.

    Returns
    -------
    pyproj.CRS
        ``EPSG:326NN`` north of the equator, ``EPSG:327NN`` south of it.
    """
    centroid = geometry.centroid
    zone = min(int((centroid.x + 180.0) // 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if centroid.y >= 0 else 32700) + zone)


def _check_area_of_use(crs: pyproj.CRS, clip: BaseGeometry) -> None:
    if not crs.is_projected:
        raise ValueError(f"metric_crs {crs.to_string()} is not a projected CRS in metres")
    use = crs.area_of_use
    if use is None:
        return
    minx, miny, maxx, maxy = clip.bounds
    s = _CRS_SLACK_DEG
    if minx < use.west - s or maxx > use.east + s or miny < use.south - s or maxy > use.north + s:
        raise ValueError(
            f"clip {tuple(round(b, 3) for b in clip.bounds)} lies outside the area of use of "
            f"{crs.to_string()} ({use.name}); pass metric_crs=None to use the UTM zone of the "
            "clip, or a suitable projected CRS"
        )


def _reader_for(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        kind = "pbf"
    elif name.endswith(_XML_SUFFIXES):
        kind = "xml"
    else:
        accepted = ", ".join(_PBF_SUFFIXES + _XML_SUFFIXES)
        raise InputError(path, f"unknown file type (expected one of {accepted})")
    if not path.exists():
        raise InputError(path, "no such file")
    if not path.is_file():
        raise InputError(path, "is not a regular file")
    if path.stat().st_size == 0:
        raise InputError(path, "is empty")
    return kind
