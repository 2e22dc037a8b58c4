"""``fonet export``: the masterplan files of a stored plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json
from gis.export import ExportFormat, Lang


@handle_errors
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    out: Annotated[Path, typer.Option("--out", "-o", help=(
        "Output file (gpkg, kml, png, pdf), folder (geojson), or CSV prefix: PREFIX_bom.csv "
        "and PREFIX_coverage.csv, or bom.csv and coverage.csv inside an existing folder."))],
    plan: Annotated[int | None, typer.Option("--plan", help="Plan id [default: the newest "
                                                            "plan].")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of labels and legends.")]
    = Lang.id,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export a plan: GeoPackage, GeoJSON, KML, CSV tables or the A3 map (PNG, PDF).

    The GeoPackage carries a QGIS style per layer, GeoJSON is one RFC 7946 file per layer,
    KML has a folder per kecamatan for Google Earth, CSV gives the bill of materials and the
    coverage per kecamatan. Every file is written under a temporary name and renamed when
    complete.
    """
    from fonet.store import require_current
    from gis.export import export_plan

    eng = engine()
    require_current(eng)
    result = export_plan(eng, plan, fmt.value, out, lang=lang.value)
    if as_json:
        print_json(result)
    else:
        err_console.print(f"Plan {result['plan_id']} exported as {result['format']} in "
                          f"{result['seconds']} s:")
        for f in result["files"]:
            typer.echo(f)


def register(app: typer.Typer) -> None:
    """Add ``fonet export`` to the application."""
    app.command("export")(export)
