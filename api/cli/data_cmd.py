"""``fonet data fetch``: build the regency data directory from its public sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import err_console, handle_errors, print_json, settings, tr

data_app = typer.Typer(help="Get the geographic data of a regency or province.",
                       no_args_is_help=True)


@data_app.command("fetch")
@handle_errors
def fetch(
    regency: Annotated[
        str | None,
        typer.Option("--regency", help="Kemendagri code of the kabupaten/kota to build, e.g. "
                                       "35.17 [default: 35.16, the packaged regency]."),
    ] = None,
    province: Annotated[
        str | None,
        typer.Option("--province", help="Build every kabupaten/kota of this province (e.g. "
                                        "35), one sub-directory per code."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write (default: the per-user data folder "
                                   "for the code; without a code FONET_DATA_DIR, else the "
                                   "per-user folder; never the data packaged with fonet)."),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option("--from-dir", help="Convert raw source files already downloaded into this "
                                        "directory (by file name or under their repository "
                                        "paths) instead of downloading them."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace data files already in the directory.")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Server for the raw files, fetched as "
                                        "BASE/OWNER/REPO/COMMIT/PATH (default: "
                                        "https://raw.githubusercontent.com)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Download the public sources at pinned commits and convert them into the data files.

    Villages, kecamatan and kabupaten/kota: cahyadsn/wilayah_boundaries. BPS codes:
    kodewilayah/explorer. Schools (Kabupaten Mojokerto only): suryavip/daftar-sekolah-indonesia
    (all MIT licensed).

    Downloads are kept in OUT/raw, and OUT/SOURCES.md records where and when each came from.
    """
    from fonet.config import default_fetch_dir
    from fonet.errors import InputError
    from gis.fetch import DEFAULT_REGENCY_CODE, fetch_province_data, fetch_regency_data
    from gis.fetch_sources import DEFAULT_BASE_URL

    if regency is not None and province is not None:
        raise InputError("--regency/--province", "give one of them, not both")
    code = province or regency
    directory = out or (default_fetch_dir(code) if code else
                        settings().data_dir or default_fetch_dir())
    url = base_url or DEFAULT_BASE_URL
    if from_dir is None:  # the download draws its own progress bars
        err_console.print(tr("cli.data.downloading", path=directory / "raw"), highlight=False)
    if province is not None:
        def done(c: str, summary: dict) -> None:
            if not as_json:
                err_console.print(tr("cli.data.province_row", code=c, name=summary["name"],
                                     villages=summary["villages"],
                                     kecamatan=summary["kecamatan"]), highlight=False)

        result = fetch_province_data(directory, province=province, from_dir=from_dir,
                                     force=force, base_url=url,
                                     show_progress=not as_json and from_dir is None,
                                     progress=done)
        if as_json:
            print_json(result)
            return
        err_console.print(tr("cli.data.province_wrote", n=len(result["regencies"]),
                             path=result["out_dir"], villages=result["villages"],
                             kecamatan=result["kecamatan"]), highlight=False)
        return
    with err_console.status(tr("cli.data.building", path=directory)):
        result = fetch_regency_data(directory, regency=regency or DEFAULT_REGENCY_CODE,
                                    from_dir=from_dir, force=force, base_url=url,
                                    show_progress=not as_json and from_dir is None)
    if as_json:
        print_json(result)
        return
    if result["schools_source"]:
        qa = ", ".join(f"{k} {v}" for k, v in sorted(result["schools_qa"].items()))
        schools = tr("cli.data.schools", n=result["schools"], qa=qa)
    else:
        schools = tr("cli.data.no_schools", note=result["schools_note"])
    err_console.print(tr("cli.data.wrote", files=len(result["files"]), name=result["name"],
                         code=result["code"], path=result["out_dir"],
                         villages=result["villages"], kecamatan=result["kecamatan"],
                         area=result["boundary"]["luas_km2"], schools=schools),
                      highlight=False)
    for note in result["matched_by_name"]:
        err_console.print(f"  {note}", highlight=False)
    for note in result["no_bps_code"]:
        err_console.print(tr("cli.data.no_bps", note=note), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``data`` commands to ``app``."""
    app.add_typer(data_app, name="data")
