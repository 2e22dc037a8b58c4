"""``fonet init``, ``fonet summary`` and ``fonet import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, label, print_json, settings, tr

import_app = typer.Typer(help="Add sites or a road network to the store.", no_args_is_help=True)


def _init_dirs(data_dir: Path | None, regency: str | None,
               province: str | None) -> list[Path]:
    """Return the regency data directories ``fonet init`` loads."""
    from fonet.config import default_fetch_dir
    from fonet.datasets import packaged_data_dir
    from fonet.errors import InputError
    from gis.fetch_sources import check_province_code, check_regency_code
    from gis.load import boundary_code

    if regency is not None and province is not None:
        raise InputError("--regency/--province", "give one of them, not both")
    if province is not None:
        province = check_province_code(province)
        base = data_dir or default_fetch_dir(province)
        dirs = sorted(d for d in base.glob(f"{province}.*") if d.is_dir()) \
            if base.is_dir() else []
        if not dirs:
            raise InputError(str(base), f"no kabupaten/kota data of province {province} here "
                                        f"(run `fonet data fetch --province {province}`)")
        return dirs
    if regency is None:
        return [data_dir or settings().regency_dir]
    code = check_regency_code(regency)
    directory = data_dir or default_fetch_dir(code)
    if data_dir is None and not directory.exists() and \
            boundary_code(packaged_data_dir()) == code:
        directory = packaged_data_dir()
    if not directory.is_dir():
        raise InputError(str(directory), f"no data of regency {code} here (run `fonet data "
                                         f"fetch --regency {code}`)")
    found = boundary_code(directory)
    if found is not None and found != code:
        raise InputError(str(directory), f"holds regency {found}, not {code}", feature=code)
    return [directory]


@handle_errors
def init(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Regency data directory (with --province: the directory holding "
                          "one per kabupaten/kota) [default: with a code, the per-user data "
                          "folder of that code; else FONET_DATA_DIR, else the regency data "
                          "packaged with fonet]."),
    ] = None,
    regency: Annotated[
        str | None, typer.Option("--regency", help="Load this kabupaten/kota (e.g. 35.17), "
                                                   "beside the regencies already loaded.")
    ] = None,
    province: Annotated[
        str | None, typer.Option("--province", help="Load every kabupaten/kota of this "
                                                    "province (e.g. 35).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild a store that already holds regencies "
                                           "(drops their sites, route graph and plans).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create the store (or upgrade its schema) and load a regency, or a whole province.

    Loads the villages, kecamatan, the boundary and the schools (where the regency has a school
    list) from the data directory, places one approximate office per village and kecamatan,
    and derives the corridor graph between neighbouring villages. One store holds several
    regencies, keyed by code. The store is FONET_DB_URL (an SQLite file by default).
    """
    from gis.load import init_store

    dirs = _init_dirs(data_dir, regency, province)

    def loaded(code: str, counts: dict) -> None:
        if len(dirs) > 1 and not as_json:
            err_console.print(tr("cli.init.regency_row", code=code, villages=counts["villages"],
                                 kecamatan=counts["kecamatan"], edges=counts["route_edges"]),
                              highlight=False)

    where = dirs[0] if len(dirs) == 1 else tr("cli.init.dirs", n=len(dirs), path=dirs[0].parent)
    with err_console.status(tr("cli.init.loading", path=where)):
        result = init_store(engine(), dirs, force=force, progress=loaded)
    if as_json:
        print_json(result)
    elif result["status"] == "unchanged":
        err_console.print(tr("cli.init.unchanged"))
    else:
        err_console.print(tr(
            f"cli.init.{result['status']}", regencies=", ".join(result["regencies"]),
            villages=result["villages"], kecamatan=result["kecamatan"],
            schools=result["schools"], skipped=result.get("schools_skipped_no_coordinates", 0),
            nodes=result["route_nodes"], edges=result["route_edges"]), highlight=False)


