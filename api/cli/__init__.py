"""The ``fonet`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fonet",
    help="Fibre-optic network planning and monitoring for Kabupaten Mojokerto.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback must never print local variables: they may hold credentials.
    pretty_exceptions_show_locals=False,
)


def main() -> None:
    """Run the ``fonet`` command line."""
    from api.cli import commands  # noqa: F401  (registers the sub-commands)

    app()
