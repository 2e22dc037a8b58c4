"""The public raw files the regency data are built from, and downloading them.

Each :class:`RawSource` names one file in a public GitHub repository at a pinned commit, so a
download today gives the same bytes as the one the shipped data directory was built from.
"""

from __future__ import annotations

import re
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
    optional
        Conversion goes on without it when a local raw directory lacks it (the school list:
        the data then holds no schools).
    """

    key: str
    repo: str
    commit: str
    path: str
    licence: str
    optional: bool = False

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


WILAYAH_REPO = "cahyadsn/wilayah_boundaries"
WILAYAH_COMMIT = "3c5a7960f4d227a38489094d84252bdbb3f978a5"
KODEWILAYAH_REPO = "kodewilayah/explorer"
KODEWILAYAH_COMMIT = "95495514b48d94d79c3b7f9185293570660deddf"

REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")
"""Kemendagri kabupaten/kota code, e.g. ``35.17``."""
PROVINCE_CODE = re.compile(r"^\d{2}$")
"""Kemendagri province code, e.g. ``35``."""

KECAMATAN_COMMITS = {"35": "d652492831fc746a3aaa899ab2f359099c2a69d1"}
"""Pinned commit of a province's kecamatan dump where it differs from :data:`WILAYAH_COMMIT`
(the commit the packaged data was first built from)."""

SCHOOL_REGIONS = {"35.16": "050300"}
"""Dapodik region code of the regencies whose school list is a source (the key of its JSON).
Other regencies have no school source: their data directory holds no schools."""


def check_regency_code(code: str) -> str:
    """Return ``code`` if it is a Kemendagri kabupaten/kota code (``35.17``).

    Raises
    ------
    InputError
        Naming the code, when it is not of the form ``NN.NN``.
    """
    code = code.strip()
    if not REGENCY_CODE.match(code):
        raise InputError("--regency", f"{code!r} is not a kabupaten/kota code (NN.NN, "
                                      "e.g. 35.17)", feature=code)
    return code


def check_province_code(code: str) -> str:
    """Return ``code`` if it is a Kemendagri province code (``35``).

    Raises
    ------
    InputError
        Naming the code, when it is not two digits.
    """
    code = code.strip()
    if not PROVINCE_CODE.match(code):
        raise InputError("--province", f"{code!r} is not a province code (two digits, "
                                       "e.g. 35)", feature=code)
    return code


def regions_source(province: str) -> RawSource:
    """Return the province's kabupaten/kota dump (their codes, official names and outlines)."""
    return RawSource("regions", WILAYAH_REPO, WILAYAH_COMMIT,
                     f"db/kab/wilayah_boundaries_kab_{province}.sql", "MIT")


def regency_sources(code: str) -> tuple[RawSource, ...]:
    """Return every raw file the data of regency ``code`` is converted from, in download order.

    The province's kabupaten/kota dump first (it says whether the code exists), then the
    regency's villages, the province's kecamatan, the BPS bridge and names, and the school list
    where the regency has one (:data:`SCHOOL_REGIONS`).
    """
    code = check_regency_code(code)
    province = code[:2]
    sources = [
        regions_source(province),
        RawSource("villages", WILAYAH_REPO, WILAYAH_COMMIT,
                  f"db/kel/{province}/wilayah_boundaries_kel_{code}.sql", "MIT"),
        RawSource("kecamatan", WILAYAH_REPO, KECAMATAN_COMMITS.get(province, WILAYAH_COMMIT),
                  f"db/kec/wilayah_boundaries_kec_{province}.sql", "MIT"),
        RawSource("bps_to_dagri", KODEWILAYAH_REPO, KODEWILAYAH_COMMIT,
                  "data/bps/bps-to-dagri.tsv", "MIT"),
        RawSource("bps_names", KODEWILAYAH_REPO, KODEWILAYAH_COMMIT,
                  "data/bps/bps-20181.tsv", "MIT"),
    ]
    if code in SCHOOL_REGIONS:
        sources.append(RawSource(
            "schools", "suryavip/daftar-sekolah-indonesia",
            "44eec604324855279b95f255ba0b27156766499e", f"result/{SCHOOL_REGIONS[code]}.json",
            "MIT", optional=True))
    return tuple(sources)


RAW_SOURCES: tuple[RawSource, ...] = regency_sources("35.16")
"""Every raw file the default regency (the packaged one) is converted from."""


def find_raw_file(from_dir: Path, src: RawSource) -> Path:
    """Locate one already-downloaded raw file in ``from_dir``.

    The file may lie directly in the directory (``050300.json``) or under its repository path
    (``result/050300.json``).

    Raises
    ------
    InputError
        Naming the file (and where to download it) when it is missing.
    """
    for candidate in (from_dir / src.filename, from_dir / src.path):
        if candidate.is_file():
            return candidate
    raise InputError(str(from_dir / src.filename),
                     f"raw source file not found (download it from {src.page()})")


def find_raw_files(from_dir: Path,
                   sources: tuple[RawSource, ...] = RAW_SOURCES) -> dict[str, Path]:
    """Locate the already-downloaded raw files in ``from_dir``.

    Raises
    ------
    InputError
        If the directory or one of the files is missing.
    """
    from_dir = Path(from_dir)
    if not from_dir.is_dir():
        raise InputError(str(from_dir), "raw source directory not found")
    return {src.key: find_raw_file(from_dir, src) for src in sources}


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
                       show_progress: bool = True,
                       sources: tuple[RawSource, ...] = RAW_SOURCES) -> dict[str, Path]:
    """Download every raw file into ``dest_dir``, with a progress bar on stderr.

    Parameters
    ----------
    dest_dir
        Directory to write into (created if needed).
    base_url
        Server to download from; ``{base_url}/{repo}/{commit}/{path}``.
    show_progress
        Draw a rich progress bar on stderr.
    sources
        The files to download (default: those of the packaged regency).

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
        for src in sources:
            dest = dest_dir / src.filename
            task = progress.add_task(src.filename, total=None)
            _download_one(src, src.url(base_url), dest, progress, task)
            paths[src.key] = dest
    return paths

