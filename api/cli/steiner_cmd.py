"""The ``fonet steiner`` command: solve a SteinLib ``.stp`` instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``steiner`` command to ``app``.

    Parameters
    ----------
    app : typer.Typer
        The ``fonet`` command-line application.
    """

    @app.command("steiner")
    def steiner(
        file: Annotated[
            Path,
            typer.Argument(metavar="FILE", help="Steiner tree instance in SteinLib format (.stp)."),
        ],
        as_json: Annotated[
            bool,
            typer.Option("--json", help='Print {"cost", "seconds", "terminals", "nodes"} as JSON.'),
        ] = False,
        time_limit: Annotated[
            float | None,
            typer.Option(
                "--time-limit",
                metavar="SECONDS",
                min=0.0,
                help="Search for this long (default: a budget that grows with the graph size).",
            ),
        ] = None,
        exact: Annotated[
            bool,
            typer.Option(
                "--exact",
                help="Prove optimality with a mixed-integer program (small instances only).",
            ),
        ] = False,
    ) -> None:
        """Compute a minimum-cost Steiner tree for FILE and print its cost.

        The tree connects all terminals of the instance. Exit codes: 0 on success,
        2 if FILE cannot be read or is not a valid SteinLib file, 1 if its terminals
        are not all connected.
        """
        from api.cli.common import fail
        from fonet.errors import FonetError, InputError
        from fonet.planning.steinlib import solve_stp

        try:
            result = solve_stp(file, time_limit_s=time_limit, exact=exact)
        except OSError as exc:
            fail(InputError(str(file), f"cannot read: {exc.strerror or exc}"))
        except FonetError as exc:
            fail(exc)
        if as_json:
            typer.echo(json.dumps(result))
        else:
            proof = ""
            if exact:
                proof = ("; optimal (proven)" if result["optimal"] else
                         "; NOT proven optimal: the best tree found (out of time or too large)")
            typer.echo(
                f"{file}: cost {result['cost']}, {result['terminals']} terminals, "
                f"{result['nodes']} tree nodes, {result['seconds']:.3f} s{proof}"
            )
