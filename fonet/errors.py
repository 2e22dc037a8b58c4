"""Errors raised by the fonet domain; each subclasses a builtin so callers may catch either."""

from __future__ import annotations


class FonetError(Exception):
    """Base class of every error fonet raises on purpose."""


class InputError(FonetError, ValueError):
    """Bad input from a user file or request; the message names what is at fault.

    Parameters
    ----------
    source
        The file, request or command argument at fault.
    message
        What is wrong.
    feature
        The feature, row or record at fault (a code, an index, a line number), if any.
    field
        The field or column at fault, if any.
    """

    def __init__(
        self,
        source: str,
        message: str,
        *,
        feature: str | int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = str(source)
        self.message = message
        self.feature = feature
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.source]
        if self.feature is not None:
            parts.append(f"feature {self.feature}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + f": {self.message}"


class NotFoundError(FonetError, LookupError):
    """A named object (site, plan, device, ...) does not exist in the store."""


class StateError(FonetError, RuntimeError):
    """The store is not in a state that allows the operation (e.g. not initialised)."""
