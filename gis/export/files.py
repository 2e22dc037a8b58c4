"""Atomic output: every export is written beside its target under a temporary name, then renamed.

A failure part-way leaves the target untouched (the old file, or nothing) and no stray files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fonet.errors import InputError


@contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for ``targets``; rename them onto the targets if the block succeeds.

    The temporary files live in a hidden folder beside the first target (same file system, so
    each rename is atomic). If the block raises, the folder is removed and no target changes.

    Parameters
    ----------
    targets
        Final paths; their folders are created if missing.

    Yields
    ------
    list of Path
        One temporary path per target, with the same file name.
    """
    targets = [Path(t) for t in targets]
    for t in targets:
        t.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fonet-export-", dir=targets[0].parent))
    try:
        temps = []
        for i, t in enumerate(targets):
            d = work / str(i)
            d.mkdir()
            temps.append(d / t.name)
        yield temps
        for tmp, t in zip(temps, targets, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(f"{t}: the export wrote nothing")
        for tmp, t in zip(temps, targets, strict=True):
            os.replace(tmp, t)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def output_dir(out: Path) -> Path:
    """Return ``out`` as a folder to write into; it must not be an existing file."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} exists and is not a folder")
    return out
