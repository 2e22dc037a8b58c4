"""``fonet fibre ...`` (the physical fibre layer) and ``fonet trace``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import engine, err_console, handle_errors, print_json, tr
from fonet.errors import EXIT_FAILURE, InputError

fibre_app = typer.Typer(help="The fibre layer: cables, fibres, closures, splices, circuits.",
                        no_args_is_help=True)


def _fibre_ref(text: str, option: str) -> tuple[str, int]:
    """``CABLE/N`` → (cable, number)."""
    cable, sep, number = text.rpartition("/")
    if not sep or not cable or not number.isdigit():
        raise InputError(option, f"expected CABLE/NUMBER (cable code or id), got {text!r}")
    return cable, int(number)


@fibre_app.command("design")
@handle_errors
def design_cmd(
    plan: Annotated[int, typer.Option(help="Plan id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Turn a plan into cables, closures, ODFs, fibre assignment and splices.

    Cables are cut at drum length and at branch points; every planned link gets a fibre pair
    on a continuous path; rings run on their own cables; each cable keeps spares by the
    profile's rule. A re-run keeps what is built and what still fits.
    """
    from fonet.fibre.design import design
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with err_console.status(tr("cli.fibre.progress")), transaction(eng) as s:
        result = design(s, plan).to_json()
    if as_json:
        print_json(result)
        return
    err_console.print(tr(
        "cli.fibre.design", plan=plan, cables=result["cables"], created=result["cables_created"],
        kept=result["cables_kept"], removed=result["cables_removed"],
        closures=result["closures"], odfs=result["odfs"], fibres=result["fibres"],
        splices=result["splices"], circuits=result["circuits"],
        circuits_kept=result["circuits_kept"]), highlight=False)
    for row in result["unassigned"]:
        err_console.print("  " + tr("cli.fibre.unassigned", link=row["link"], cable=row["cable"]),
                          highlight=False)


@fibre_app.command("check")
@handle_errors
def check_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"violations\": [...]}.")
                       ] = False,
) -> None:
    """Check the fibre layer's rules and report every violation (exit 1 if any)."""
    from fonet.fibre.integrity import check
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        violations = check(s)
    if as_json:
        print_json({"violations": violations})
    else:
        for v in violations:
            err_console.print(f"{v['check']}: {v['object']}: {v['message']}", highlight=False)
        err_console.print(tr("cli.fibre.violations", n=len(violations)), highlight=False)
    if violations:
        raise typer.Exit(EXIT_FAILURE)


