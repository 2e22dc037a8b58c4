"""Safe output: every export is checked before any work, written aside, then swapped in whole.

- :func:`check_target` refuses, before anything is computed, an output that exists and is not
  a regular file (``/dev/full``, a folder, a FIFO), a parent that is not a folder, a folder
  that cannot be written, and a file name whose extension contradicts the format.
- :func:`atomic_files` writes a set of files under temporary names in a hidden folder beside
  them and renames them onto their targets only when all are complete; if one rename fails, the
  files already renamed are put back, so the previous set stays whole.
- :func:`atomic_dir` builds a folder export (GeoJSON) in a temporary folder and swaps it with
  the previous folder in one step.

A failure part-way leaves the targets as they were (the old files, or nothing) and no stray
files.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fonet.errors import InputError

SOURCE = "--out"
FILE_SUFFIXES = {"gpkg": ".gpkg", "kml": ".kml", "kmz": ".kmz", "png": ".png", "pdf": ".pdf",
                 "atlas": ".pdf", "xlsx": ".xlsx"}
"""The extension each single-file format is written with."""
KNOWN_SUFFIXES = frozenset({".gpkg", ".kml", ".kmz", ".png", ".pdf", ".csv", ".geojson", ".xlsx",
                            ".json", ".zip", ".shp", ".jpg", ".jpeg", ".svg", ".tif", ".tiff",
                            ".xls", ".txt", ".gml", ".sqlite", ".db"})
"""Extensions that name a file format: a folder or prefix export refuses them."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_file_target(path: Path) -> None:
    """Refuse ``path`` unless it is absent or a regular file, in a folder that can be written.

    Raises
    ------
    InputError
        ``path`` exists and is not a regular file, one of its parents exists and is not a
        folder, or the nearest existing parent cannot be written.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        mode = None
    except OSError as exc:
        raise InputError(SOURCE, f"{path}: {exc.strerror}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError(SOURCE, f"{path} exists and is {_kind(mode)}, not a regular file; "
                                 "choose a file name")
    check_parent(path.parent)


def check_parent(folder: Path) -> None:
    """Refuse a folder that is a file (or lies under one) or that cannot be written.

    Missing folders are fine (they are created); the nearest existing one must be a writable
    folder.
    """
    p = folder if str(folder) else Path(".")
    while True:
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            mode = None
        except NotADirectoryError:
            mode = None
        if mode is not None:
            if not stat.S_ISDIR(mode):
                raise InputError(SOURCE, f"{p} is {_kind(mode)}, not a folder: cannot write "
                                         f"in {folder}")
            if not os.access(p, os.W_OK | os.X_OK):
                raise InputError(SOURCE, f"{p} cannot be written (permission denied or a "
                                         "read-only file system)")
            return
        if p.parent == p:
            return
        p = p.parent


def check_target(out: Path, fmt: str) -> None:
    """Check ``--out`` for format ``fmt`` before any work is done.

    Parameters
    ----------
    out
        The output file (single-file formats), folder (``geojson``) or prefix (``csv``).
    fmt
        The export format; the file's extension must agree with it.

    Raises
    ------
    InputError
        The extension contradicts the format, or the target or its parent is unusable (see
        :func:`check_file_target`).
    """
    suffix = out.suffix.lower()
    if fmt in FILE_SUFFIXES:
        want = FILE_SUFFIXES[fmt]
        if suffix != want:
            got = f"ends in {out.suffix!r}" if out.suffix else "has no extension"
            raise InputError(SOURCE, f"{out} {got}, but --format {fmt} writes a {want} file; "
                                     f"name it *{want}")
        check_file_target(out)
    elif fmt == "geojson":
        if suffix in KNOWN_SUFFIXES:
            raise InputError(SOURCE, f"{out}: --format geojson writes a folder of one file "
                                     f"per layer; give a folder name, not a {suffix} file")
        check_dir_target(out)
    elif fmt == "csv":
        if suffix in KNOWN_SUFFIXES and suffix != ".csv":
            raise InputError(SOURCE, f"{out} ends in {out.suffix!r}, but --format csv writes "
                                     ".csv files; give a prefix, a .csv name or a folder")
        if out.is_dir() or str(out).endswith(os.sep):
            check_parent(out)
        else:
            check_parent(out.parent)
    else:  # pragma: no cover - the caller checks the format first
        raise InputError("--format", f"unknown format {fmt!r}")


def check_dir_target(out: Path) -> None:
    """Refuse a folder target that exists and is not a folder, or whose parent is unusable."""
    try:
        mode = os.stat(out).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    if mode is not None and not stat.S_ISDIR(mode):
        raise InputError(SOURCE, f"{out} exists and is {_kind(mode)}, not a folder")
    check_parent(out.parent)


def _write_error(path: Path, exc: OSError) -> InputError:
    return InputError(SOURCE, f"cannot write {path}: {exc.strerror or exc}")


def _make_workdir(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".fonet-export-", dir=folder))
    except OSError as exc:
        raise _write_error(folder, exc) from None


@contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for ``targets``; put them in place together if the block succeeds.

    The temporary files live in a hidden folder beside the first target (same file system, so
    each rename is atomic). If the block raises, the folder is removed and no target changes.
    If one of the final renames fails, the targets already replaced get their previous file
    back (or are removed if they had none), so the set is never half old, half new.

    Parameters
    ----------
    targets
        Final paths (each checked with :func:`check_file_target`); their folders are created
        if missing.

    Yields
    ------
    list of Path
        One temporary path per target, with the same file name.
    """
    targets = [Path(t) for t in targets]
    for t in targets:
        check_file_target(t)
    work = _make_workdir(targets[0].parent)
    try:
        for t in targets[1:]:
            if t.parent != targets[0].parent:
                t.parent.mkdir(parents=True, exist_ok=True)
        temps = []
        for i, t in enumerate(targets):
            d = work / str(i)
            d.mkdir()
            temps.append(d / t.name)
        yield temps
        for tmp, t in zip(temps, targets, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(f"{t}: the export wrote nothing")
        _swap_in(list(zip(temps, targets, strict=True)), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _swap_in(pairs: list[tuple[Path, Path]], work: Path) -> None:
    """Rename every temp onto its target; on failure restore the previous files."""
    backup = work / "previous"
    backup.mkdir()
    saved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for i, (_, t) in enumerate(pairs):
            if os.path.lexists(t):
                keep = backup / str(i)
                try:
                    if t.is_symlink():
                        raise OSError(errno.EPERM, "a link is copied")
                    os.link(t, keep)  # cheap: the previous file stays whole under a 2nd name
                except OSError:
                    shutil.copy2(t, keep)
                saved.append((keep, t))
        for tmp, t in pairs:
            os.replace(tmp, t)
            placed.append(t)
    except OSError as exc:
        restored = {t for _, t in saved}
        for keep, t in saved:
            if t in placed:
                os.replace(keep, t)
        for t in placed:
            if t not in restored:
                t.unlink(missing_ok=True)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _write_error(pairs[len(placed)][1], exc) from None
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace_dir(new: Path, out: Path, work: Path) -> None:
    """Put the folder ``new`` at ``out``; the previous ``out`` ends up inside ``work``."""
    if not os.path.lexists(out):
        os.rename(new, out)
        return
    if _exchange(new, out):
        return
    old = work / "previous"
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)
        raise


@contextmanager
def atomic_dir(out: Path, *, owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield an empty temporary folder; swap it in as ``out`` when the block succeeds.

    Parameters
    ----------
    out
        The export folder. If it exists it must hold nothing but files named in ``owned`` (a
        previous export of the same kind): the export replaces the folder whole.
    owned
        File names an export of this kind writes.

    Raises
    ------
    InputError
        ``out`` exists and is not a folder, or holds files that are not part of the export.
    """
    check_dir_target(out)
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in set(owned))
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise InputError(SOURCE, f"{out} holds files that are not part of this export "
                                     f"({', '.join(foreign[:3])}{more}); it would be replaced "
                                     "whole: choose a new or empty folder")
    work = _make_workdir(out.parent)
    try:
        new = work / "new"
        new.mkdir()
        yield new
        _replace_dir(new, out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def output_dir(out: Path) -> Path:
    """Return ``out`` as a folder to write into; it must not be an existing file."""
    check_dir_target(out)
    return out
