"""Shared pieces of the command line: settings, the store, output and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from fonet.config import Settings
from fonet.errors import FonetError

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True)

# the language of human output, set once by the root command's ``--lang`` / ``FONET_LANG``
_LANG: dict[str, str] = {}


def set_language(lang: str | None) -> str:
    """Choose the language of human output; an unsupported one falls back with a notice.

    Returns
    -------
    str
        The language in use (``id`` or ``en``).
    """
    from fonet.i18n import resolve, t

    code, fell_back = resolve(lang)
    if lang:
        _LANG["code"] = code
    else:  # FONET_LANG or the default, read again each time
        _LANG.pop("code", None)
    if fell_back:
        err_console.print(t("cli.lang_fallback", code, code=lang), highlight=False)
    return code


def language() -> str:
    """Return the language of human output (``id`` unless chosen otherwise)."""
    from fonet.i18n import resolve

    return _LANG.get("code") or resolve(None)[0]


def tr(key: str, **values: Any) -> str:
    """Return the catalogue text of ``key`` in the chosen language (see :mod:`fonet.i18n`)."""
    from fonet.i18n import t

    return t(key, language(), **values)


def label(family: str, code: str) -> str:
    """Return the catalogue text of a code (``family`` + ``code``), or the code when it has none.

    Parameters
    ----------
    family
        Key prefix, e.g. ``cli.severity.`` or ``map.site.``.
    code
        The code the data holds (``critical``, ``village_office``).
    """
    from fonet.i18n import catalogue

    key = family + code
    return tr(key) if key in catalogue("en") else code


def settings() -> Settings:
    """Return the settings read from the environment."""
    return Settings()


def engine() -> Engine:
    """Open the store named by ``FONET_DB_URL``."""
    from fonet.store import make_engine

    return make_engine(settings().db_url)


def print_json(obj: Any) -> None:
    """Print one JSON object on standard output."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def fail(exc: FonetError) -> NoReturn:
    """Print ``exc`` as one line on stderr and exit with the code its class gives."""
    err_console.print(f"[bold red]{tr('cli.error')}:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(exc.exit_code) from None


def handle_errors(func: F) -> F:
    """Turn fonet's errors into a one-line message on stderr and the exit code of their class.

    The codes are defined once, by the :mod:`fonet.errors` family: 2 for bad input
    (:class:`~fonet.errors.InputError`, :class:`~fonet.errors.NotFoundError`), 1 for a failure
    of the program. Anything else is a bug and keeps its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FonetError as exc:
            fail(exc)

    return wrapper  # type: ignore[return-value]
