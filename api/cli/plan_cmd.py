"""``fonet plan`` and ``fonet route``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import (
    engine,
    err_console,
    handle_errors,
    label,
    language,
    print_json,
    set_language,
    settings,
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


def _kinds(value: str | None) -> list[str] | None:
    if value is None:
        return None
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    if not kinds:
        raise InputError("--targets", "name at least one site kind")
    return kinds


def _priority(path: Path | None) -> dict[str, float] | None:
    """Read ``code,priority`` rows (CSV with a header)."""
    import csv

    if path is None:
        return None
    if not path.is_file():
        raise InputError(str(path), "priority file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc.reason}") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"code", "priority"} <= set(rows[0]):
        raise InputError(str(path), "expected a CSV with columns code,priority")
    out: dict[str, float] = {}
    for i, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        try:
            value = float((row.get("priority") or "").replace(",", "."))
        except ValueError:
            raise InputError(str(path), f"not a number: {row.get('priority')!r}",
                             feature=f"row {i}", field="priority") from None
        if code in out:
            raise InputError(str(path), "duplicate code", feature=f"row {i}", field="code")
        out[code] = value
    return out


plan_app = typer.Typer(help="Plan the network, list plans, commit a plan to the inventory.",
                       invoke_without_command=True, no_args_is_help=False)


@plan_app.callback(invoke_without_command=True)
@handle_errors
def plan(
    ctx: typer.Context,
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
    targets: Annotated[str | None, typer.Option(
        help="Extension phase: serve only sites of these kinds not yet connected, e.g. "
             "puskesmas,school (from the POP and hubs of the newest committed plan).")] = None,
    budget_idr: Annotated[float | None, typer.Option(
        "--budget-idr", help="Most the phase may cost (with --targets): the targets of "
                             "greatest priority that fit are chosen.")] = None,
    year: Annotated[int | None, typer.Option(help="Year label of the phase.")] = None,
    priority: Annotated[Path | None, typer.Option(
        help="CSV code,priority weighting target sites [default: 1 each].")] = None,
    regency: Annotated[str | None, typer.Option(
        "--regency", help="Plan this regency (code, e.g. 35.17) of a store holding several "
                          "[default: the only, else the first, loaded].")] = None,
    province: Annotated[str | None, typer.Option(
        "--province", help="Plan every regency of this province (e.g. 35) as independent "
                           "tasks on Dask, then the provincial backbone joining their POPs; "
                           "stored as one provincial scenario.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="With --province: address of a running Dask scheduler "
                            "(tcp://HOST:8786) [default: a local cluster].")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="With --province and no --scheduler: worker processes of the "
                                 "local cluster.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the summary: id or "
                                                         "en [default: FONET_LANG, else id].")
                    ] = None,
) -> None:
    """Plan fibre to every village office, kecamatan office and OPD, and store the scenario.

    The core POP and one hub per kecamatan sit on backbone rings whose two directions share no
    route edge; each hub reaches its kecamatan's sites by a least-cost access tree. Cables are
    sized from demand, priced by install method, checked against the optical budget, and
    phased (offices and OPDs first). Built cable is reused where it has spare cores.
    """
    if ctx.invoked_subcommand is not None:
        return
    if province is not None:
        _plan_province(province, regency=regency, scheduler=scheduler, workers=workers,
                       name=name, profile=profile, seed=seed, as_json=as_json,
                       others=(pop, hub, targets, budget_idr, priority))
        return
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile
    from fonet.store import require_current, transaction

    if lang:
        set_language(lang)
    prof = load_profile(profile)
    kinds = _kinds(targets)
    weights = _priority(priority)
    eng = engine()
    require_current(eng)
    with err_console.status(tr("cli.plan.progress")), transaction(eng) as s:
        result = run_plan(s, prof, name=name, pop_code=pop, hub_codes=_pairs(hub or []),
                          include_schools=schools, seed=seed, targets=kinds,
                          budget_idr=budget_idr, year=year, priority=weights,
                          regency=regency)
    if as_json:
        print_json(result.to_json())
        return
    err_console.print(plan_summary(result, language()), highlight=False)
    r = result
    if r.targets:
        err_console.print(tr("cli.plan.targets", targets=",".join(r.targets),
                             connected=r.targets_connected, total=r.targets_total,
                             deferred=len(r.targets_deferred)), highlight=False)


def _plan_province(province: str, *, regency: str | None, scheduler: str | None,
                   workers: int, name: str | None, profile: Path | None, seed: int,
                   as_json: bool, others: tuple) -> None:
    """``fonet plan --province``: every regency on Dask, then the provincial backbone."""
    from gis.province_plan import plan_province

    if regency is not None:
        raise InputError("--regency/--province", "give one of them, not both")
    if any(o for o in others):
        raise InputError("--province", "plans every regency whole: --pop, --hub, --targets, "
                                       "--budget-idr and --priority apply to one regency")
    url = settings().db_url

    def yes(flag: bool) -> str:
        return tr("cli.yes" if flag else "cli.no")

    def arrived(code: str, res: dict) -> None:  # on stderr, with --json too
        p = res["plan"]
        err_console.print(tr("cli.province.arrived", code=code, plan_id=p["plan_id"],
                             connected=p["villages_connected"], total=p["villages_total"],
                             resilient=yes(p["backbone_two_edge_connected"]),
                             seconds=res["seconds"]), highlight=False)

    with err_console.status(tr("cli.province.planning", code=province)):
        result = plan_province(url, province, scheduler=scheduler, workers=workers, name=name,
                               profile_path=profile, seed=seed, progress=arrived)
    if as_json:
        print_json(result)
        return
    b = result["backbone"]
    err_console.print(tr("cli.province.done", id=result["scenario_id"], name=result["name"],
                         n=len(result["regencies"]), connected=result["villages_connected"],
                         total=result["villages_total"], core=b["core"], rings=len(b["rings"]),
                         corridors=b["corridors"], km=b["route_km"],
                         resilient=yes(b["two_edge_connected"]), seconds=result["seconds"]),
                      highlight=False)
    for spof in b["single_points_of_failure"]:
        err_console.print(tr("cli.province.spof", a=spof["a"], b=spof["b"],
                             km=spof["length_km"]), highlight=False)
    if b["unreached"]:
        err_console.print(tr("cli.province.unreached", codes=", ".join(b["unreached"])),
                          highlight=False)


@plan_app.command("list")
@handle_errors
def plan_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List the stored plans with their headline figures and inventory status."""
    from fonet.planning.plan_store import list_plans
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        rows = list_plans(s)
    if as_json:
        print_json(rows)
        return
    if not rows:
        err_console.print(tr("cli.plan.none"))
    lang = language()
    for p in rows:
        status = ", ".join(f"{n} {label('cli.span_status.', k)}"
                           for k, n in p["spans_by_status"].items())
        err_console.print(tr("cli.plan.row", id=f"{p['plan_id']:>4}", name=f"{p['name']:<24}",
                             pop=f"{p['pop'] or '-':<18}",
                             km=f"{number(p['route_km'], lang, 3):>9}",
                             cost=f"{rupiah(p['cost_idr'], lang):>18}", status=status),
                          highlight=False, soft_wrap=True)