@fibre_app.command("cut")
@handle_errors
def cut_cmd(
    cable: Annotated[list[str], typer.Option(help="A cut cable (code or id); repeatable.")],
    plan: Annotated[int | None, typer.Option(help="Plan id [default: the newest].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What-if: cut whole cables; the circuits on their fibres break, and spares to restore."""
    from fonet.noc.impact import cable_cut
    from fonet.noc.topology import load_topology
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        topo = load_topology(s, plan)
        result = cable_cut(s, topo, cable)
    if as_json:
        print_json(result)
        return
    circuits = result["failed"]["circuits"]
    err_console.print(tr("cli.fibre.cut", circuits=len(circuits),
                         sites=result["cut_off"]["count"]), highlight=False)
    for c in circuits:
        spares = "; ".join(f"{r['cable']}: " + ", ".join(str(f["fibre"]) for f in r["spare"])
                           for r in c["restore"] if r["cut"])
        err_console.print("  " + tr("cli.fibre.spares", link=c["link"],
                                    spares=spares or tr("cli.none")), highlight=False)


@fibre_app.command("locate")
@handle_errors
def locate_cmd(
    plan: Annotated[int | None, typer.Option(help="Plan id [default: the newest].")] = None,
    limit: Annotated[int, typer.Option(help="Cables listed.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Rank the cables whose cut explains the links down now (their circuits' fibres)."""
    from fonet.fibre.restore import locate_cables
    from fonet.noc.locate import live_states
    from fonet.noc.topology import load_topology
    from fonet.store import reader, require_current

    if limit < 1:
        raise InputError("--limit", f"must be at least 1, got {limit}")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        down, up = live_states(s, load_topology(s, plan))
        result = locate_cables(s, down, up, limit=limit)
    if as_json:
        print_json(result)
        return
    err_console.print(tr("cli.fibre.down", n=len(result["down_links"])), highlight=False)
    for c in result["candidates"]:
        err_console.print(tr("cli.fibre.candidate", rank=f"{c['rank']:>3}", cable=c["cable"],
                             explains=len(c["explains"]),
                             contradicted=len(c["contradicted_by"])), highlight=False)


@fibre_app.command("sheet")
@handle_errors
def sheet_cmd(
    closure: Annotated[str, typer.Argument(help="Closure code or id.")],
    out: Annotated[Path | None, typer.Option(help="Write the sheet: .pdf or .xlsx.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show a closure's splice sheet: tray, in-fibre and out-fibre with colours, circuit."""
    from fonet.fibre.sheets import splice_sheet
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        sheet = splice_sheet(s, closure)
    if out is not None:
        from gis.export.fibre_docs import write_splice_sheet

        write_splice_sheet(sheet, out)
        err_console.print(tr("cli.wrote", path=out), highlight=False)
    if as_json:
        print_json(sheet)
    elif out is None:
        for r in sheet["splices"]:
            a, b = r["in"], r["out"]
            err_console.print(tr(
                "cli.fibre.tray", tray=r["tray"],
                a=f"{a['cable']}/{a['fibre']} {a['tube_colour']}/{a['colour']}",
                b=f"{b['cable']}/{b['fibre']} {b['tube_colour']}/{b['colour']}",
                circuit=r["circuit"] or ""), highlight=False)


@fibre_app.command("schematic")
@handle_errors
def schematic_cmd(
    cable: Annotated[str, typer.Argument(help="Cable code or id.")],
    out: Annotated[Path | None, typer.Option(help="Draw it: .pdf or .png.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show a cable's fibres by tube and where each goes at both ends."""
    from fonet.fibre.sheets import cable_schematic
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        sch = cable_schematic(s, cable)
    if out is not None:
        from gis.export.fibre_docs import write_schematic

        write_schematic(sch, out)
        err_console.print(tr("cli.wrote", path=out), highlight=False)
    if as_json or out is None:
        print_json(sch)


@fibre_app.command("add-closure")
@handle_errors
def add_closure_cmd(
    code: Annotated[str, typer.Argument(help="Closure code.")],
    node: Annotated[int, typer.Option(help="Route node id.")],
    kind: Annotated[str, typer.Option(help="branch or joint.")] = "joint",
) -> None:
    """Add a closure at a route node."""
    from fonet.fibre.edit import add_closure
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        c = add_closure(s, code, node, kind=kind)
        err_console.print(tr("cli.fibre.closure_added", code=c.code, id=c.id), highlight=False)


@fibre_app.command("add-cable")
@handle_errors
def add_cable_cmd(
    code: Annotated[str, typer.Argument(help="Cable code.")],
    edges: Annotated[str, typer.Option(help="Route edge ids in order, comma-separated.")],
    cores: Annotated[int, typer.Option(help="Core count.")],
    tubes: Annotated[str, typer.Option(help="Tube layout, e.g. 4x12.")],
    colours: Annotated[str, typer.Option(help="Colour standard.")] = "TIA-598",
    method: Annotated[str, typer.Option(help="Install method.")] = "aerial",
    a_closure: Annotated[str | None, typer.Option(help="Closure at the A end.")] = None,
    a_odf: Annotated[str | None, typer.Option(help="ODF at the A end.")] = None,
    z_closure: Annotated[str | None, typer.Option(help="Closure at the Z end.")] = None,
    z_odf: Annotated[str | None, typer.Option(help="ODF at the Z end.")] = None,
) -> None:
    """Add a cable along route edges, with its fibres coloured by the standard."""
    from fonet.fibre.edit import add_cable
    from fonet.store import require_current, transaction

    try:
        ids = [int(x) for x in edges.split(",") if x.strip()]
    except ValueError:
        raise InputError("--edges", f"expected route edge ids, got {edges!r}") from None
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        c = add_cable(s, code, ids, cores=cores, tube_layout=tubes, colour_standard=colours,
                      install_method=method, a_closure=a_closure, a_odf=a_odf,
                      z_closure=z_closure, z_odf=z_odf)
        err_console.print(tr("cli.fibre.cable_added", code=c.code, id=c.id, cores=c.cores),
                          highlight=False)


@fibre_app.command("splice")
@handle_errors
def splice_cmd(
    closure: Annotated[str, typer.Argument(help="Closure code or id.")],
    a: Annotated[str, typer.Option("--a", help="One fibre: CABLE/NUMBER.")],
    b: Annotated[str, typer.Option("--b", help="The other fibre: CABLE/NUMBER.")],
    tray: Annotated[int | None, typer.Option(help="Tray [default: by count].")] = None,
) -> None:
    """Splice two fibres of cables ending at a closure."""
    from fonet.fibre.edit import splice
    from fonet.store import require_current, transaction

    fa, fb = _fibre_ref(a, "--a"), _fibre_ref(b, "--b")
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        sp = splice(s, closure, fa, fb, tray=tray)
        err_console.print(tr("cli.fibre.splice_added", id=sp.id, tray=sp.tray), highlight=False)


@fibre_app.command("assign")
@handle_errors
def assign_cmd(
    link: Annotated[str, typer.Argument(help="Link name or id.")],
    strand1: Annotated[str, typer.Option(help="Strand 1: CABLE/N,CABLE/N,... from A to Z.")],
    strand2: Annotated[str, typer.Option(help="Strand 2: CABLE/N,CABLE/N,... from A to Z.")],
) -> None:
    """Put a link on a fibre pair (free fibres already spliced end to end)."""
    from fonet.fibre.edit import assign
    from fonet.store import require_current, transaction

    strands = [[_fibre_ref(x.strip(), opt) for x in text.split(",") if x.strip()]
               for text, opt in ((strand1, "--strand1"), (strand2, "--strand2"))]
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        circ = assign(s, link, strands)
        err_console.print(tr("cli.fibre.circuit_added", id=circ.id, link=link), highlight=False)


@handle_errors
def trace(
    link: Annotated[str | None, typer.Argument(help="Link name or id.")] = None,
    cable: Annotated[str | None, typer.Option(help="Cable code or id (with --fibre).")] = None,
    fibre: Annotated[int | None, typer.Option(help="Fibre number (with --cable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Trace a link's circuit fibre by fibre, or tell which circuit uses a fibre.

    Each hop: ODF port and patch, cable with fibre number and colours, closure and splice,
    with cumulative length and loss (the planner's loss rule).
    """
    from fonet.fibre.lookup import find_link
    from fonet.fibre.trace import trace_circuit, trace_fibre
    from fonet.store import reader, require_current

    if (link is None) == (cable is None):
        raise InputError("trace", "name a LINK, or a fibre with --cable and --fibre")
    if cable is not None and fibre is None:
        raise InputError("--fibre", "--cable needs --fibre N")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        result: dict[str, Any] = (trace_circuit(s, find_link(s, link)) if link is not None
                                  else trace_fibre(s, cable, fibre))  # type: ignore[arg-type]
    if as_json:
        print_json(result)
        return
    got = result if link is not None else result.get("trace")
    if link is None:
        err_console.print(tr("cli.fibre.strand_state", fibre=f"{result['cable']}/{result['fibre']}",
                             colour=f"{result['tube_colour']}/{result['colour']}",
                             state=result["state"], circuit=result["circuit"] or tr("cli.none")),
                          highlight=False)
    if got is None:
        return
    for st in got["strands"]:
        err_console.print(tr("cli.fibre.strand", n=st["strand"]), highlight=False)
        for h in st["hops"]:
            err_console.print(f"  {_hop_text(h):<70} {h['cum_length_m']:>10.1f} m "
                              f"{h['cum_loss_db']:>7.2f} dB", highlight=False)
    err_console.print(tr("cli.fibre.trace", link=got["link"], length=f"{got['length_m']:.1f}",
                         splices=got["splices"], loss=got["loss_db"], nm=got["wavelength_nm"],
                         budget=got["budget_db"], transceiver=got["transceiver"]),
                      highlight=False)


def _hop_text(h: dict[str, Any]) -> str:
    if h["kind"] == "port":
        return (tr("cli.fibre.hop_port", port=h.get("port"), odf=h.get("odf"))
                + (f" -> {h.get('interface') or h.get('patch')}" if h.get("patch") else ""))
    if h["kind"] == "splice":
        return tr("cli.fibre.hop_splice", closure=h["closure"], tray=h["tray"])
    return tr("cli.fibre.hop_fibre", cable=h["cable"], fibre=h["fibre"],
              colour=f"{h['tube_colour']}/{h['colour']}", length=f"{h['length_m']:.0f}")


def register(app: typer.Typer) -> None:
    """Add ``fibre`` and ``trace`` to ``app``."""
    app.add_typer(fibre_app, name="fibre")
    app.command()(trace)
