"""``fonet otdr read`` and ``fonet otdr locate``: OTDR traces onto the map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json, tr
from fonet.errors import InputError

otdr_app = typer.Typer(help="OTDR traces (Telcordia SR-4731 .sor): read them, locate a break.",
                       no_args_is_help=True)


@otdr_app.command("read")
@handle_errors
def otdr_read(
    file: Annotated[Path, typer.Argument(help="An SR-4731 (.sor) file, version 1 or 2.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Read an OTDR trace: wavelength, index, pulse width, key events, end of fibre."""
    from fonet.otdr import read_sor

    trace = read_sor(file)
    out = trace.as_dict()
    if as_json:
        print_json(out)
        return
    gen = trace.general
    err_console.print(tr(
        "cli.otdr.head", file=file.name, version=trace.version, nm=f"{trace.wavelength_nm:g}",
        index=f"{trace.index:g}", pulse=trace.pulse_width_ns, points=len(trace.points),
        resolution=f"{trace.resolution_m:.3f}", a=gen.get("location_a", ""),
        b=gen.get("location_b", "")), highlight=False)
    for e in out["events"]:
        refl = ("" if e["reflectance_db"] is None else
                tr("cli.otdr.reflectance", db=e["reflectance_db"]))
        err_console.print("  " + tr("cli.otdr.event", n=f"{e['number']:>3}",
                                    distance=f"{e['distance_m']:>10.2f}", type=f"{e['type']:<15}",
                                    loss=f"{e['loss_db']:.3f}", reflectance=refl),
                          highlight=False)
    err_console.print(tr("cli.otdr.end", m=out["end_of_fibre_m"]), highlight=False)
    if trace.checksum_ok is False:
        err_console.print(tr("cli.otdr.checksum"), style="yellow", highlight=False)


@otdr_app.command("locate")
@handle_errors
def otdr_locate(
    file: Annotated[Path | None, typer.Argument(help="The SR-4731 trace whose end of fibre "
                                                     "is the break.")] = None,
    link: Annotated[str | None, typer.Option(help="The link measured (name).")] = None,
    cable: Annotated[int | None, typer.Option(help="The cable measured (span id).")] = None,
    from_: Annotated[str, typer.Option("--from", help="The measuring end: site code, device "
                                                      "name or node:ID.")] = "",
    distance_m: Annotated[float | None, typer.Option(
        "--distance-m", help="Optical distance to the break, instead of a file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Locate a break: the span, the point and its uncertainty, beside the SNMP section.

    Walks the link's (or cable's) fibre from the measuring end; the distance is the trace's
    end of fibre or --distance-m.
    """
    from fonet.otdr import locate_break, read_sor
    from fonet.store import reader, require_current

    if not from_:
        raise InputError("--from", "name the measuring end (site code, device or node:ID)")
    if (file is None) == (distance_m is None):
        raise InputError("otdr locate", "give either an SOR file or --distance-m")
    trace = read_sor(file) if file is not None else None
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        out = locate_break(s, link=link, cable=cable, from_=from_, distance_m=distance_m,
                           trace=trace, source=str(file) if file else "--distance-m")
    if as_json:
        print_json(out)
        return
    sp, pt, near = out["span"], out["point"], out["nearest"]
    err_console.print(tr("cli.otdr.path", path=out["path"], start=out["from"],
                         optical=out["optical_distance_m"], route=out["route_distance_m"],
                         uncertainty=out["uncertainty_m"]), highlight=False)
    err_console.print(tr("cli.otdr.span", span=sp["span_id"], order=sp["order"], of=sp["of"],
                         edge=sp["route_edge_id"], offset=sp["offset_m"], lon=pt["lon"],
                         lat=pt["lat"]), highlight=False)
    err_console.print(tr("cli.otdr.nearest", kind=near["kind"], node=near.get("node_id") or "",
                         m=near["route_distance_m"], direction=near["direction"]),
                      highlight=False)
    section = out["snmp_section"]
    if section is not None:
        verdict = (tr("cli.otdr.agrees") if section["agrees"] else
                   tr("cli.otdr.disagrees", message=section["message"]))
        err_console.print(tr("cli.otdr.snmp", spans=section["spans"][:6], verdict=verdict),
                          highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``fonet otdr`` to ``app``."""
    app.add_typer(otdr_app, name="otdr")
