"""``fonet plan`` and ``fonet route``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import (
    engine,
    err_console,
    handle_errors,
    language,
    print_json,
    set_language,
    tr,
)
from api.cli.summaries import plan_summary
from fonet.errors import InputError
from fonet.i18n import number, rupiah


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
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the summary: id or "
                                                         "en [default: FONET_LANG, else id].")
                    ] = None,
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

    if lang:
        set_language(lang)
    prof = load_profile(profile)
    eng = engine()
    require_current(eng)
    with err_console.status(tr("cli.plan.progress")), transaction(eng) as s:
        result = run_plan(s, prof, name=name, pop_code=pop, hub_codes=_pairs(hub or []),
                          include_schools=schools, seed=seed)
    if as_json:
        print_json(result.to_json())
        return
    err_console.print(plan_summary(result, language()), highlight=False)


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
    lang = language()
    err_console.print(tr("cli.route.least", km=number(best["length_m"] / 1000, lang, 3),
                         cost=rupiah(best["cost_idr"], lang)))
    if k == 1:
        return
    err_console.print(tr("cli.route.k", k=k))
    for i, r in enumerate(result["routes"], 1):
        err_console.print(tr("cli.route.item", i=i, km=number(r["length_m"] / 1000, lang, 3),
                             cost=rupiah(r["cost_idr"], lang), edges=len(r["edge_ids"])))
    if len(result["routes"]) < k:
        err_console.print(tr("cli.route.only", n=len(result["routes"])))

def register(app: typer.Typer) -> None:
    """Add the planning commands to ``app``."""
    app.command()(plan)
    app.command()(route)
