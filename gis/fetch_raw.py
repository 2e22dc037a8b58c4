"""Raw files for a conversion, and writing its output whole or not at all."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fonet.errors import InputError
from gis.fetch_sources import RawSource, download_raw_files, find_raw_file

RAW_SUBDIR = "raw"
"""Sub-directory of the data directory that keeps the downloaded raw files."""


class RawFiles:
    """Hands out raw files: from a local directory, or downloaded once into ``raw_dir``."""

    def __init__(self, *, from_dir: Path | None, raw_dir: Path, base_url: str,
                 show_progress: bool) -> None:
        self.from_dir = from_dir
        self.raw_dir = raw_dir
        self.base_url = base_url
        self.show_progress = show_progress
        self._got: dict[str, Path] = {}
        if from_dir is not None and not from_dir.is_dir():
            raise InputError(str(from_dir), "raw source directory not found")

    @property
    def origin(self) -> str:
        """Where the files came from, for ``SOURCES.md``."""
        if self.from_dir is not None:
            return f"local copies of the raw files in `{self.from_dir}`"
        return (f"files downloaded from {self.base_url.rstrip('/')} (kept in "
                f"`{RAW_SUBDIR}/`; rebuild offline with `fonet data fetch --from-dir "
                f"{self.raw_dir} --force`)")

    def get(self, sources: tuple[RawSource, ...]) -> dict[str, Path]:
        """Return the local path of each source, by key."""
        out: dict[str, Path] = {}
        missing = []
        for src in sources:
            if src.path in self._got:
                out[src.key] = self._got[src.path]
            elif self.from_dir is not None:
                if src.optional and not any(p.is_file() for p in (
                        self.from_dir / src.filename, self.from_dir / src.path)):
                    continue
                out[src.key] = self._got[src.path] = find_raw_file(self.from_dir, src)
            else:
                missing.append(src)
        if missing:
            got = download_raw_files(self.raw_dir, base_url=self.base_url,
                                     show_progress=self.show_progress, sources=tuple(missing))
            for src in missing:
                out[src.key] = self._got[src.path] = got[src.key]
        return out


def write_atomically(out_dir: Path, names: list[str], force: bool,
             body: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run ``body`` on a temporary directory inside ``out_dir``; clean up if it fails.

    Refuses an ``out_dir`` that already holds one of ``names`` (without ``force``); removes the
    directories it created when ``body`` raises :class:`InputError`.
    """
    present = [f for f in names if (out_dir / f).exists()]
    if present and not force:
        raise InputError(str(out_dir), f"already holds regency data ({present[0]}, ...); "
                                       "use --force to replace it")
    created = [d for d in [*reversed(out_dir.parents), out_dir] if not d.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return body(out_dir)
    except PermissionError as exc:
        raise InputError(str(exc.filename or out_dir), f"cannot write: {exc.strerror}") from None
    except InputError:
        if created:  # leave no directory of ours behind a failed run
            shutil.rmtree(created[0], ignore_errors=True)
        raise
