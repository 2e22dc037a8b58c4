"""``fonet plan`` and ``fonet route``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json
from fonet.errors import InputError


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError("--hub", f"expected KECAMATAN=SITE_CODE, got {v!r}")
        k, _, code = v.partition("=")
        out[k.strip()] = code.strip()
    return out


@handle_errors
def plan(
    pop: Annotated[str | None, typer.Option(help="Site code of the core POP [default: the "
                                                 "proposed one: an existing core_pop site, else "
                                                 "the office or OPD nearest all hubs].")] = None,
    hub: Annotated[list[str] | None, typer.Option(
        help="Pin a hub: KECAMATAN=SITE_CODE (kecamatan code or name); repeatable. Other "
             "kecamatan get the office site with the least route cost to all their sites.")
    ] = None,
    schools: Annotated[bool | None, typer.Option("--schools/--no-schools", help="Serve schools "
                                                 "too [default: the profile's choice].")] = None,
    profile: Annotated[Path | None, typer.Option(help="Planning profile (YAML) [default: the "
                                                      "built-in profile].")] = None,
    name: Annotated[str | None, typer.Option(help="Scenario name [default: plan-N].")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the Steiner search.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Plan fibre to every village office, kecamatan office and OPD, and store the scenario.

    The core POP and one hub per kecamatan sit on backbone rings whose two directions share no
    route edge; each hub reaches its kecamatan's sites by a least-cost access tree. Cables are
    sized from demand, priced by install method, checked against the optical budget, and
    phased (offices and OPDs first).
    """
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile
    from fonet.store import require_current, transaction

    prof = load_profile(profile)
    eng = engine()
    require_current(eng)
    with err_console.status("Planning ..."), transaction(eng) as s:
        result = run_plan(s, prof, name=name, pop_code=pop, hub_codes=_pairs(hub or []),
                          include_schools=schools, seed=seed)
    if as_json:
        print_json(result.to_json())
        return
    r = result
    err_console.print(
        f"Plan {r.plan_id} ({r.name}): reaches {r.villages_connected}/{r.villages_total} "
        f"villages, {r.offices_connected}/{r.offices_total} offices, "
        f"{r.opd_connected}/{r.opd_total} OPD; POP {r.pop.code if r.pop else '-'}; "
        f"{len(r.rings)} rings, two-edge-connected: {r.backbone_two_edge_connected}; "
        f"{r.route_km} route km, {r.cable_km} cable km, Rp{r.cost_idr:,}; max loss "
        f"{r.max_loss_db} dB, {len(r.sites_over_budget)} sites over budget; {r.seconds} s."
    )


@handle_errors
def route(
    a: Annotated[str, typer.Argument(help="Site code or lon,lat.")],
    b: Annotated[str, typer.Argument(help="Site code or lon,lat.")],
    k: Annotated[int, typer.Option("--k", help="How many routes that share no route edge.")] = 1,
    profile: Annotated[Path | None, typer.Option(help="Planning profile (YAML).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Least-cost route between two sites or points, and k route-diverse alternatives."""
    from fonet.planning.profile import load_profile
    from fonet.planning.routing import route_between
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        result = route_between(s, a, b, k=k, profile=load_profile(profile))
    if as_json:
        print_json(result)
        return
    best = result["least_cost"]
    err_console.print(f"least-cost route: {best['length_m'] / 1000:.3f} km, "
                      f"Rp{best['cost_idr']:,}")
    if k == 1:
        return
    err_console.print(f"{k} routes sharing no route edge:")
    for i, r in enumerate(result["routes"], 1):
        err_console.print(f"route {i}: {r['length_m'] / 1000:.3f} km, Rp{r['cost_idr']:,}, "
                          f"{len(r['edge_ids'])} route edges")
    if len(result["routes"]) < k:
        err_console.print(f"only {len(result['routes'])} route-diverse routes exist")


def register(app: typer.Typer) -> None:
    """Add the planning commands to ``app``."""
    app.command()(plan)
    app.command()(route)
