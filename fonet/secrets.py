"""Sealing device credentials at rest (Fernet: AES-128-CBC with HMAC-SHA256).

Communities and SNMPv3 keys are stored only as Fernet tokens. The key comes from
``FONET_SECRET_KEY`` (one key, or several separated by commas, the newest first), or else
from a key file: ``FONET_SECRET_KEY_FILE`` or ``secret.key`` next to the default store
(``~/.local/share/fonet/secret.key``), created with mode 0600 on first use. A store is useless
without its key: back the key up apart from the store, and keep the old key with old backups
after :func:`rotate`.

Nothing here logs, prints or puts a secret or a key in an exception message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from fonet.errors import StateError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "SecretKeyError",
    "Sealer",
    "default_key_file",
    "key_file",
    "sealer",
]

KEY_ENV = "FONET_SECRET_KEY"
KEY_FILE_ENV = "FONET_SECRET_KEY_FILE"
_PENDING = ".new"


class SecretKeyError(StateError):
    """The secret key is missing, malformed, or does not open what the store holds."""


def default_key_file() -> Path:
    """Return ``secret.key`` in fonet's per-user data folder (beside the default store)."""
    from fonet.config import _user_data_home

    return _user_data_home() / "secret.key"


def key_file() -> Path:
    """Return the key file in use: ``FONET_SECRET_KEY_FILE`` or the default one."""
    named = os.environ.get(KEY_FILE_ENV)
    return Path(named).expanduser() if named else default_key_file()


def _parse(text: str, where: str) -> list[Fernet]:
    keys = [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise SecretKeyError(f"{where} holds no key")
    out = []
    for n, key in enumerate(keys, 1):
        try:
            out.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise SecretKeyError(f"{where}: key {n} is not a Fernet key (32 url-safe "
                                 "base64-encoded bytes)") from None
    return out


def write_key_file(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` with mode 0600 (created 0600, never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_file(path: Path, *, create: bool) -> list[Fernet]:
    pending = path.with_name(path.name + _PENDING)
    if not path.exists():
        if not create:
            raise SecretKeyError(f"no secret key: set {KEY_ENV} or create {path}")
        if pending.exists():  # a rotation stopped after sealing with the new key
            pending.replace(path)
        else:
            write_key_file(path, Fernet.generate_key())
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretKeyError(f"{path} is readable by others (mode {mode:o}); run "
                             f"`chmod 600 {path}`")
    keys = _parse(path.read_text(encoding="ascii", errors="replace"), str(path))
    if pending.exists():  # also open what an interrupted rotation sealed
        keys += _parse(pending.read_text(encoding="ascii", errors="replace"), str(pending))
    return keys


@dataclass(frozen=True)
class Sealer:
    """Seals and opens secrets with one or more Fernet keys (the first one seals).

    Parameters
    ----------
    keys : tuple of Fernet
        Keys, the one to seal with first.
    source : str
        Where the keys came from (an environment variable or a file), for messages.
    """

    keys: tuple[Fernet, ...]
    source: str

    def __repr__(self) -> str:
        return f"Sealer(source={self.source!r}, keys={len(self.keys)})"

    @property
    def _fernet(self) -> MultiFernet:
        return MultiFernet(list(self.keys))

    def seal(self, secret: str | None) -> str | None:
        """Return the Fernet token of ``secret`` (None stays None)."""
        if secret is None:
            return None
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, token: str | None, what: str = "a secret") -> str | None:
        """Return the secret sealed in ``token`` (None stays None).

        Raises
        ------
        SecretKeyError
            When no key opens the token (another key, or a damaged value); the message names
            ``what`` and the key's source, never the token.
        """
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretKeyError(f"{what} cannot be opened with the key from {self.source} "
                                 "(another key sealed it, or it is damaged)") from None

    def reseal(self, token: str | None, new: Sealer) -> str | None:
        """Open ``token`` with these keys and seal it again with ``new``'s first key."""
        return new.seal(self.open(token))


def sealer(*, create: bool = True) -> Sealer:
    """Return the sealer of this installation.

    Parameters
    ----------
    create : bool
        Create the key file (mode 0600) when there is no key yet.

    Returns
    -------
    Sealer
        Keys from ``FONET_SECRET_KEY``, else from the key file.
    """
    text = os.environ.get(KEY_ENV)
    if text:
        return Sealer(tuple(_parse(text, KEY_ENV)), KEY_ENV)
    path = key_file()
    return Sealer(tuple(_load_file(path, create=create)), str(path))


def rotate(reseal_all: Callable[[Sealer, Sealer], int], *,
           new_key_file: Path | None = None) -> tuple[int, Path]:
    """Seal every stored secret under a new key and make that key the one in use.

    The new key is written first (``<key file>.new``, mode 0600), then ``reseal_all(old,
    new)`` re-seals the store in one transaction, then the new key file replaces the old
    one. A rotation stopped in between is finished by the next start: both keys open
    secrets while ``.new`` exists.

    Parameters
    ----------
    reseal_all : callable
        Re-seals every stored secret from the old sealer to the new one; returns how many.
    new_key_file : Path or None
        Where to write the new key when the key comes from ``FONET_SECRET_KEY`` (the
        variable must then be changed to the file's content); by default the key file.

    Returns
    -------
    count : int
        Secrets re-sealed.
    path : Path
        The file holding the new key.
    """
    old = sealer(create=True)
    from_env = old.source == KEY_ENV
    if from_env and new_key_file is None:
        raise SecretKeyError(f"the key comes from {KEY_ENV}: give a file for the new key "
                             "(--new-key-file); then set the variable to its content")
    target = new_key_file or key_file()
    pending = target.with_name(target.name + _PENDING)
    key = Fernet.generate_key()
    write_key_file(pending, key)
    new = Sealer((Fernet(key),), str(target))
    try:
        count = reseal_all(old, new)
    except BaseException:
        with contextlib.suppress(OSError):
            pending.unlink()
        raise
    pending.replace(target)
    return count, target
