"""Errors raised by the geography readers and writers.

Every class subclasses a builtin exception so callers may catch either the
specific class or the builtin (``except ValueError``). :class:`InputError`
also subclasses the domain's :class:`fonet.errors.InputError`, so one
``except`` clause in a front end catches bad input from either package.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from fonet import errors as _fonet_errors

__all__ = ["InputError"]


class InputError(_fonet_errors.InputError):
    """An input file that cannot be read, or whose content is unusable.

    A :class:`ValueError` (through :class:`fonet.errors.InputError`).

    The message names the file and, where one is at fault, the feature
    (OSM way or node, GeoJSON feature, CSV row) and the field, so that a
    command line front end can print it as is and exit with status 2::

        roads.osm: way 42: references node 7, which the file does not define

    Parameters
    ----------
    path : str or os.PathLike
        The file at fault.
    message : str
        What is wrong, without the file name (it is prefixed).
    feature : object, optional
        The feature or row at fault, e.g. ``"way 42"``, ``"feature 3"``,
        ``"row 17"``. Non-string values are shown with ``str``.
    field : str, optional
        The attribute, column or tag at fault, e.g. ``"highway"``.

    Attributes
    ----------
    path : pathlib.Path
        The file at fault.
    reason : str
        The message without the file, feature and field prefixes.
    feature : str or None
        The feature or row at fault, if any.
    field : str or None
        The field at fault, if any.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        message: str,
        *,
        feature: object | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = message
        super().__init__(
            str(path), message, feature=None if feature is None else str(feature), field=field
        )

    @property
    def row(self) -> str | None:
        """Alias of :attr:`feature` for tabular inputs (CSV, spreadsheet rows)."""
        return None if self.feature is None else str(self.feature)

    def __str__(self) -> str:
        """Return ``FILE[: FEATURE][: field 'NAME']: REASON``."""
        parts = [str(self.path)]
        if self.feature is not None:
            parts.append(str(self.feature))
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        parts.append(self.reason)
        return ": ".join(parts)

    def __reduce__(self):
        """Support pickling (keyword-only arguments are not restored by default)."""
        return (
            _rebuild_input_error,
            (str(self.path), self.reason, self.feature, self.field),
        )


def _rebuild_input_error(
    path: str, message: str, feature: str | None, field: str | None
) -> InputError:
    return InputError(path, message, feature=feature, field=field)
