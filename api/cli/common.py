"""Shared pieces of the command line: settings, the store, output and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine

from fonet.config import Settings
from fonet.errors import InputError, NotFoundError, StateError

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True)


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


def handle_errors(func: F) -> F:
    """Turn fonet's errors into a one-line message on stderr and an exit code.

    Bad input (:class:`InputError`, :class:`NotFoundError`) exits with 2, a store in the wrong
    state (:class:`StateError`) with 1.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InputError, NotFoundError) as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(2) from None
        except StateError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
