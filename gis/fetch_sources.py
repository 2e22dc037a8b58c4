"""The public raw files the regency data are built from, and downloading them.

Each :class:`RawSource` names one file in a public GitHub repository at a pinned commit, so a
download today gives the same bytes as the one the shipped data directory was built from.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from fonet.errors import InputError

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
"""Where raw repository files are served from; ``{base}/{repo}/{commit}/{path}``."""

DOWNLOAD_TIMEOUT_S = 60.0
"""Seconds to wait for a server before a download fails."""


@dataclass(frozen=True)
class RawSource:
    """One raw input file.

    Attributes
    ----------
    key
        Short role name used in code and messages.
    repo
        GitHub ``owner/name``.
    commit
        The pinned commit.
    path
        The file's path inside the repository.
    licence
        The repository's licence.
    """

    key: str
    repo: str
    commit: str
    path: str
    licence: str

    @property
    def filename(self) -> str:
        """Return the local file name (the last part of :attr:`path`)."""
        return self.path.rsplit("/", 1)[-1]

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        """Return the download URL under ``base_url``."""
        return f"{base_url.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"

    def page(self) -> str:
        """Return the file's page on GitHub (for provenance notes)."""
        return f"https://github.com/{self.repo}/blob/{self.commit}/{self.path}"


VILLAGES_SQL = RawSource(
    "villages", "cahyadsn/wilayah_boundaries", "3c5a7960f4d227a38489094d84252bdbb3f978a5",
    "db/kel/35/wilayah_boundaries_kel_35.16.sql", "MIT",
)
KECAMATAN_SQL = RawSource(
    "kecamatan", "cahyadsn/wilayah_boundaries", "d652492831fc746a3aaa899ab2f359099c2a69d1",
    "db/kec/wilayah_boundaries_kec_35.sql", "MIT",
)
BPS_TO_DAGRI = RawSource(
    "bps_to_dagri", "kodewilayah/explorer", "95495514b48d94d79c3b7f9185293570660deddf",
    "data/bps/bps-to-dagri.tsv", "MIT",
)
BPS_NAMES = RawSource(
    "bps_names", "kodewilayah/explorer", "95495514b48d94d79c3b7f9185293570660deddf",
    "data/bps/bps-20181.tsv", "MIT",
)
SCHOOLS_JSON = RawSource(
    "schools", "suryavip/daftar-sekolah-indonesia", "44eec604324855279b95f255ba0b27156766499e",
    "result/050300.json", "MIT",
)

RAW_SOURCES: tuple[RawSource, ...] = (
    VILLAGES_SQL, KECAMATAN_SQL, BPS_TO_DAGRI, BPS_NAMES, SCHOOLS_JSON,
)
"""Every raw file the converter reads, in download order."""


def find_raw_files(from_dir: Path) -> dict[str, Path]:
    """Locate the already-downloaded raw files in ``from_dir``.

    A file may lie directly in the directory (``050300.json``) or under its repository path
    (``result/050300.json``).

    Raises
    ------
    InputError
        If the directory or one of the files is missing.
    """
    from_dir = Path(from_dir)
    if not from_dir.is_dir():
        raise InputError(str(from_dir), "raw source directory not found")
    found: dict[str, Path] = {}
    for src in RAW_SOURCES:
        for candidate in (from_dir / src.filename, from_dir / src.path):
            if candidate.is_file():
                found[src.key] = candidate
                break
        else:
            raise InputError(
                str(from_dir / src.filename),
                f"raw source file not found (download it from {src.page()})",
            )
    return found


def _download_one(src: RawSource, url: str, dest: Path, progress, task) -> None:  # noqa: ANN001
    part = dest.with_name(dest.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": "fonet-data-fetch"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as resp, \
                part.open("wb") as out:
            length = resp.headers.get("Content-Length")
            progress.update(task, total=int(length) if length and length.isdigit() else None)
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                progress.advance(task, len(chunk))
    except urllib.error.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise InputError(url, f"download failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise InputError(url, f"download failed: {reason}") from None
    if part.stat().st_size == 0:
        part.unlink()
        raise InputError(url, "download failed: the server sent an empty file")
    part.replace(dest)


def download_raw_files(dest_dir: Path, *, base_url: str = DEFAULT_BASE_URL,
                       show_progress: bool = True) -> dict[str, Path]:
    """Download every raw file into ``dest_dir``, with a progress bar on stderr.

    Parameters
    ----------
    dest_dir
        Directory to write into (created if needed).
    base_url
        Server to download from; ``{base_url}/{repo}/{commit}/{path}``.
    show_progress
        Draw a rich progress bar on stderr.

    Returns
    -------
    dict
        Local path of each file, by :attr:`RawSource.key`.

    Raises
    ------
    InputError
        Naming the URL that could not be downloaded and why.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=Console(stderr=True),
                  disable=not show_progress, transient=False) as progress:
        for src in RAW_SOURCES:
            dest = dest_dir / src.filename
            task = progress.add_task(src.filename, total=None)
            _download_one(src, src.url(base_url), dest, progress, task)
            paths[src.key] = dest
    return paths

