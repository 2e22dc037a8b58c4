"""``fonet data fetch``: build the regency data directory from its public sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import err_console, handle_errors, print_json, settings, tr

data_app = typer.Typer(help="Get the regency's geographic data.", no_args_is_help=True)


@data_app.command("fetch")
@handle_errors
def fetch(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write (default: FONET_DATA_DIR, else the "
                                   "per-user data folder; never the data packaged with "
                                   "fonet)."),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option("--from-dir", help="Convert raw source files already downloaded into this "
                                        "directory instead of downloading them."),
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

    Villages and kecamatan: cahyadsn/wilayah_boundaries. BPS codes: kodewilayah/explorer.
    Schools: suryavip/daftar-sekolah-indonesia (all MIT licensed).

    Downloads are kept in OUT/raw, and OUT/SOURCES.md records where and when each came from.
    """
    from fonet.config import default_fetch_dir
    from gis.fetch import fetch_regency_data
    from gis.fetch_sources import DEFAULT_BASE_URL

    directory = out or settings().data_dir or default_fetch_dir()
    if from_dir is None:  # the download draws its own progress bars
        err_console.print(tr("cli.data.downloading", path=directory / "raw"), highlight=False)
        result = fetch_regency_data(directory, force=force,
                                    base_url=base_url or DEFAULT_BASE_URL,
                                    show_progress=not as_json)
    else:
        with err_console.status(tr("cli.data.building", path=directory)):
            result = fetch_regency_data(directory, from_dir=from_dir, force=force)
    if as_json:
        print_json(result)
        return
    qa = ", ".join(f"{k} {v}" for k, v in sorted(result["schools_qa"].items()))
    err_console.print(tr("cli.data.wrote", files=len(result["files"]), path=result["out_dir"],
                         villages=result["villages"], kecamatan=result["kecamatan"],
                         area=result["boundary"]["luas_km2"], schools=result["schools"], qa=qa),
                      highlight=False)
    for note in result["matched_by_name"]:
        err_console.print(f"  {note}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``data`` commands to ``app``."""
    app.add_typer(data_app, name="data")
