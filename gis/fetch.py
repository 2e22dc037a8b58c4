"""Building a regency data directory from its public sources (``fonet data fetch``).

Any kabupaten/kota is built by its Kemendagri code (``35.17``); a whole province by its code
(``35``) gives one directory per kabupaten/kota. The raw files (see :mod:`gis.fetch_sources`)
are downloaded at pinned commits, or taken from a local directory, and converted into the files
:func:`gis.regency.read_regency` reads, plus a ``SOURCES.md`` that says where each came from and
when. Names (of the regency, kecamatan, villages) are the official spellings of the raw files.
Output files are written to a temporary directory first and moved into place only when every
one of them is ready.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fonet.datasets import CHECKSUMS_FILE, packaged_data_dir, write_checksums
from fonet.errors import InputError
from gis.fetch_convert import (
    Regency,
    build_boundary,
    build_kecamatan,
    build_villages,
    write_code_table,
    write_geojson,
    write_schools,
    write_villages,
)
from gis.fetch_crosswalk import build_crosswalk
from gis.fetch_notes import sources_md
from gis.fetch_parse import (
    KECAMATAN_CODE,
    VILLAGE_CODE,
    BoundaryRow,
    read_boundary_rows,
    read_tsv_pairs,
)
from gis.fetch_raw import RAW_SUBDIR, RawFiles, write_atomically
from gis.fetch_schools import place_schools, read_schools
from gis.fetch_sources import (
    DEFAULT_BASE_URL,
    REGENCY_CODE,
    SCHOOL_REGIONS,
    RawSource,
    check_province_code,
    check_regency_code,
    regency_sources,
    regions_source,
)
from gis.readers import check_utf8

DEFAULT_REGENCY_CODE = "35.16"
"""The regency built when no code is given: the one packaged with fonet."""

def regency_stem(name: str) -> str:
    """Return the file-name stem of a regency: ``Kabupaten Mojokerto`` → ``kab_mojokerto``.

    ``Kota Surabaya`` gives ``kota_surabaya``; letters other than a–z and digits become ``_``.
    """
    words = name.strip().casefold().split()
    if words and words[0] in ("kabupaten", "kab.", "kab"):
        words[0] = "kab"
    return re.sub(r"[^a-z0-9]+", "_", "_".join(words)).strip("_")


def output_files(stem: str) -> tuple[str, ...]:
    """Return every file a regency data directory holds (the checksum manifest last).

    Parameters
    ----------
    stem
        The regency's stem (:func:`regency_stem`).
    """
    return (
        f"{stem}_desa_kelurahan.geojson",
        f"{stem}_desa_kelurahan_centroids.geojson",
        f"{stem}_kode_wilayah.csv",
        f"{stem}_kecamatan.geojson",
        f"{stem}_kecamatan_source_simplified.geojson",
        f"{stem}_boundary.geojson",
        f"{stem}_sekolah_kemdikbud_2019.geojson",
        "SOURCES.md",
        "LICENSES.md",
        CHECKSUMS_FILE,
    )


OUTPUT_FILES = output_files("kab_mojokerto")
"""The files of the packaged regency's data directory."""


def read_regions(path: Path, province: str) -> list[BoundaryRow]:
    """Read the kabupaten/kota of ``province`` from its ``wilayah_boundaries_kab`` dump.

    Raises
    ------
    InputError
        Naming the file when it is malformed or holds no kabupaten/kota of the province.
    """
    return read_boundary_rows(path, check_utf8(path), prefix=province + ".",
                              code_pattern=REGENCY_CODE)


def regency_of(code: str, regions: list[BoundaryRow], regions_path: Path) -> BoundaryRow:
    """Return the row of kabupaten/kota ``code`` in the province's dump.

    Raises
    ------
    InputError
        Naming the code and the file when the code is not a kabupaten/kota there.
    """
    for row in regions:
        if row.code == code:
            return row
    raise InputError(str(regions_path), f"unknown kabupaten/kota code {code!r}: not among the "
                                        f"{len(regions)} of province {code[:2]} in "
                                        f"{regions_path.name}", feature=code)


