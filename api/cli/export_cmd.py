"""``fonet export``: the masterplan files of a stored plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, print_json, tr
from fonet.errors import InputError, NotFoundError, StateError
from gis.export import ExportFormat, Lang


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    out: Annotated[Path, typer.Option("--out", "-o", help=(
        "Output file, its extension matching the format (.gpkg, .kml, .kmz, .png, .pdf; "
        ".pdf for atlas); a folder (geojson); or a CSV prefix: PREFIX_bom.csv and "
        "PREFIX_coverage.csv, or bom.csv and coverage.csv inside an existing folder."))],
    plan: Annotated[int | None, typer.Option("--plan", help="Plan id [default: the newest "
                                                            "plan].")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of labels and legends.")]
    = Lang.id,
    kecamatan: Annotated[str | None, typer.Option(
        "--kecamatan", help="atlas only: write this kecamatan's page alone (name or code).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export a plan: GeoPackage, GeoJSON, KML/KMZ, CSV tables, the A3 map or the atlas.

    The GeoPackage carries a QGIS style per layer, GeoJSON is one RFC 7946 file per layer,
    KML has a folder per kecamatan for Google Earth (KMZ: the same, zipped), CSV gives the
    bill of materials and the coverage per kecamatan, the atlas is one PDF: the A3 map, a
    table of contents, the ring schematic and a page per kecamatan. The output is checked
    before any work; files are written aside and put in place together when complete, so a
    failure leaves the previous export as it was.
    """
    try:
        _export(fmt, out, plan, lang, kecamatan, as_json)
    except (InputError, NotFoundError) as exc:
        typer.echo(f"{tr('cli.error')}: {exc}", err=True)
        raise typer.Exit(2) from None
    except StateError as exc:
        typer.echo(f"{tr('cli.error')}: {exc}", err=True)
        raise typer.Exit(1) from None


def _export(fmt: ExportFormat, out: Path, plan: int | None, lang: Lang, kecamatan: str | None,
            as_json: bool) -> None:
    from fonet.store import require_current
    from gis.export import export_plan

    eng = engine()
    require_current(eng)
    result = export_plan(eng, plan, fmt.value, out, lang=lang.value, kecamatan=kecamatan)
    if as_json:
        print_json(result)
    else:
        err_console.print(tr("cli.export.done", id=result["plan_id"], format=result["format"],
                             seconds=result["seconds"]), highlight=False)
        for f in result["files"]:
            typer.echo(f)


def register(app: typer.Typer) -> None:
    """Add ``fonet export`` to the application."""
    app.command("export")(export)
