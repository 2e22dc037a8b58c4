"""Errors raised by the geography readers and writers.

Every class subclasses a builtin exception so callers may catch either the
specific class or the builtin (``except ValueError``).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

__all__ = ["InputError"]


class InputError(ValueError):
    """An input file that cannot be read, or whose content is unusable.

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
        self.feature = None if feature is None else str(feature)
        self.field = field
        super().__init__(self._format())

    @property
    def row(self) -> str | None:
        """Alias of :attr:`feature` for tabular inputs (CSV, spreadsheet rows)."""
        return self.feature

    def _format(self) -> str:
        parts = [str(self.path)]
        if self.feature is not None:
            parts.append(self.feature)
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
