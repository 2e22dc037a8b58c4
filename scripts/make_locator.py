r"""Build the locator-inset outline shipped with the exports (``gis/export/jatim_outline.json``).

The printed map's inset shows East Java with the regency. Its outline comes from the same
MIT-licensed source as the regency (cahyadsn/wilayah_boundaries, the ``kab`` dump of province
35), simplified to about 1 km so the file stays small:

    .venv/bin/python scripts/make_locator.py \
        ../shared/data/jatim-raw/db/kab/wilayah_boundaries_kab_35.sql
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping

from gis.fetch_parse import read_boundary_rows

OUT = Path(__file__).resolve().parent.parent / "gis" / "export" / "jatim_outline.json"
TOLERANCE_DEG = 0.01
MIN_AREA_DEG2 = 0.0004


def _clean(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.area >= MIN_AREA_DEG2]
    geom = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    geom = shapely.set_precision(geom.simplify(TOLERANCE_DEG, preserve_topology=True), 0.001)
    return geom


def main(src: str) -> None:
    """Read the ``kab`` dump and write the province and regency outlines as GeoJSON."""
    path = Path(src)
    rows = read_boundary_rows(path, path.read_text(encoding="utf-8"), prefix="35.",
                              code_pattern=re.compile(r"^35\.\d\d$"))
    province = _clean(shapely.unary_union([r.geometry for r in rows]).buffer(0))
    features = [{"type": "Feature", "properties": {"code": "35", "name": "Jawa Timur",
                                                   "level": "province"},
                 "geometry": mapping(province)}]
    for r in rows:
        if r.code == "35.16":
            features.append({"type": "Feature",
                             "properties": {"code": r.code, "name": r.name, "level": "regency"},
                             "geometry": mapping(_clean(r.geometry))})
    doc = {"type": "FeatureCollection",
           "source": "cahyadsn/wilayah_boundaries (MIT), kab 35, simplified "
                     f"{TOLERANCE_DEG} deg", "features": features}
    OUT.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(rows)} kabupaten/kota merged")


if __name__ == "__main__":
    main(sys.argv[1])
