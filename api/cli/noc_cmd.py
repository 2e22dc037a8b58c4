"""``fonet impact``, ``fonet locate-cut`` and ``fonet alarms``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.cli.common import (
    engine,
    err_console,
    handle_errors,
    label,
    language,
    print_json,
    tr,
)
from fonet.errors import InputError

alarms_app = typer.Typer(help="Alarms: list them, acknowledge them.", no_args_is_help=True)


def _print_sites(title: str, block: dict[str, Any]) -> None:
    err_console.print(f"{title}: {block['count']}", highlight=False)
    for code, row in block["by_kecamatan"].items():
        kinds = ", ".join(f"{n} {label('map.site.', k)}" for k, n in row["by_kind"].items())
        err_console.print(f"  {row['kecamatan'] or code}: {kinds}", highlight=False)


@handle_errors
def impact(
    span: Annotated[list[int] | None, typer.Option(help="A failed span (id); repeatable.")
                    ] = None,
    route_edge: Annotated[list[int] | None, typer.Option(
        help="A failed trench: every span along this route edge (id); repeatable.")] = None,
    link: Annotated[list[str] | None, typer.Option(help="A failed link (name); repeatable.")
                    ] = None,
    device: Annotated[list[str] | None, typer.Option(help="A failed device (name); "
                                                          "repeatable.")] = None,
    plan: Annotated[int | None, typer.Option(help="Plan id [default: the newest].")] = None,
    live: Annotated[bool, typer.Option("--live", help="The live state: links down now and "
                                                      "devices unreachable.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sites cut off from the core POP by failures, and those left without redundancy.

    Name failures (what-if) or take the live state with --live. A failed span fails every
    link riding it; a failed device fails the links on its interfaces and its site.
    """
    from fonet.noc.impact import live_impact, what_if
    from fonet.noc.topology import load_topology
    from fonet.store import reader, require_current

    named = bool(span or route_edge or link or device)
    if live and named:
        raise InputError("--live", "either name failures or use --live, not both")
    if not live and not named:
        raise InputError("impact", "name a failure (--span, --route-edge, --link, --device) "
                                   "or use --live")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        topo = load_topology(s, plan)
        result = (live_impact(s, topo) if live else
                  what_if(topo, spans=span or (), route_edges=route_edge or (),
                          links=link or (), devices=device or ()))
    if as_json:
        print_json(result)
        return
    failed = result["failed"]
    err_console.print(tr("cli.impact.failed", id=result["plan_id"], links=len(failed["links"]),
                         sites=len(failed["sites"])), highlight=False)
    _print_sites(tr("cli.impact.cut_off"), result["cut_off"])
    _print_sites(tr("cli.impact.no_redundancy"), result["without_redundancy"])


@handle_errors
def locate_cut(
    plan: Annotated[int | None, typer.Option(help="Plan id [default: the newest].")] = None,
    limit: Annotated[int, typer.Option(help="Candidates listed.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Rank where the fibre is probably cut, from the links down now and those still up.

    A candidate explains the down links riding it; a working link across it contradicts it.
    """
    from fonet.noc.grouping import explained_by_sites
    from fonet.noc.impact import live_failures
    from fonet.noc.locate import live_states, locate
    from fonet.noc.topology import load_topology
    from fonet.store import reader, require_current

    if limit < 1:
        raise InputError("--limit", f"must be at least 1, got {limit}")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        topo = load_topology(s, plan)
        down, up = live_states(s, topo)
        _, dead, _ = live_failures(s, topo)
        by_device = explained_by_sites(topo, down, dead)
        result = locate(topo, down - by_device, up, limit=limit)
        result["down_at_failed_devices"] = sorted(topo.links[i].name for i in by_device)
    if as_json:
        print_json(result)
        return
    err_console.print(tr("cli.locate.head", id=result["plan_id"],
                         down=len(result["down_links"]), up=result["up_links"],
                         unobserved=result["unobserved_links"]), highlight=False)
    for c in result["candidates"]:
        err_console.print(tr("cli.locate.candidate", rank=f"{c['rank']:>3}",
                             kind=tr(f"term.{c['kind']}"), spans=c["spans"][:6],
                             edges=c["route_edges"][:6], explains=len(c["explains"]),
                             contradicted=len(c["contradicted_by"])), highlight=False)
    if result["unexplained"]:
        err_console.print(tr("cli.locate.unexplained", links=", ".join(result["unexplained"])),
                          highlight=False)


@alarms_app.command("list")
@handle_errors
def alarms_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only open alarms.")] = False,
    limit: Annotated[int, typer.Option(help="Newest alarms read.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List root alarms, newest first, with the alarms grouped under each."""
    from fonet.i18n.keyed import localise
    from fonet.noc.alarms import list_alarms
    from fonet.store import reader, require_current

    if limit < 1:
        raise InputError("--limit", f"must be at least 1, got {limit}")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        rows = list_alarms(s, open_only=open_only, limit=limit)
    if as_json:
        print_json(rows)
        return
    lang = language()
    for a in rows:
        state = (tr("cli.alarm.open") if a["cleared_at"] is None else
                 tr("cli.alarm.cleared", seconds=f"{a['duration_s']:.0f}"))
        if a["acknowledged_by"]:
            state += ", " + tr("map.alarm.ack_by", who=a["acknowledged_by"])
        state += ", " + tr("map.alarm.grouped", n=a["children_count"])
        err_console.print(tr("cli.alarm.row", id=a["id"],
                             severity=label("cli.severity.", a["severity"]),
                             object=localise(a["object_name"], "term.", lang),
                             message=localise(a["message"], "alarm.msg.", lang), state=state),
                          highlight=False)


@alarms_app.command("ack")
@handle_errors
def alarms_ack(
    alarm_id: Annotated[int, typer.Argument(help="Alarm id.")],
    user: Annotated[str, typer.Option(help="Who acknowledges it.")],
    comment: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Acknowledge an alarm by a named user with a comment."""
    from fonet.i18n.keyed import localise
    from fonet.noc.alarms import acknowledge
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        alarm = acknowledge(s, alarm_id, user=user, comment=comment)
        text = tr("cli.alarm.acked", id=alarm.id,
                  object=localise(alarm.object_name, "term.", language()), user=user)
    err_console.print(text, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the network-operations commands to ``app``."""
    app.command()(impact)
    app.command("locate-cut")(locate_cut)
    app.add_typer(alarms_app, name="alarms")
