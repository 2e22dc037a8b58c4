"""The ``SOURCES.md`` provenance note written beside a converted regency data directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fonet.datasets import sha256_file
from gis.fetch_convert import DECIMALS, SLIVER_KM2, Regency
from gis.fetch_sources import RawSource

TITLES = {
    "regions": "1. Kabupaten/kota codes, official names and coarse outlines (same format as "
               "the villages)",
    "villages": "1. Village polygons (MySQL INSERTs `(kode, nama, lat, lng, path)`, "
                "`path` in [lat, lng] order)",
    "kecamatan": "1. Kecamatan names and coarse polygons (same format)",
    "bps_to_dagri": "2. BPS 2018 → Kemendagri code bridge",
    "bps_names": "2. BPS 2018 names (Kode Wilayah Kerja Statistik 2018 semester 1)",
    "schools": "3. Schools, Kemdikbud Dapodik snapshot of June 2019",
}


def sources_md(regency: Regency, files: tuple[str, ...], summary: dict[str, Any],
               sources: tuple[RawSource, ...], raw: dict[str, Path], origin: str,
               out_dir: Path) -> str:
    """Return the text of ``SOURCES.md`` for a converted regency.

    Parameters
    ----------
    regency
        The regency converted.
    files
        Its output files, in :func:`gis.fetch.output_files` order.
    summary
        Counts and figures from :func:`gis.fetch.convert_sources`.
    sources, raw
        The raw sources and the local path of each (by key).
    origin
        Where the raw files came from (downloads or a local directory).
    out_dir
        The directory the files were written to (their sizes are listed).

    Returns
    -------
    str
        Markdown.
    """
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    b = summary["boundary"]
    lines = [
        f"# {regency.name} ({regency.code} / BPS {regency.code_bps}): sources and provenance",
        "",
        f"Built by `fonet data fetch` on {now} from {origin}.",
        "",
        "All files are WGS 84 lon/lat; every GeoJSON carries "
        "`crs = urn:ogc:def:crs:OGC:1.3:CRS84`. "
        f"Coordinates are rounded to {DECIMALS} decimals. Areas (`luas_km2`) are measured in "
        "UTM 49S (EPSG:32749).",
        "",
        "## Files",
        "",
        "| file | bytes | content |",
        "|---|---:|---|",
    ]
    if summary["schools_source"]:
        schools = (f"{summary['schools']} schools (source 3) placed in villages by "
                   "point-in-polygon, with a `qa` flag")
    elif summary["schools_note"]:
        schools = f"no schools: {summary['schools_note']}"
    else:
        schools = "no schools"
    content = {
        files[0]: f"{summary['villages']} village polygons ({summary['desa']} desa, "
                  f"{summary['kelurahan']} kelurahan); source 1, codes from source 2",
        files[1]: "one point per village: the source centroid, or a computed inner point "
                  f"where that falls outside the polygon ({len(summary['inner_points'])})",
        files[2]: "code table: Kemendagri and BPS 2018 codes, names, area, centroid, "
                  "inner point",
        files[3]: f"{summary['kecamatan']} kecamatan dissolved from the villages",
        files[4]: "kecamatan polygons exactly as source 1 gives them (coarse)",
        files[5]: f"regency outline dissolved from the villages, {b['luas_km2']} km²",
        files[6]: schools,
    }
    for name, text in content.items():
        lines.append(f"| {name} | {(out_dir / name).stat().st_size:,} | {text} |")
    lines += ["", "## Sources", ""]
    for src in (s for s in sources if s.key in raw):
        path = Path(raw[src.key])
        lines += [
            f"- {TITLES[src.key]}",
            f"  - `{src.repo}` at `{src.commit}`, path `{src.path}` ({src.licence} licence)",
            f"  - {src.page()}",
            f"  - {path.stat().st_size:,} bytes, sha256 `{sha256_file(path)}`",
        ]
    holes = ", ".join(f"{h} km²" for h in b["holes_km2"]) or "none"
    lines += [
        "",
        "## Processing",
        "",
        "- Source axes [lat, lng] swapped to lon/lat; depth-3 paths are Polygons with holes, "
        "depth-4 paths MultiPolygons; invalid shapes would be repaired with `make_valid`.",
        f"- Kecamatan and the outline are unions of the village polygons; interior rings "
        f"smaller than {SLIVER_KM2} km² (gaps between simplified villages) are removed, larger "
        f"holes kept. Outline holes: {holes}"
        + (f" ({b['hole_note']})" if b.get("hole_note") else "") + ". Kecamatan with holes: "
        f"{', '.join(summary['kecamatan_with_holes']) or 'none'}.",
        "- BPS codes: the bridge's Kemendagri code is used when it lies in the kecamatan the "
        "BPS kecamatan maps to; otherwise the village is matched by name in that kecamatan:",
    ]
    lines += [f"  - {note}" for note in summary["matched_by_name"]] or ["  - (none)"]
    lines.append("- Villages without a BPS 2018 code (no BPS entry matches them; formed or "
                 "renamed after 2018): "
                 f"{', '.join(summary['no_bps_code']) or 'none'}.")
    lines += [
        f"- Villages per kecamatan (Kemendagri order): "
        f"{', '.join(map(str, summary['villages_per_kecamatan']))}.",
        f"- Centroid outside its polygon (inner point used): "
        f"{', '.join(summary['inner_points']) or 'none'}.",
    ]
    if summary["schools_source"]:
        qa = ", ".join(f"`{k}` {v}" for k, v in sorted(summary["schools_qa"].items()))
        lines.append(
            f"- Schools `qa`: {qa}. `ok`: the point lies in the kecamatan Dapodik states; "
            "`point_in_other_kecamatan`: in another one; `no_coordinates`: the source has none "
            "(null geometry); `point_outside_regency`: in no village polygon.")
    else:
        lines.append(f"- Schools: none ({summary['schools_note']}).")
    lines.append("")
    return "\n".join(lines)