@plan_app.command("commit")
@handle_errors
def plan_commit(
    plan_id: Annotated[int, typer.Argument(help="The plan to commit.")],
    status: Annotated[str, typer.Option(help="under_construction or built.")] = "built",
    sites: Annotated[list[str] | None, typer.Option(
        help="Only the spans serving these site codes (and the backbone); repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Turn a plan's spans into the inventory (under construction or built).

    Built sites are marked connected; later plans reuse the built cable where it has spare
    cores.
    """
    from fonet.planning.plan_store import commit_plan
    from fonet.store import require_current, transaction

    codes = [c for v in sites or [] for c in v.split(",") if c.strip()]
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        out = commit_plan(s, plan_id, status, codes or None)
    if as_json:
        print_json(out)
        return
    err_console.print(tr("cli.plan.committed", id=out["plan_id"], spans=out["spans"],
                         links=out["links"], status=label("cli.span_status.", out["status"]),
                         sites=out["sites_connected"]), highlight=False)


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
        single = [f"{e['site']} has a single building entry ({e['drop_m']:,.0f} m)"
                  for e in (result["from"], result["to"])
                  if e.get("entries") == 1 and e.get("drop_m", 0) > 0.5]
        why = f": {'; '.join(single)}" if single else ""
        err_console.print(tr("cli.route.only", n=len(result["routes"])) + why)


def register(app: typer.Typer) -> None:
    """Add the planning commands to ``app``."""
    app.add_typer(plan_app, name="plan")
    app.command()(route)
