"""Read OpenStreetMap road ways into straight node-to-node segments.

Both readers return the same :class:`Segments` table, so that clipping and
graph simplification (:mod:`gis.graph_simplify`) do not depend on the file
format:

- ``.osm.pbf`` files are read with pyrosm (``OSM.get_network`` with
  ``nodes=True``, which cuts every way into its node-to-node segments);
- ``.osm`` XML files are read with ``osmnx.graph_from_xml`` (unsimplified,
  every component kept), after a streaming check of the encoding and of the
  OSM structure that names the node or way at fault.
"""

from __future__ import annotations

import codecs
import math
import warnings
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse
from xml.sax import SAXException

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from fonet.errors import FonetError
from gis.errors import InputError

__all__ = ["Segments", "read_pbf_segments", "read_xml_segments"]

_CHUNK_BYTES = 1 << 20


@dataclass
class Segments:
    """Road ways as straight segments between consecutive OSM nodes.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per segment: ``u``, ``v`` (int64 node ids, in way order),
        ``way_id`` (int64), ``highway`` (str), ``name`` (str or None).
    nodes : pandas.DataFrame
        Node coordinates indexed by node id (int64): ``x`` (longitude) and
        ``y`` (latitude), WGS84 degrees.
    """

    table: pd.DataFrame
    nodes: pd.DataFrame



def _require(module: str, path: Path | str) -> None:
    """Fail clearly when the optional reader of an OSM format is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise FonetError(f"{path}: reading this file needs {module}, which is not installed: "
                         "pip install 'fonet[osm]'")

def read_pbf_segments(
    path: Path,
    *,
    highway_classes: Collection[str],
    bounding_box: BaseGeometry | None = None,
    progress: bool = False,
) -> Segments:
    """Read the road segments of an OSM PBF file with pyrosm.

    Parameters
    ----------
    path : pathlib.Path
        The ``.osm.pbf`` file.
    highway_classes : collection of str
        ``highway`` values to keep.
    bounding_box : shapely geometry, optional
        Read only ways with at least one node inside this lon/lat polygon
        (such ways are kept whole); ``None`` reads the whole file.
    progress : bool, default False
        Show pyrosm's progress bar on stderr for long reads.

    Returns
    -------
    Segments
        The segments of the ways whose class is in ``highway_classes`` and
        which are not areas (``area=yes``).

    Raises
    ------
    InputError
        If the file is not a readable OSM PBF file or holds no such ways.
    """
    _require("pyrosm", path)
    import pyrosm
    from google.protobuf.message import DecodeError
    from pyrosm.exceptions import PBFException

    try:
        osm = pyrosm.OSM(
            str(path), bounding_box=bounding_box, keep_metadata=False, progress=progress
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = osm.get_network(
                custom_filter={"highway": sorted(highway_classes)},
                nodes=True,
                tags_to_keep=["name", "area"],
            )
    except (PBFException, DecodeError, OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"not a readable OSM PBF file: {exc}") from exc
    node_gdf, edge_gdf = (None, None) if result is None else result
    if edge_gdf is None or node_gdf is None or len(edge_gdf) == 0:
        raise InputError(path, _no_roads_message(highway_classes, bounding_box))

    table = pd.DataFrame(
        {
            "u": edge_gdf["u"].to_numpy(dtype=np.int64),
            "v": edge_gdf["v"].to_numpy(dtype=np.int64),
            "way_id": edge_gdf["id"].to_numpy(dtype=np.int64),
            "highway": _text_column(edge_gdf, "highway"),
            "name": _text_column(edge_gdf, "name"),
            "area": _text_column(edge_gdf, "area"),
        }
    )
    nodes = pd.DataFrame(
        {
            "x": node_gdf["lon"].to_numpy(dtype=np.float64),
            "y": node_gdf["lat"].to_numpy(dtype=np.float64),
        },
        index=pd.Index(node_gdf["id"].to_numpy(dtype=np.int64), name="node_id"),
    )
    nodes = nodes[~nodes.index.duplicated()]
    return _finish(path, table, nodes, highway_classes, bounding_box)


def read_xml_segments(path: Path, *, highway_classes: Collection[str]) -> Segments:
    """Read the road segments of an OSM XML file with osmnx.

    Parameters
    ----------
    path : pathlib.Path
        The ``.osm`` file, UTF-8 encoded.
    highway_classes : collection of str
        ``highway`` values to keep.

    Returns
    -------
    Segments
        The segments of the ways whose class is in ``highway_classes`` and
        which are not areas (``area=yes``).

    Raises
    ------
    InputError
        If the file is not UTF-8, not well-formed XML, not OSM XML, has a
        node or way with bad attributes, a way referencing an undefined node,
        or holds no such ways.
    """
    _check_utf8(path)
    _check_osm_structure(path)

    _require("osmnx", path)
    import osmnx
    from osmnx._errors import InsufficientResponseError

    try:
        graph = osmnx.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except InsufficientResponseError as exc:
        raise InputError(path, "holds no OSM nodes or ways") from exc
    except (ParseError, SAXException, UnicodeError, KeyError, ValueError, TypeError) as exc:
        raise InputError(path, f"not a readable OSM XML file: {exc!r}") from exc

    rows = [
        (a, b, data.get("osmid"), data.get("highway"), data.get("name"), data.get("area"))
        for a, b, data in graph.edges(data=True)
        if not data.get("reversed", False)
    ]
    if not rows:
        raise InputError(path, _no_roads_message(highway_classes, None))
    table = pd.DataFrame(rows, columns=["u", "v", "way_id", "highway", "name", "area"])
    table = table.astype({"u": np.int64, "v": np.int64, "way_id": np.int64})
    for column in ("highway", "name", "area"):
        table[column] = [_clean_text(value) for value in table[column]]
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    nodes = pd.DataFrame(
        {
            "x": [graph.nodes[n].get("x", math.nan) for n in node_ids],
            "y": [graph.nodes[n].get("y", math.nan) for n in node_ids],
        },
        index=pd.Index(node_ids, name="node_id"),
        dtype=np.float64,
    )
    return _finish(path, table, nodes, highway_classes, None)


def _finish(
    path: Path,
    table: pd.DataFrame,
    nodes: pd.DataFrame,
    highway_classes: Collection[str],
    bounding_box: BaseGeometry | None,
) -> Segments:
    """Filter the ways, drop degenerate segments and check the node coordinates."""
    keep = table["highway"].isin(list(highway_classes)) & (table["area"] != "yes")
    keep &= table["u"] != table["v"]
    table = table.loc[keep, ["u", "v", "way_id", "highway", "name"]].reset_index(drop=True)
    if table.empty:
        raise InputError(path, _no_roads_message(highway_classes, bounding_box))

    missing = ~table["u"].isin(nodes.index) | ~table["v"].isin(nodes.index)
    if missing.any():
        row = table[missing].iloc[0]
        node = row["u"] if row["u"] not in nodes.index else row["v"]
        raise InputError(
            path,
            f"references node {node}, which the file does not define",
            feature=f"way {row['way_id']}",
        )
    used = pd.unique(np.concatenate([table["u"].to_numpy(), table["v"].to_numpy()]))
    nodes = nodes.loc[used].sort_index()
    bad = ~(
        np.isfinite(nodes["x"])
        & np.isfinite(nodes["y"])
        & nodes["x"].between(-180.0, 180.0)
        & nodes["y"].between(-90.0, 90.0)
    )
    if bad.any():
        node = nodes.index[bad.to_numpy()][0]
        raise InputError(path, "has no valid lon/lat coordinates", feature=f"node {node}")
    return Segments(table=table, nodes=nodes)


def _no_roads_message(highway_classes: Collection[str], area: BaseGeometry | None) -> str:
    where = "in the file" if area is None else "in the clip area"
    return f"no ways with highway in {sorted(highway_classes)} {where}"


def _text_column(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [_clean_text(value) for value in frame[column].astype(object)]


def _clean_text(value: object) -> str | None:
    """Return a tag value as a non-empty string, or None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, list):  # osmnx joins repeated tags into lists
        value = ";".join(str(item) for item in value)
    text = str(value).strip()
    return text or None


