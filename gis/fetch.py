"""Building the regency data directory from its public sources (``fonet data fetch``).

The raw files (see :mod:`gis.fetch_sources`) are downloaded at pinned commits, or taken from a
local directory, and converted into the files :func:`gis.regency.read_regency` reads, plus a
``SOURCES.md`` that says where each came from and when. Output files are written to a temporary
directory first and moved into place only when every one of them is ready.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fonet.datasets import CHECKSUMS_FILE, packaged_data_dir, sha256_file, write_checksums
from fonet.errors import InputError
from gis.fetch_convert import (
    DECIMALS,
    SLIVER_KM2,
    Regency,
    build_boundary,
    build_kecamatan,
    build_villages,
    write_code_table,
    write_schools,
    write_villages,
)
from gis.fetch_crosswalk import build_crosswalk
from gis.fetch_parse import KECAMATAN_CODE, VILLAGE_CODE, read_boundary_rows, read_tsv_pairs
from gis.fetch_schools import place_schools, read_schools
from gis.fetch_sources import (
    DEFAULT_BASE_URL,
    RAW_SOURCES,
    download_raw_files,
    find_raw_files,
)
from gis.readers import check_utf8

REGENCY = Regency(code="35.16", code_bps="3516", name="Kabupaten Mojokerto",
                  hole_note="Kota Mojokerto (35.76)")
"""The regency built here (Kemendagri 35.16, BPS 3516)."""
STEM = "kab_mojokerto"
SCHOOLS_REGION = "050300"
"""Dapodik code of the regency, the key of the schools JSON."""
SCHOOLS_FILE = f"{STEM}_sekolah_kemdikbud_2019.geojson"

OUTPUT_FILES = (
    f"{STEM}_desa_kelurahan.geojson",
    f"{STEM}_desa_kelurahan_centroids.geojson",
    f"{STEM}_kode_wilayah.csv",
    f"{STEM}_kecamatan.geojson",
    f"{STEM}_kecamatan_source_simplified.geojson",
    f"{STEM}_boundary.geojson",
    SCHOOLS_FILE,
    "SOURCES.md",
    "LICENSES.md",
    CHECKSUMS_FILE,
)
"""Every file :func:`fetch_regency_data` writes into the data directory (the checksum manifest
last: it lists every other file)."""

RAW_SUBDIR = "raw"
"""Sub-directory of the data directory that keeps the downloaded raw files."""


def convert_sources(raw: dict[str, Path], out_dir: Path) -> dict[str, Any]:
    """Convert the raw files into the data files (all but ``SOURCES.md``) in ``out_dir``.

    Parameters
    ----------
    raw
        Path of each raw file by :attr:`gis.fetch_sources.RawSource.key`.
    out_dir
        An existing directory to write into.

    Returns
    -------
    dict
        Counts and figures for ``SOURCES.md`` and the command's report.

    Raises
    ------
    InputError
        Naming the raw file, row and field at fault.
    """
    texts = {key: check_utf8(Path(p)) for key, p in raw.items()}
    villages = read_boundary_rows(raw["villages"], texts["villages"],
                                  prefix=REGENCY.code + ".", code_pattern=VILLAGE_CODE)
    kecamatan = read_boundary_rows(raw["kecamatan"], texts["kecamatan"],
                                   prefix=REGENCY.code + ".", code_pattern=KECAMATAN_CODE)
    kec_names = {k.code: k.name for k in kecamatan}
    for v in villages:
        if v.code[:8] not in kec_names:
            raise InputError(str(raw["villages"]), f"kecamatan {v.code[:8]} is not in "
                                                   f"{Path(raw['kecamatan']).name}",
                             feature=v.code, field="kode")
    counts = Counter(v.code[:8] for v in villages)
    for k in kecamatan:
        if not counts[k.code]:
            raise InputError(str(raw["kecamatan"]), "kecamatan has no village in "
                                                    f"{Path(raw['villages']).name}",
                             feature=k.code)
    bridge = read_tsv_pairs(raw["bps_to_dagri"], texts["bps_to_dagri"], prefix=REGENCY.code_bps)
    names = read_tsv_pairs(raw["bps_names"], texts["bps_names"], prefix=REGENCY.code_bps)
    cw = build_crosswalk(villages, kecamatan, bridge, names, raw["bps_to_dagri"],
                         REGENCY.code_bps)

    vout = build_villages(villages, kec_names, cw, REGENCY)
    write_villages(out_dir, STEM, vout)
    write_code_table(out_dir / f"{STEM}_kode_wilayah.csv", vout, cw)
    kec_info = build_kecamatan(out_dir, STEM, kecamatan, vout, cw)
    boundary = build_boundary(out_dir / f"{STEM}_boundary.geojson", vout, REGENCY)

    schools = read_schools(raw["schools"], texts["schools"], region_key=SCHOOLS_REGION)
    place_schools(schools, [(v.props["kode"], v.props["nama"], v.props["kode_kec"], v.geometry)
                            for v in vout], kec_names, raw["schools"])
    write_schools(out_dir / SCHOOLS_FILE, schools)

    return {
        "villages": len(vout),
        "desa": sum(v.props["jenis"] == "desa" for v in vout),
        "kelurahan": sum(v.props["jenis"] == "kelurahan" for v in vout),
        "kecamatan": len(kecamatan),
        "villages_per_kecamatan": [counts[k] for k in sorted(kec_names)],
        "kecamatan_with_holes": [f"{k['nama']} ({k['holes']})" for k in kec_info if k["holes"]],
        "inner_points": [v.props["kode"] for v in vout if not v.centroid_inside],
        "matched_by_name": cw.by_name,
        "boundary": boundary,
        "schools": len(schools),
        "schools_qa": dict(Counter(s.qa for s in schools)),
        "schools_by_type": dict(Counter(s.bentuk for s in schools)),
    }


def _sources_md(summary: dict[str, Any], raw: dict[str, Path], origin: str,
                out_dir: Path) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    b = summary["boundary"]
    lines = [
        f"# {REGENCY.name} ({REGENCY.code} / BPS {REGENCY.code_bps}): sources and provenance",
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
    content = {
        OUTPUT_FILES[0]: f"{summary['villages']} village polygons ({summary['desa']} desa, "
                         f"{summary['kelurahan']} kelurahan); source 1, codes from source 2",
        OUTPUT_FILES[1]: "one point per village: the source centroid, or a computed inner point "
                         f"where that falls outside the polygon ({len(summary['inner_points'])})",
        OUTPUT_FILES[2]: "code table: Kemendagri and BPS 2018 codes, names, area, centroid, "
                         "inner point",
        OUTPUT_FILES[3]: f"{summary['kecamatan']} kecamatan dissolved from the villages",
        OUTPUT_FILES[4]: "kecamatan polygons exactly as source 1 gives them (coarse)",
        OUTPUT_FILES[5]: f"regency outline dissolved from the villages, {b['luas_km2']} km²",
        OUTPUT_FILES[6]: f"{summary['schools']} schools (source 3) placed in villages by "
                         "point-in-polygon, with a `qa` flag",
    }
    for name, text in content.items():
        lines.append(f"| {name} | {(out_dir / name).stat().st_size:,} | {text} |")
    lines += ["", "## Sources", ""]
    titles = {
        "villages": "1. Village polygons (MySQL INSERTs `(kode, nama, lat, lng, path)`, "
                    "`path` in [lat, lng] order)",
        "kecamatan": "1. Kecamatan names and coarse polygons (same format)",
        "bps_to_dagri": "2. BPS 2018 → Kemendagri code bridge",
        "bps_names": "2. BPS 2018 names (Kode Wilayah Kerja Statistik 2018 semester 1)",
        "schools": "3. Schools, Kemdikbud Dapodik snapshot of June 2019",
    }
    for src in RAW_SOURCES:
        path = Path(raw[src.key])
        lines += [
            f"- {titles[src.key]}",
            f"  - `{src.repo}` at `{src.commit}`, path `{src.path}` ({src.licence} licence)",
            f"  - {src.page()}",
            f"  - {path.stat().st_size:,} bytes, sha256 `{sha256_file(path)}`",
        ]
    qa = ", ".join(f"`{k}` {v}" for k, v in sorted(summary["schools_qa"].items()))
    holes = ", ".join(f"{h} km²" for h in b["holes_km2"]) or "none"
    lines += [
        "",
        "## Processing",
        "",
        "- Source axes [lat, lng] swapped to lon/lat; depth-3 paths are Polygons with holes, "
        "depth-4 paths MultiPolygons; invalid shapes would be repaired with `make_valid`.",
        f"- Kecamatan and the outline are unions of the village polygons; interior rings "
        f"smaller than {SLIVER_KM2} km² (gaps between simplified villages) are removed, larger "
        f"holes kept. Outline holes: {holes}. Kecamatan with holes: "
        f"{', '.join(summary['kecamatan_with_holes']) or 'none'}.",
        "- BPS codes: the bridge's Kemendagri code is used when it lies in the kecamatan the "
        "BPS kecamatan maps to; otherwise the village is matched by name in that kecamatan:",
    ]
    lines += [f"  - {note}" for note in summary["matched_by_name"]] or ["  - (none)"]
    lines += [
        f"- Villages per kecamatan (Kemendagri order): "
        f"{', '.join(map(str, summary['villages_per_kecamatan']))}.",
        f"- Centroid outside its polygon (inner point used): "
        f"{', '.join(summary['inner_points']) or 'none'}.",
        f"- Schools `qa`: {qa}. `ok`: the point lies in the kecamatan Dapodik states; "
        "`point_in_other_kecamatan`: in another one; `no_coordinates`: the source has none "
        "(null geometry); `point_outside_regency`: in no village polygon.",
        "",
    ]
    return "\n".join(lines)


def fetch_regency_data(out_dir: Path | str, *, from_dir: Path | str | None = None,
                       force: bool = False, base_url: str = DEFAULT_BASE_URL,
                       show_progress: bool = True) -> dict[str, Any]:
    """Download (or take from ``from_dir``) the raw sources and build the data directory.

    Parameters
    ----------
    out_dir
        The regency data directory to write (created if needed).
    from_dir
        A directory holding the raw files already downloaded; nothing is downloaded then.
    force
        Replace data files already present in ``out_dir``.
    base_url
        Server for the downloads, ``{base_url}/{repo}/{commit}/{path}``.
    show_progress
        Draw download progress on stderr.

    Returns
    -------
    dict
        What was built: counts, QA figures, the output directory and files.

    Raises
    ------
    InputError
        When ``out_dir`` already holds data (without ``force``), a download fails (naming the
        URL), or a raw file is malformed (naming the file, row and field).
    """
    out_dir = Path(out_dir).expanduser()
    present = [f for f in OUTPUT_FILES if (out_dir / f).exists()]
    if present and not force:
        raise InputError(str(out_dir), f"already holds regency data ({present[0]}, ...); "
                                       "use --force to replace it")
    created = [d for d in (out_dir, out_dir / RAW_SUBDIR) if not d.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if from_dir is not None:
            from_dir = Path(from_dir).expanduser().resolve()
            raw = find_raw_files(from_dir)
            origin = f"local copies of the raw files in `{from_dir}`"
        else:
            raw = download_raw_files(out_dir / RAW_SUBDIR, base_url=base_url,
                                     show_progress=show_progress)
            origin = (f"files downloaded from {base_url.rstrip('/')} (kept in "
                      f"`{RAW_SUBDIR}/`; rebuild offline with "
                      f"`fonet data fetch --from-dir {out_dir / RAW_SUBDIR} --force`)")
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".fetch-") as tmp:
            work = Path(tmp)
            summary = convert_sources(raw, work)
            (work / "SOURCES.md").write_text(_sources_md(summary, raw, origin, work),
                                             encoding="utf-8")
            shutil.copyfile(packaged_data_dir() / "LICENSES.md", work / "LICENSES.md")
            write_checksums(work, OUTPUT_FILES[:-1])
            for name in OUTPUT_FILES:
                os.replace(work / name, out_dir / name)
    except PermissionError as exc:
        raise InputError(str(exc.filename or out_dir), f"cannot write: {exc.strerror}") from None
    except InputError:
        for d in reversed(created):  # leave no empty directory behind a failed run
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    summary["out_dir"] = str(out_dir)
    summary["files"] = list(OUTPUT_FILES)
    return summary