def convert_sources(raw: dict[str, Path], out_dir: Path, *,
                    code: str = DEFAULT_REGENCY_CODE) -> dict[str, Any]:
    """Convert the raw files of regency ``code`` into its data files (all but ``SOURCES.md``).

    Parameters
    ----------
    raw
        Path of each raw file by :attr:`gis.fetch_sources.RawSource.key`; ``schools`` only for
        a regency with a school list.
    out_dir
        An existing directory to write into.
    code
        The regency's Kemendagri code.

    Returns
    -------
    dict
        Counts and figures for ``SOURCES.md`` and the command's report, with the regency's
        ``code``, ``code_bps``, ``name`` and ``files``.

    Raises
    ------
    InputError
        Naming the raw file, row and field at fault.
    """
    texts = {key: check_utf8(Path(p)) for key, p in raw.items()}
    regions = read_boundary_rows(raw["regions"], texts["regions"], prefix=code[:2] + ".",
                                 code_pattern=REGENCY_CODE)
    row = regency_of(code, regions, raw["regions"])
    villages = read_boundary_rows(raw["villages"], texts["villages"],
                                  prefix=code + ".", code_pattern=VILLAGE_CODE)
    kecamatan = read_boundary_rows(raw["kecamatan"], texts["kecamatan"],
                                   prefix=code + ".", code_pattern=KECAMATAN_CODE)
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
    province_bridge = read_tsv_pairs(raw["bps_to_dagri"], texts["bps_to_dagri"],
                                     prefix=code[:2])
    code_bps = next((bps for _, bps, dagri in province_bridge
                     if len(bps) == 4 and dagri == code), None)
    if code_bps is None:
        raise InputError(str(raw["bps_to_dagri"]), f"no BPS code maps to regency {code}",
                         feature=code)
    regency = Regency(code=code, code_bps=code_bps, name=row.name)
    stem = regency_stem(regency.name)
    files = output_files(stem)
    bridge = [r for r in province_bridge if r[1].startswith(code_bps)]
    names = read_tsv_pairs(raw["bps_names"], texts["bps_names"], prefix=code_bps)
    cw = build_crosswalk(villages, kecamatan, bridge, names, raw["bps_to_dagri"], code_bps)

    vout = build_villages(villages, kec_names, cw, regency)
    write_villages(out_dir, stem, vout)
    write_code_table(out_dir / files[2], vout, cw)
    kec_info = build_kecamatan(out_dir, stem, kecamatan, vout, cw)
    boundary = build_boundary(out_dir / files[5], vout, regency, regions)

    schools_qa: dict[str, int] = {}
    schools_by_type: dict[str, int] = {}
    if "schools" in raw:
        schools = read_schools(raw["schools"], texts["schools"],
                               region_key=SCHOOL_REGIONS[code])
        place_schools(schools, [(v.props["kode"], v.props["nama"], v.props["kode_kec"],
                                 v.geometry) for v in vout], kec_names, raw["schools"])
        write_schools(out_dir / files[6], schools)
        schools_qa = dict(Counter(s.qa for s in schools))
        schools_by_type = dict(Counter(s.bentuk for s in schools))
        n_schools = len(schools)
    else:
        write_geojson(out_dir / files[6], [])
        n_schools = 0

    return {
        "code": regency.code,
        "code_bps": regency.code_bps,
        "name": regency.name,
        "villages": len(vout),
        "desa": sum(v.props["jenis"] == "desa" for v in vout),
        "kelurahan": sum(v.props["jenis"] == "kelurahan" for v in vout),
        "kecamatan": len(kecamatan),
        "villages_per_kecamatan": [counts[k] for k in sorted(kec_names)],
        "kecamatan_with_holes": [f"{k['nama']} ({k['holes']})" for k in kec_info if k["holes"]],
        "inner_points": [v.props["kode"] for v in vout if not v.centroid_inside],
        "matched_by_name": cw.by_name,
        "no_bps_code": cw.no_bps,
        "boundary": boundary,
        "schools_source": "schools" in raw,
        "schools_note": "" if "schools" in raw else (
            "the school list was not among the local raw files" if code in SCHOOL_REGIONS
            else "the sources hold no school list for this regency"),
        "schools": n_schools,
        "schools_qa": schools_qa,
        "schools_by_type": schools_by_type,
        "files": list(files),
    }


def _build_regency(code: str, raw: dict[str, Path], sources: tuple[RawSource, ...],
                   origin: str, work: Path) -> dict[str, Any]:
    """Convert regency ``code`` into the (existing, empty) directory ``work``, whole."""
    summary = convert_sources(raw, work, code=code)
    files = tuple(summary["files"])
    regency = Regency(summary["code"], summary["code_bps"], summary["name"])
    (work / "SOURCES.md").write_text(sources_md(regency, files, summary, sources, raw, origin,
                                                work), encoding="utf-8")
    shutil.copyfile(packaged_data_dir() / "LICENSES.md", work / "LICENSES.md")
    write_checksums(work, files[:-1])
    return summary


