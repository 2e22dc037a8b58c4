"""Parsers for the raw source formats: MySQL INSERT dumps, two-column TSV, the schools JSON.

Every parser raises :class:`fonet.errors.InputError` naming the file, the row and the field at
fault; none of them guesses past a malformed row.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fonet.errors import InputError

_INSERT = re.compile(r"INSERT\s+INTO\s+`?(\w+)`?\s*\(([^)]*)\)\s*VALUES\s*", re.IGNORECASE)
_STRING = re.compile(r"'((?:[^'\\]|\\.|'')*)'", re.DOTALL)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NULL = re.compile(r"NULL\b", re.IGNORECASE)
_SPACE = re.compile(r"\s*")
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}

VILLAGE_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
"""Kemendagri village code, e.g. ``35.16.01.2001``."""
KECAMATAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
"""Kemendagri kecamatan code, e.g. ``35.16.01``."""


@dataclass(frozen=True)
class BoundaryRow:
    """One row of a ``wilayah_boundaries`` dump.

    Attributes
    ----------
    code, name
        Kemendagri code and name.
    lat, lng
        The source's polygon centroid.
    geometry
        Polygon or MultiPolygon in lon/lat (axes swapped from the source's [lat, lng]).
    row
        1-based row number within the file, for messages.
    """

    code: str
    name: str
    lat: float
    lng: float
    geometry: BaseGeometry
    row: int


def _unescape(raw: str) -> str:
    out = raw.replace("''", "'")
    if "\\" not in out:
        return out
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), out, flags=re.DOTALL)


def _skip_space(text: str, pos: int) -> int:
    """Return the position after the white space at ``pos``."""
    m = _SPACE.match(text, pos)  # always matches (``\s*``); None only for pos > len
    return m.end() if m is not None else pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip_comments(text: str) -> str:
    """Blank out ``/* ... */`` and ``-- ...`` comments outside string literals, keeping offsets."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            m = _STRING.match(text, i)
            i = m.end() if m else n
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith("--", i) or c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


def parse_sql_inserts(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """Parse every ``INSERT INTO t(cols) VALUES (...), (...);`` statement of a MySQL dump.

    Parameters
    ----------
    path
        The file (for messages).
    text
        Its content.

    Returns
    -------
    tuple
        The column names (all statements must agree) and the rows as ``(line, values)``, where
        values are ``str``, ``float`` or ``None``.

    Raises
    ------
    InputError
        On a statement or row that does not parse, naming the row and its line.
    """
    clean = _skip_comments(text)
    columns: list[str] | None = None
    rows: list[tuple[int, list[object]]] = []
    pos = 0
    while (m := _INSERT.search(clean, pos)) is not None:
        cols = [c.strip().strip("`") for c in m.group(2).split(",")]
        if columns is None:
            columns = cols
        elif cols != columns:
            raise InputError(str(path), f"INSERT at line {_line_of(clean, m.start())} has "
                                        f"columns {cols}, expected {columns}")
        pos = m.end()
        while True:
            row_no = len(rows) + 1
            line = _line_of(clean, pos)
            where = f"row {row_no} (line {line})"
            if clean[pos:pos + 1] != "(":
                raise InputError(str(path), "malformed SQL: expected '(' to start a row",
                                 feature=where)
            pos += 1
            values: list[object] = []
            while True:
                pos = _skip_space(clean, pos)
                if (sm := _STRING.match(clean, pos)) is not None:
                    values.append(_unescape(text[sm.start(1):sm.end(1)]))
                    pos = sm.end()
                elif (nm := _NULL.match(clean, pos)) is not None:
                    values.append(None)
                    pos = nm.end()
                elif (num := _NUMBER.match(clean, pos)) is not None:
                    values.append(float(num.group()))
                    pos = num.end()
                else:
                    snippet = clean[pos:pos + 20].split("\n")[0]
                    raise InputError(str(path), f"malformed SQL value near {snippet!r}",
                                     feature=where)
                pos = _skip_space(clean, pos)
                sep = clean[pos:pos + 1]
                pos += 1
                if sep == ")":
                    break
                if sep != ",":
                    raise InputError(str(path), f"malformed SQL: expected ',' or ')' but found "
                                                f"{sep!r}", feature=where)
            if len(values) != len(columns):
                raise InputError(str(path), f"row has {len(values)} values for {len(columns)} "
                                            "columns", feature=where)
            rows.append((line, values))
            pos = _skip_space(clean, pos)
            sep = clean[pos:pos + 1]
            pos = _skip_space(clean, pos + 1)
            if sep == ";":
                break
            if sep != ",":
                raise InputError(str(path), "malformed SQL: expected ',' or ';' after a row",
                                 feature=where)
    if columns is None:
        raise InputError(str(path), "no INSERT INTO ... VALUES statement found")
    return columns, rows


def _ring(coords: object, path: Path, feature: str) -> list[tuple[float, float]]:
    if not isinstance(coords, list) or len(coords) < 3:
        raise InputError(str(path), "a ring needs at least 3 [lat, lng] points",
                         feature=feature, field="path")
    ring: list[tuple[float, float]] = []
    for pt in coords:
        if (not isinstance(pt, list) or len(pt) != 2
                or not all(isinstance(v, int | float) and math.isfinite(v) for v in pt)):
            raise InputError(str(path),
                             f"a point is not a [lat, lng] pair of numbers: {pt!r}"[:160],
                             feature=feature, field="path")
        lat, lng = float(pt[0]), float(pt[1])
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
            raise InputError(str(path), f"point [{lat}, {lng}] is not a [lat, lng] pair "
                                        "(latitude out of range)", feature=feature, field="path")
        ring.append((lng, lat))
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise InputError(str(path), "a ring needs at least 3 distinct points",
                         feature=feature, field="path")
    return ring


def path_to_geometry(value: object, path: Path, feature: str) -> BaseGeometry:
    """Turn a ``path`` JSON text in [lat, lng] order into a lon/lat (Multi)Polygon.

    Depth 3 (``[[[lat, lng], ...], hole, ...]``) is one Polygon with holes; depth 4 is a
    MultiPolygon. Invalid shapes are repaired with :func:`shapely.make_valid`, keeping the
    polygonal part.
    """
    if not isinstance(value, str):
        raise InputError(str(path), "path is not a JSON text", feature=feature, field="path")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"path is not valid JSON: {exc.msg} at column {exc.colno}",
                         feature=feature, field="path") from None

    def depth(obj: object) -> int:
        d = 0
        while isinstance(obj, list) and obj:
            obj, d = obj[0], d + 1
        return d

    d = depth(data)
    if d == 3:
        rings = [_ring(r, path, feature) for r in data]
        geom: BaseGeometry = Polygon(rings[0], rings[1:])
    elif d == 4:
        parts = []
        for poly in data:
            if not isinstance(poly, list) or not poly:
                raise InputError(str(path), "empty polygon in a MultiPolygon path",
                                 feature=feature, field="path")
            rings = [_ring(r, path, feature) for r in poly]
            parts.append(Polygon(rings[0], rings[1:]))
        geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    else:
        raise InputError(str(path), f"path has nesting depth {d}; expected 3 (Polygon) or 4 "
                                    "(MultiPolygon)", feature=feature, field="path")
    if not geom.is_valid:
        fixed = shapely.make_valid(geom)
        polys = [g for g in getattr(fixed, "geoms", [fixed])
                 if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.unary_union(polys) if polys else fixed
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(str(path), "geometry is invalid and cannot be repaired",
                             feature=feature, field="path")
    return geom


def read_boundary_rows(path: Path, text: str, *, prefix: str,
                       code_pattern: re.Pattern[str]) -> list[BoundaryRow]:
    """Parse a ``wilayah_boundaries`` dump and keep the rows whose code starts with ``prefix``.

    Raises
    ------
    InputError
        Missing columns, a malformed row, a bad code, a non-numeric centroid or a bad path.
    """
    columns, rows = parse_sql_inserts(path, text)
    need = ["kode", "nama", "lat", "lng", "path"]
    for col in need:
        if col not in columns:
            raise InputError(str(path), f"INSERT lacks column; it has {columns}", field=col)
    idx = {c: columns.index(c) for c in need}
    out: list[BoundaryRow] = []
    seen: set[str] = set()
    for n, (line, values) in enumerate(rows, start=1):
        code = values[idx["kode"]]
        where = f"row {n} (line {line})"
        if not isinstance(code, str):
            raise InputError(str(path), "kode is not a string", feature=where, field="kode")
        if not code.startswith(prefix):
            continue
        where = f"row {n} ({code})"
        if not code_pattern.match(code):
            raise InputError(str(path), f"unexpected code format {code!r}", feature=where,
                             field="kode")
        if code in seen:
            raise InputError(str(path), "duplicate code", feature=where, field="kode")
        seen.add(code)
        name = values[idx["nama"]]
        if not isinstance(name, str) or not name.strip():
            raise InputError(str(path), "nama is empty", feature=where, field="nama")
        coords: dict[str, float] = {}
        for field in ("lat", "lng"):
            v = values[idx[field]]
            if not isinstance(v, float) or not math.isfinite(v):
                raise InputError(str(path), f"{field} is not a number", feature=where,
                                 field=field)
            coords[field] = v
        geom = path_to_geometry(values[idx["path"]], path, where)
        out.append(BoundaryRow(code, name.strip(), coords["lat"], coords["lng"], geom, n))
    if not out:
        raise InputError(str(path), f"no rows with codes starting {prefix!r}")
    return out


def _tsv_value(raw: str) -> str:
    raw = raw.strip()
    for q in ("'", '"'):
        if len(raw) >= 2 and raw[0] == q and raw[-1] == q:
            return raw[1:-1].replace(q + q, q)
    return raw


def read_tsv_pairs(path: Path, text: str, *, prefix: str) -> list[tuple[int, str, str]]:
    """Read a two-column TSV (``code<TAB>value``) keeping codes that start with ``prefix``.

    Returns
    -------
    list
        ``(line, code, value)``; exact repeats of a line are kept once.

    Raises
    ------
    InputError
        On a line that does not have exactly two columns, naming its line number.
    """
    out: list[tuple[int, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputError(str(path), f"expected 2 tab-separated columns, found {len(parts)}",
                             feature=f"line {n}")
        code, value = parts[0].strip(), _tsv_value(parts[1])
        if not code.isdigit():
            raise InputError(str(path), f"code {code!r} is not numeric", feature=f"line {n}")
        if not code.startswith(prefix) or (code, value) in seen:
            continue
        seen.add((code, value))
        out.append((n, code, value))
    return out