@handle_errors
def summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show what the store holds: areas, sites by kind, and the route graph."""
    from fonet.store import reader, require_current
    from fonet.summary import summary as make_summary

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        result = make_summary(s)
    if as_json:
        print_json(result)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=tr("cli.summary.title"), show_header=False)
    for key, value in result.items():
        if isinstance(value, dict):  # counts by a code: the code's label where it has one
            value = ", ".join(f"{label('map.site.', k)}: {v}" for k, v in value.items())
        table.add_row(label("cli.summary.", key), str(value))
    Console().print(table)


@import_app.command("sites")
@handle_errors
def import_sites_cmd(
    file: Annotated[Path, typer.Argument(help="CSV with code,name,kind,lon,lat columns, or "
                                              "GeoJSON points with code,name,kind properties.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Add OPD offices and other sites, checked against the regency, in one transaction.

    Kinds: core_pop, hub, kecamatan_office, village_office, opd, school, puskesmas, rsud,
    closure, odf, other. Optional columns: location_source (surveyed, imported (default) or
    approximate), connected (true/false: already served by fibre), capacity_mbps, and for a
    school its level (SD, SMP, SMA, SMK, SLB). Other columns are kept as attributes. Sites in
    Kota Mojokerto (the hole in the regency) are accepted; sites beyond the regency's outer
    boundary plus 3 km are refused.
    """
    from gis.load import import_sites

    result = import_sites(engine(), file)
    if as_json:
        print_json(result)
    else:
        kinds = ", ".join(f"{n} {label('map.site.', k)}" for k, n in result["by_kind"].items())
        err_console.print(tr("cli.import.sites", n=result["imported"], file=file, kinds=kinds),
                          highlight=False)


@import_app.command("roads")
@handle_errors
def import_roads_cmd(
    file: Annotated[Path, typer.Argument(help="OpenStreetMap extract: .osm.pbf or .osm XML.")],
    buffer_km: Annotated[float, typer.Option(help="Keep roads this far outside the regency's "
                                                  "outer boundary.")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Replace the corridor graph by the roads of an OpenStreetMap extract.

    Roads a cable can follow (motorway to residential, unclassified, service, track, living
    street) are clipped to the regency plus the buffer, chains between junctions merged, lengths
    measured geodesically; every site is joined again to its nearest road node. Refused while
    stored plans ride the current graph.
    """
    from gis.load import import_roads

    with err_console.status(tr("cli.import.roads_progress", file=file)):
        result = import_roads(engine(), file, buffer_m=buffer_km * 1000)
    if as_json:
        print_json(result)
    else:
        err_console.print(tr("cli.import.roads", edges=result["route_edges"],
                             km=result["road_km"], components=result["components"],
                             drops=result["drops"]), highlight=False)


@import_app.command("network")
@handle_errors
def import_network_cmd(
    file: Annotated[Path, typer.Argument(help="As-built network: GeoJSON, GeoPackage or KML "
                                              "lines (id, cores, install_method, status, "
                                              "owner, year, cores_used) and points (id, kind "
                                              "closure|odf, name).")],
    tolerance_m: Annotated[float, typer.Option(help="How far a cable may lie from the route "
                                                    "edges it follows.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Store built cable as inventory, snapped to the route graph, in one transaction.

    Where a cable follows route edges, a built span is stored along each; where it leaves
    them, its own line becomes a new route edge. Lines that touch the route graph nowhere are
    reported and not stored. Plans then reuse the built cable's spare cores.
    """
    from gis.load import import_network

    result = import_network(engine(), file, tolerance_m=tolerance_m)
    if as_json:
        print_json(result)
    else:
        err_console.print(tr(
            "cli.import.network", cables=result["cables"], spans=result["spans"],
            snapped_km=result["snapped_km"], new_edges=result["new_route_edges"],
            new_km=result["new_km"], points=result["points"],
            not_snapped=", ".join(result["not_snapped"]) or tr("cli.none")), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the inventory commands to ``app``."""
    app.command()(init)
    app.command()(summary)
    app.add_typer(import_app, name="import")
