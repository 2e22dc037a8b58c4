"""OSM road import: the real Helsinki extract shipped with pyrosm, and hand-made OSM XML.

Hand-made network (lon, lat near Mojokerto; ``=`` residential, ``#`` primary,
``~`` track, ``-`` service, ``.`` footway, which is not imported)::

                         n9
                         -
    n1 ===== n2 ===== n3 ##### n4 ~~~~~ n7
    (way 100) . (101)    (102)  .  (103) ~
              .                 .        n8
              n10               n6

n2 joins two residential ways (and a footway, ignored): merged away.
n3 joins residential and primary: kept (class change).
n4 joins primary, track and service: kept (junction); n7 is a bend in way 103.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pyrosm
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gis.errors import InputError
from gis.roads import FIBRE_HIGHWAY_CLASSES, RoadGraph, read_roads

GEOD = Geod(ellps="WGS84")

NODES = {
    1: (112.40, -7.50),
    2: (112.41, -7.50),
    3: (112.42, -7.50),
    4: (112.43, -7.50),
    6: (112.43, -7.51),
    7: (112.44, -7.50),
    8: (112.44, -7.51),
    9: (112.43, -7.49),
    10: (112.41, -7.51),
    # a building and a service square (area=yes): neither is a road
    11: (112.45, -7.45),
    12: (112.46, -7.45),
    13: (112.46, -7.46),
    14: (112.47, -7.46),
    15: (112.48, -7.46),
    16: (112.48, -7.47),
}
WAYS = [
    (100, [1, 2], {"highway": "residential", "name": "Jalan Raya Mojosari"}),
    (101, [2, 3], {"highway": "residential", "name": "Jalan Raya Mojosari"}),
    (102, [3, 4], {"highway": "primary", "name": "Jalan Bypass", "oneway": "yes"}),
    (103, [4, 7, 8], {"highway": "track", "oneway": "-1"}),
    (104, [4, 9], {"highway": "service"}),
    (105, [2, 10], {"highway": "footway"}),
    (106, [4, 6], {"highway": "steps"}),
    (107, [11, 12, 13, 11], {"building": "yes"}),
    (108, [14, 15, 16, 14], {"highway": "service", "area": "yes"}),
]


def osm_xml(nodes=NODES, ways=WAYS) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{node_id}" version="1" lat="{lat}" lon="{lon}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def geodesic(*node_ids: int) -> float:
    lons, lats = zip(*(NODES[n] for n in node_ids), strict=True)
    return GEOD.line_length(lons, lats)


@pytest.fixture
def xml_file(tmp_path: Path) -> Path:
    path = tmp_path / "mojosari.osm"
    path.write_text(osm_xml(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def helsinki() -> Path:
    path = Path(pyrosm.get_data("helsinki_pbf"))
    assert path.is_file(), "pyrosm ships Helsinki.osm.pbf inside the package"
    return path


@pytest.fixture(scope="module")
def reference_ways(helsinki: Path) -> gpd.GeoDataFrame:
    """The same ways read whole (not as segments), filtered by class and area=yes."""
    ways = pyrosm.OSM(str(helsinki)).get_network(
        custom_filter={"highway": sorted(FIBRE_HIGHWAY_CLASSES)}, extra_attributes=["area"]
    )
    if "area" in ways.columns:
        ways = ways[ways["area"].astype(object) != "yes"]
    return ways


@pytest.fixture(scope="module")
def helsinki_graph(helsinki: Path) -> RoadGraph:
    return read_roads(helsinki, metric_crs=None)


def geodesic_total(geometries) -> float:
    return sum(GEOD.geometry_length(g) for g in geometries if not g.is_empty)


def assert_well_formed(graph: RoadGraph) -> None:
    """Geometry from u to v, degree-2 nodes only at class changes or rings."""
    edges, nodes = graph.edges, graph.nodes
    assert list(nodes.columns) == ["node_id", "geometry"]
    assert {"u", "v", "length_m", "highway", "name", "osm_ids", "geometry"} <= set(edges.columns)
    assert nodes["node_id"].is_unique
    assert set(edges["u"]) | set(edges["v"]) == set(nodes["node_id"])
    assert (edges["length_m"] > 0).all()
    assert set(edges["highway"]) <= FIBRE_HIGHWAY_CLASSES
    assert (edges.geometry.geom_type == "LineString").all()
    assert edges.crs.to_epsg() == 4326 and nodes.crs.to_epsg() == 4326

    point = dict(zip(nodes["node_id"], nodes.geometry, strict=True))
    first = shapely.get_point(edges.geometry.values, 0)
    last = shapely.get_point(edges.geometry.values, -1)
    for u, v, start, end in zip(edges["u"], edges["v"], first, last, strict=True):
        assert start.equals(point[u]), (u, start)
        assert end.equals(point[v]), (v, end)

    incident: dict[int, list[int]] = {}
    for i, (u, v) in enumerate(zip(edges["u"], edges["v"], strict=True)):
        incident.setdefault(u, []).append(i)
        incident.setdefault(v, []).append(i)
    for node, edge_ids in incident.items():
        if len(edge_ids) != 2:
            continue
        classes = set(edges["highway"].iloc[edge_ids])
        ring = edge_ids[0] == edge_ids[1]  # a self-loop counts twice
        assert ring or len(classes) == 2, f"node {node} of degree 2 inside one {classes} road"

    graph_nx = nx.MultiGraph()
    graph_nx.add_nodes_from(nodes["node_id"])
    graph_nx.add_edges_from(zip(edges["u"], edges["v"], strict=True))
    assert graph.components == nx.number_connected_components(graph_nx)


def test_helsinki_length_matches_geodesic_reference(helsinki_graph, reference_ways) -> None:
    expected_m = geodesic_total(reference_ways.geometry)
    got_m = helsinki_graph.total_length_m
    assert abs(got_m - expected_m) / expected_m < 0.005, (got_m, expected_m)
    assert helsinki_graph.source.name == "Helsinki.osm.pbf"


def test_helsinki_graph_is_merged_and_oriented(helsinki_graph, reference_ways) -> None:
    assert_well_formed(helsinki_graph)
    edges = helsinki_graph.edges
    # chains were merged: fewer edges than OSM segments, some edges span several ways
    segments = int(shapely.get_num_coordinates(reference_ways.geometry.values).sum()) - len(
        reference_ways
    )
    assert len(edges) < segments / 2
    assert (edges["osm_ids"].str.contains(",")).any()
    way_ids = {int(w) for ids in edges["osm_ids"] for w in ids.split(",")}
    assert way_ids == set(reference_ways["id"])
    assert set(edges["highway"]) == set(reference_ways["highway"])


def test_helsinki_clipped_to_buffered_polygon(helsinki, reference_ways, helsinki_graph) -> None:
    clip = Polygon([(24.938, 60.166), (24.950, 60.168), (24.944, 60.176)])
    graph = read_roads(helsinki, clip=clip, buffer_m=150.0, metric_crs="EPSG:32635")
    area = (
        gpd.GeoSeries([clip], crs="EPSG:4326")
        .to_crs("EPSG:32635")
        .buffer(150.0)
        .to_crs("EPSG:4326")
        .iloc[0]
    )
    expected_m = geodesic_total(reference_ways.geometry.intersection(area))
    assert abs(graph.total_length_m - expected_m) / expected_m < 0.005, (
        graph.total_length_m,
        expected_m,
    )
    assert graph.total_length_m < 0.9 * helsinki_graph.total_length_m
    assert_well_formed(graph)
    # roads cut by the clip end in new dead-end nodes, with negative ids, on the boundary
    cut = graph.nodes[graph.nodes["node_id"] < 0]
    assert len(cut) > 0
    assert shapely.distance(cut.geometry.values, graph.area.boundary).max() < 1e-9
    # and that boundary is the reference one to within centimetres (densified arcs)
    boundary = gpd.GeoSeries([area.boundary], crs="EPSG:4326").to_crs("EPSG:32635").iloc[0]
    assert cut.to_crs("EPSG:32635").distance(boundary).max() < 0.1
    # the automatic UTM zone (35N here) gives the same result
    auto = read_roads(helsinki, clip=clip, buffer_m=150.0, metric_crs=None)
    assert auto.total_length_m == pytest.approx(graph.total_length_m, rel=1e-9)


def test_default_metric_crs_refuses_area_outside_utm_49s(helsinki) -> None:
    with pytest.raises(ValueError, match="area of use"):
        read_roads(helsinki, clip=box(24.93, 60.16, 24.95, 60.17))


def test_xml_lengths_merge_and_classes(xml_file) -> None:
    graph = read_roads(xml_file)
    assert_well_formed(graph)
    edges = graph.edges.set_index("osm_ids")
    assert sorted(edges.index) == ["100,101", "102", "103", "104"]
    assert sorted(graph.nodes["node_id"]) == [1, 3, 4, 8, 9]
    assert graph.components == 1

    expected = {
        "100,101": ({1, 3}, "residential", "Jalan Raya Mojosari", geodesic(1, 2, 3)),
        "102": ({3, 4}, "primary", "Jalan Bypass", geodesic(3, 4)),
        "103": ({4, 8}, "track", None, geodesic(4, 7, 8)),
        "104": ({4, 9}, "service", None, geodesic(4, 9)),
    }
    for osm_ids, (ends, highway, name, length_m) in expected.items():
        edge = edges.loc[osm_ids]
        assert {edge["u"], edge["v"]} == ends
        assert edge["highway"] == highway
        assert (edge["name"] if isinstance(edge["name"], str) else None) == name
        assert edge["length_m"] == pytest.approx(length_m, rel=1e-9)
    # the merged residential edge passes through n2
    assert Point(NODES[2]).distance(edges.loc["100,101"].geometry) < 1e-12
    assert len(edges.loc["103"].geometry.coords) == 3


def test_xml_clip_cuts_road_at_boundary(xml_file) -> None:
    # keep everything west of lon 112.425: the primary road is cut half-way
    clip = box(112.39, -7.52, 112.425, -7.48)
    graph = read_roads(xml_file, clip=clip, buffer_m=0.0)
    assert_well_formed(graph)
    edges = graph.edges.set_index("osm_ids")
    assert sorted(edges.index) == ["100,101", "102"]
    cut_m = GEOD.line_length([112.42, 112.425], [-7.50, -7.50])
    assert edges.loc["102"]["length_m"] == pytest.approx(cut_m, abs=0.5)
    assert (graph.nodes["node_id"] < 0).sum() == 1

    # a 3 km buffer (in UTM 49S) reaches beyond n4 and n7 (1.1 km and 2.2 km away)
    wide = read_roads(xml_file, clip=clip)
    assert sorted(wide.edges["osm_ids"]) == ["100,101", "102", "103", "104"]


def test_multipolygon_clip_and_self_loops(tmp_path) -> None:
    # a closed residential ring joined by one road: the ring becomes a self-loop
    nodes = {
        1: (112.40, -7.50),
        2: (112.41, -7.50),
        3: (112.42, -7.50),
        4: (112.42, -7.51),
        5: (112.41, -7.51),
    }
    ways = [
        (1, [1, 2], {"highway": "tertiary"}),
        (2, [2, 3, 4, 5, 2], {"highway": "residential", "name": "Gang Melati"}),
    ]
    path = tmp_path / "ring.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    clip = MultiPolygon([box(112.39, -7.52, 112.43, -7.48), box(113.0, -7.0, 113.1, -6.9)])
    graph = read_roads(path, clip=clip)
    assert_well_formed(graph)
    ring = graph.edges[graph.edges["highway"] == "residential"].iloc[0]
    assert ring["u"] == ring["v"] == 2
    ring_m = GEOD.line_length(*zip(*(nodes[n] for n in (2, 3, 4, 5, 2)), strict=True))
    assert ring["length_m"] == pytest.approx(ring_m, rel=1e-9)


def test_shared_segment_kept_once_and_parallel_edges_kept(tmp_path) -> None:
    """n1 --(ways 1 and 2, same nodes)-- n2, and a second route n1 - n3 - n2 (way 3)."""
    nodes = {1: (112.40, -7.50), 2: (112.41, -7.50), 3: (112.405, -7.505)}
    ways = [
        (1, [1, 2], {"highway": "tertiary", "name": "Jalan Pahlawan"}),
        (2, [2, 1], {"highway": "residential"}),
        (3, [1, 3, 2], {"highway": "residential"}),
    ]
    path = tmp_path / "parallel.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    graph = read_roads(path)
    assert_well_formed(graph)
    edges = graph.edges.set_index("osm_ids").sort_index()
    assert list(edges.index) == ["1,2", "3"]
    assert list(edges["highway"]) == ["tertiary", "residential"]
    assert all({u, v} == {1, 2} for u, v in zip(edges["u"], edges["v"], strict=True))
    direct_m = GEOD.line_length([112.40, 112.41], [-7.50, -7.50])
    detour_m = GEOD.line_length([112.40, 112.405, 112.41], [-7.50, -7.505, -7.50])
    assert list(edges["length_m"]) == pytest.approx([direct_m, detour_m], rel=1e-9)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("latin1.osm", osm_xml().replace("Mojosari", "Mojos\xe1ri").encode("latin-1"), "UTF-8"),
        ("truncated.osm", osm_xml().encode()[:900], "well-formed XML at line"),
        ("garbage.osm", b"this is not xml at all\n", "is not XML"),
        ("route.osm", b'<?xml version="1.0"?><gpx><trk/></gpx>', "root element is <gpx>"),
        ("empty.osm", b"", "is empty"),
        ("empty.osm.pbf", b"", "is empty"),
        ("text.osm.pbf", b"hello, not a protobuf\n", "not a readable OSM PBF file"),
        ("roads.geojson", b'{"type": "FeatureCollection", "features": []}', "unknown file type"),
    ],
)
def test_bad_files_name_the_file(tmp_path, name, content, reason) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as caught:
        read_roads(path)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    assert isinstance(caught.value, ValueError)


def test_non_utf8_error_gives_line(tmp_path) -> None:
    path = tmp_path / "latin1.osm"
    text = osm_xml().replace("Mojosari", "Mojos\xe1ri")
    path.write_bytes(text.encode("latin-1"))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "\xe1" in row)
    offset = text.encode("latin-1").index(b"\xe1")
    with pytest.raises(InputError, match=f"byte offset {offset}, line {line}"):
        read_roads(path)


def test_truncated_pbf(tmp_path, helsinki) -> None:
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(helsinki.read_bytes()[:20000])
    with pytest.raises(InputError, match="not a readable OSM PBF file") as caught:
        read_roads(path)
    assert caught.value.path == path


def test_way_with_undefined_node_names_the_way(tmp_path) -> None:
    path = tmp_path / "partial.osm"
    path.write_text(osm_xml(ways=[*WAYS, (200, [1, 99], {"highway": "tertiary"})]))
    with pytest.raises(InputError, match="references node 99") as caught:
        read_roads(path)
    assert caught.value.feature == "way 200"
    assert str(caught.value) == (
        f"{path}: way 200: references node 99, which the file does not define"
    )


def test_node_with_bad_coordinate_names_the_node(tmp_path) -> None:
    path = tmp_path / "badnode.osm"
    path.write_text(osm_xml().replace('lat="-7.51"', 'lat="-97.51"', 1))
    with pytest.raises(InputError, match="bad coordinate") as caught:
        read_roads(path)
    assert caught.value.feature.startswith("node ")
    assert caught.value.field == "lat"


def test_no_roads(tmp_path, helsinki) -> None:
    path = tmp_path / "buildings.osm"
    path.write_text(osm_xml(ways=[w for w in WAYS if w[0] in (105, 107, 108)]))
    with pytest.raises(InputError, match="no ways with highway"):
        read_roads(path)
    # a clip area with no roads (Mojokerto, while the file holds Helsinki)
    with pytest.raises(InputError, match="in the clip area") as caught:
        read_roads(helsinki, clip=box(112.3, -7.6, 112.5, -7.4))
    assert caught.value.path == helsinki
    # a class the file does not hold (the Helsinki extract has no motorway)
    with pytest.raises(InputError, match=r"no ways with highway in \['motorway'\] in the file"):
        read_roads(helsinki, highway_classes={"motorway"})


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_roads(tmp_path / "missing.osm.pbf")


def test_gzip_suffix_is_unknown(tmp_path) -> None:
    path = tmp_path / "roads.osm.gz"
    path.write_bytes(gzip.compress(osm_xml().encode()))
    with pytest.raises(InputError, match="unknown file type"):
        read_roads(path)


def test_clip_must_be_lon_lat_polygon(xml_file) -> None:
    with pytest.raises(ValueError, match="lon/lat"):
        read_roads(xml_file, clip=box(650000, 9170000, 660000, 9180000))
    with pytest.raises(ValueError, match="Polygon"):
        read_roads(xml_file, clip=Point(112.4, -7.5))
    with pytest.raises(ValueError, match="buffer_m"):
        read_roads(xml_file, clip=box(112.39, -7.52, 112.425, -7.48), buffer_m=-1.0)
