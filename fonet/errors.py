"""The one family of errors fonet raises on purpose, and what each means to a front end.

Every error fonet raises deliberately derives from :class:`FonetError`, and each class also
subclasses the builtin it resembles, so callers may catch either (``except ValueError``). The
exit code of the command line and the HTTP status of the service come from the class, here and
nowhere else:

=====================  =========  ===========  ==============================================
class                  exit code  HTTP status  meaning
=====================  =========  ===========  ==============================================
:class:`FonetError`    1          500          a failure of the program or its surroundings
:class:`InputError`    2          422          bad input: a file, a request, an argument
:class:`NotFoundError` 2          404          a named object does not exist in the store
:class:`StateError`    1          409          the store does not allow the operation now
:class:`DeviceError`   1          502          a device or agent did not answer as it should
=====================  =========  ===========  ==============================================

A subclass that is bad input but words its message itself (not as ``source: message``) sets
``exit_code = 2`` and ``http_status = 422`` (see :class:`BadInputError`).
"""

from __future__ import annotations

from typing import ClassVar

EXIT_INPUT = 2
"""Exit code of the command line for bad input."""
EXIT_FAILURE = 1
"""Exit code of the command line for a failure of the program."""


class FonetError(Exception):
    """Base class of every error fonet raises on purpose.

    Attributes
    ----------
    exit_code : int
        The command line's exit status for this error.
    http_status : int
        The service's HTTP status for this error.
    """

    exit_code: ClassVar[int] = EXIT_FAILURE
    http_status: ClassVar[int] = 500


class BadInputError(FonetError, ValueError):
    """Bad input whose message names what is at fault in its own words."""

    exit_code: ClassVar[int] = EXIT_INPUT
    http_status: ClassVar[int] = 422


class InputError(BadInputError):
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

    exit_code: ClassVar[int] = EXIT_INPUT
    http_status: ClassVar[int] = 404


class StateError(FonetError, RuntimeError):
    """The store is not in a state that allows the operation (e.g. not initialised)."""

    http_status: ClassVar[int] = 409


class DeviceError(FonetError, ConnectionError):
    """A device or a simulated agent did not answer, or answered what cannot be used."""

    http_status: ClassVar[int] = 502
