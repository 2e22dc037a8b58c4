"""Settings from the environment (``FONET_*`` variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _user_data_home() -> Path:
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fonet"


def default_db_url() -> str:
    """Return the per-user SQLite store used when ``FONET_DB_URL`` is unset."""
    return f"sqlite:///{_user_data_home() / 'fonet.db'}"


def default_data_dir() -> Path:
    """Return the regency data used when ``FONET_DATA_DIR`` is unset: the packaged Mojokerto."""
    from fonet.datasets import packaged_data_dir

    return packaged_data_dir()


def default_fetch_dir(code: str | None = None) -> Path:
    """Return where ``fonet data fetch`` writes without ``--out`` (and ``FONET_DATA_DIR``).

    The per-user data folder: the packaged data is never overwritten by default.

    Parameters
    ----------
    code
        A kabupaten/kota code (``35.17``) or a province code (``35``, whose directory holds
        one sub-directory per kabupaten/kota); ``None`` means the packaged regency.
    """
    return _user_data_home() / "data" / (code or "mojokerto")


class Settings(BaseSettings):
    """fonet settings, read from ``FONET_*`` environment variables.

    Attributes
    ----------
    db_url
        SQLAlchemy URL of the store (``FONET_DB_URL``); an SQLite file by default.
    data_dir
        Directory holding the regency data files (``FONET_DATA_DIR``); ``None`` means the
        data packaged with fonet (see :attr:`regency_dir`).
    regency_buffer_m
        How far outside the regency's outer ring (hole filled) a site may lie.
    unreachable_after
        Consecutive failed polls before a device is unreachable (``FONET_UNREACHABLE_AFTER``);
        one slow answer is not an outage.
    """

    model_config = SettingsConfigDict(env_prefix="FONET_", extra="ignore")

    db_url: str = Field(default_factory=default_db_url)
    data_dir: Path | None = None
    regency_buffer_m: float = 3000.0
    unreachable_after: int = Field(default=2, ge=1)

    @property
    def regency_dir(self) -> Path:
        """The regency data directory in force: ``FONET_DATA_DIR``, else the packaged data."""
        return self.data_dir or default_data_dir()