def _check_utf8(path: Path) -> None:
    """Raise InputError naming the byte offset and line of the first bad UTF-8 byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(_CHUNK_BYTES)
            final = not chunk
            # exc.start counts from the bytes the decoder kept from the last chunk.
            buffered = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                position = offset - buffered + exc.start
                line = lines + chunk[: max(exc.start - buffered, 0)].count(b"\n")
                raise InputError(
                    path, f"is not UTF-8 text (byte offset {position}, line {line})"
                ) from exc
            if final:
                return
            offset += len(chunk)
            lines += chunk.count(b"\n")


def _check_osm_structure(path: Path) -> None:
    """Stream the XML once: root element, node and way attributes, way node refs."""
    node_ids: set[int] = set()
    way_refs: list[tuple[str, list[str]]] = []
    refs: list[str] = []
    root_seen = False
    try:
        for event, elem in iterparse(path, events=("start", "end")):
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if elem.tag != "osm":
                        raise InputError(
                            path, f"is not OSM XML: root element is <{elem.tag}>, not <osm>"
                        )
                continue
            if elem.tag == "node":
                node_ids.add(_int_attr(path, elem, "node", "id"))
                _coordinate_attr(path, elem, "lat", 90.0)
                _coordinate_attr(path, elem, "lon", 180.0)
                elem.clear()
            elif elem.tag == "nd":
                refs.append(elem.get("ref", ""))
            elif elem.tag == "way":
                way_id = _int_attr(path, elem, "way", "id")
                way_refs.append((f"way {way_id}", refs))
                refs = []
                elem.clear()
    except ParseError as exc:
        line, column = exc.position
        if not root_seen or line == 1 and column == 0:
            raise InputError(path, f"is not XML ({exc.msg})") from exc
        raise InputError(
            path, f"is not well-formed XML at line {line}, column {column} ({exc.msg})"
        ) from exc
    if not root_seen:
        raise InputError(path, "is empty")
    for feature, way_nodes in way_refs:
        for ref in way_nodes:
            try:
                node = int(ref)
            except ValueError:
                raise InputError(path, f"bad node reference {ref!r}", feature=feature) from None
            if node not in node_ids:
                raise InputError(
                    path,
                    f"references node {node}, which the file does not define",
                    feature=feature,
                )


def _int_attr(path: Path, elem, kind: str, name: str) -> int:
    value = elem.get(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(
            path, f"<{kind}> with missing or non-integer {name} {value!r}", field=name
        ) from None


def _coordinate_attr(path: Path, elem, name: str, limit: float) -> None:
    value = elem.get(name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise InputError(
            path, f"bad coordinate {value!r}", feature=f"node {elem.get('id')}", field=name
        )
