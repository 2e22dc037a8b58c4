"""The ``fonet`` command line."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="fonet",
    help="Fibre-optic network planning and monitoring for Kabupaten Mojokerto.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback must never print local variables: they may hold credentials.
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    lang: Annotated[str | None, typer.Option(
        "--lang", envvar="FONET_LANG",
        help="Language of human output: id (Bahasa Indonesia, default) or en. JSON output is "
             "the same in every language.")] = None,
) -> None:
    """Fibre-optic network planning and monitoring for Kabupaten Mojokerto."""
    from api.cli.common import set_language

    set_language(lang)


def main() -> None:
    """Run the ``fonet`` command line."""
    from api.cli import commands  # noqa: F401  (registers the sub-commands)

    app()
