"""``fonet report availability``: the month's availability per served site and link."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json, tr
from fonet.errors import InputError

report_app = typer.Typer(help="Reports from the observed network.", no_args_is_help=True)
FORMATS = ("json", "csv", "pdf")


@report_app.command("availability")
@handle_errors
def report_availability(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    fmt: Annotated[str, typer.Option("--format", help="json, csv or pdf.")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write here [default: standard output; "
                                                  "availability-YYYY-MM.pdf for pdf].")
                   ] = None,
    tz: Annotated[str, typer.Option(help="Time zone of the month and its days.")
                  ] = "Asia/Jakarta",
    plan: Annotated[int | None, typer.Option(help="Plan id [default: the newest].")] = None,
    daily: Annotated[bool, typer.Option(help="CSV: a row per day as well.")] = False,
) -> None:
    """Report the month's availability of each served site and link.

    Sites are village offices, OPDs, kecamatan offices ...; downtime is attributed to its
    root cause (fibre cut, device, power, the link itself).
    """
    from fonet.noc.availability import availability
    from fonet.store import reader, require_current
    from gis.export.availability_report import availability_csv, availability_pdf

    if fmt not in FORMATS:
        raise InputError("--format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        result = availability(s, month, tz=tz, plan_id=plan, days=fmt != "csv" or daily)
    if fmt == "pdf":
        path = availability_pdf(result, out or Path(f"availability-{month}.pdf"))
        err_console.print(tr("cli.report.wrote", path=path, n=len(result["sites"])),
                          highlight=False)
        return
    if fmt == "csv":
        text = availability_csv(result, daily=daily)
        if out is None:
            sys.stdout.write(text)
        else:
            tmp = out.with_name(out.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
        return
    if out is None:
        print_json(result)
        return
    import json

    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    tmp.replace(out)


def register(app: typer.Typer) -> None:
    """Add ``fonet report`` to ``app``."""
    app.add_typer(report_app, name="report")
