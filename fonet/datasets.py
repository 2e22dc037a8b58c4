"""The regency data fonet ships, and the checksum manifest that guards every data directory.

The converted data of Kabupaten Mojokerto (villages with Kemendagri and BPS codes, kecamatan,
the boundary and the schools) is package data in ``fonet/data/mojokerto``, built from pinned
public sources by ``fonet data fetch`` (see ``SOURCES.md`` and ``LICENSES.md`` there).
``FONET_DATA_DIR`` points fonet at another directory of the same shape.

Every directory written by ``fonet data fetch`` carries a ``SHA256SUMS`` manifest (the format of
``sha256sum``), and :func:`verify_data_dir` checks it before anything is loaded, so a corrupt or
truncated file cannot slip into the store unnoticed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from fonet.errors import InputError

CHECKSUMS_FILE = "SHA256SUMS"
"""Name of the checksum manifest inside a data directory."""

DEFAULT_REGENCY = "mojokerto"
"""The regency whose data is packaged with fonet."""


def packaged_data_dir(regency: str = DEFAULT_REGENCY) -> Path:
    """Return the directory of the regency data shipped inside the package.

    Parameters
    ----------
    regency
        Name of the packaged regency (``mojokerto``).

    Returns
    -------
    pathlib.Path
        ``<fonet package>/data/<regency>``.
    """
    return Path(str(resources.files("fonet"))) / "data" / regency


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(directory: Path | str, names: Iterable[str]) -> Path:
    """Write the ``SHA256SUMS`` manifest of ``names`` inside ``directory``.

    Parameters
    ----------
    directory
        The data directory.
    names
        File names (relative to ``directory``) to list, in the order given.

    Returns
    -------
    pathlib.Path
        The manifest written.
    """
    directory = Path(directory)
    lines = [f"{sha256_file(directory / name)}  {name}\n" for name in names]
    out = directory / CHECKSUMS_FILE
    out.write_text("".join(lines), encoding="utf-8")
    return out


def read_checksums(directory: Path | str) -> dict[str, str]:
    """Read the ``SHA256SUMS`` manifest of a directory: file name → hex digest.

    Raises
    ------
    InputError
        The manifest is missing or a line is not ``<64 hex digits>  <name>``.
    """
    path = Path(directory) / CHECKSUMS_FILE
    if not path.is_file():
        raise InputError(str(path), "checksum manifest not found")
    sums = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InputError(str(path), f"expected '<sha256>  <file>', got {line!r}",
                             feature=f"line {n}")
        sums[name.strip()] = digest
    return sums


def verify_data_dir(directory: Path | str, required: Iterable[str], *,
                    require_manifest: bool = False) -> None:
    """Check that a data directory holds every required file, intact.

    Parameters
    ----------
    directory
        The data directory.
    required
        File names that must be present.
    require_manifest
        Fail when the directory has no ``SHA256SUMS`` (always so for the packaged data);
        otherwise a directory without a manifest is checked for presence only.

    Raises
    ------
    InputError
        Naming the directory when it does not exist, the first missing file, or the first file
        whose SHA-256 differs from the manifest.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(str(directory), "regency data directory not found (set "
                                         "FONET_DATA_DIR, or run `fonet data fetch`)")
    for name in required:
        if not (directory / name).is_file():
            raise InputError(str(directory / name), "required regency data file is missing")
    if not require_manifest and not (directory / CHECKSUMS_FILE).exists():
        return
    for name, digest in read_checksums(directory).items():
        path = directory / name
        if not path.is_file():
            raise InputError(str(path), f"listed in {CHECKSUMS_FILE} but missing")
        if sha256_file(path) != digest:
            raise InputError(str(path), f"checksum does not match {CHECKSUMS_FILE}: the file is "
                                        "corrupt or was changed (run `fonet data fetch` to "
                                        "rebuild it)")