def fetch_regency_data(out_dir: Path | str, *, regency: str = DEFAULT_REGENCY_CODE,
                       from_dir: Path | str | None = None, force: bool = False,
                       base_url: str = DEFAULT_BASE_URL,
                       show_progress: bool = True) -> dict[str, Any]:
    """Download (or take from ``from_dir``) the raw sources and build one regency's directory.

    Parameters
    ----------
    out_dir
        The regency data directory to write (created if needed).
    regency
        Kemendagri code of the kabupaten/kota (default: the packaged one, 35.16).
    from_dir
        A directory holding the raw files already downloaded (by file name or under their
        repository paths); nothing is downloaded then.
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
        A malformed or unknown code, ``out_dir`` already holding data (without ``force``), a
        download that fails (naming the URL), a raw file missing or malformed (naming the
        file, row and field).
    """
    code = check_regency_code(regency)
    out_dir = Path(out_dir).expanduser()
    names = [f for f in os.listdir(out_dir) if f.endswith("_boundary.geojson")] \
        if out_dir.is_dir() else []

    def body(out: Path) -> dict[str, Any]:
        files = RawFiles(from_dir=None if from_dir is None else
                          Path(from_dir).expanduser().resolve(),
                          raw_dir=out / RAW_SUBDIR, base_url=base_url,
                          show_progress=show_progress)
        sources = regency_sources(code)
        first = files.get(sources[:1])  # the regions: is the code known at all?
        regency_of(code, read_regions(first["regions"], code[:2]), first["regions"])
        raw = files.get(sources)
        with tempfile.TemporaryDirectory(dir=out, prefix=".fetch-") as tmp:
            summary = _build_regency(code, raw, sources, files.origin, Path(tmp))
            for old in names:  # replaced (--force): another regency's files go
                for name in output_files(old.removesuffix("_boundary.geojson")):
                    if name not in summary["files"]:
                        (out / name).unlink(missing_ok=True)
            for name in summary["files"]:
                os.replace(Path(tmp) / name, out / name)
        return summary

    summary = write_atomically(out_dir, [*OUTPUT_FILES, *names], force, body)
    summary["out_dir"] = str(out_dir)
    return summary


def fetch_province_data(out_dir: Path | str, *, province: str,
                        from_dir: Path | str | None = None, force: bool = False,
                        base_url: str = DEFAULT_BASE_URL, show_progress: bool = True,
                        progress: Callable[[str, dict[str, Any]], None] | None = None
                        ) -> dict[str, Any]:
    """Build the data directory of every kabupaten/kota of a province, as ``out_dir/<code>``.

    Every regency is converted into a temporary directory first; the directories are moved
    into place only when all of them are built, so a failure leaves nothing half-written.

    Parameters
    ----------
    out_dir
        The directory to hold one sub-directory per kabupaten/kota.
    province
        Kemendagri province code (``35``).
    from_dir, force, base_url, show_progress
        As for :func:`fetch_regency_data`.
    progress
        Called with ``(code, summary)`` after each regency is converted.

    Returns
    -------
    dict
        ``province``, ``out_dir``, totals and one summary per regency (``regencies``).

    Raises
    ------
    InputError
        As :func:`fetch_regency_data`; an unknown province names the regions file.
    """
    province = check_province_code(province)
    out_dir = Path(out_dir).expanduser()
    existing = sorted(p.name for p in out_dir.glob(f"{province}.*")) if out_dir.is_dir() else []

    def body(out: Path) -> dict[str, Any]:
        files = RawFiles(from_dir=None if from_dir is None else
                          Path(from_dir).expanduser().resolve(),
                          raw_dir=out / RAW_SUBDIR, base_url=base_url,
                          show_progress=show_progress)
        src = regions_source(province)
        regions_path = files.get((src,))["regions"]
        regions = read_regions(regions_path, province)
        summaries = []
        with tempfile.TemporaryDirectory(dir=out, prefix=".fetch-") as tmp:
            for row in sorted(regions, key=lambda r: r.code):
                sources = regency_sources(row.code)
                work = Path(tmp) / row.code
                work.mkdir()
                summary = _build_regency(row.code, files.get(sources), sources, files.origin,
                                         work)
                summary["out_dir"] = str(out / row.code)
                summaries.append(summary)
                if progress is not None:
                    progress(row.code, summary)
            for s in summaries:
                dest = out / s["code"]
                if dest.exists():
                    shutil.rmtree(dest)
                os.replace(Path(tmp) / s["code"], dest)
        return {
            "province": province,
            "out_dir": str(out),
            "regencies": summaries,
            "villages": sum(s["villages"] for s in summaries),
            "kecamatan": sum(s["kecamatan"] for s in summaries),
        }

    return write_atomically(out_dir, existing, force, body)
