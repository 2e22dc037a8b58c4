"""The strings fonet shows to people, one catalogue per language.

Each language has one JSON catalogue beside this module (``id.json``, ``en.json``): a flat map
from a dotted key (``plan.summary``, ``map.nav.noc``) to a text with ``{name}`` placeholders.
The same files serve the CLI, the API's problem titles and the web map (which fetches them), so
no text is written twice. Indonesian (``id``) is the default; an unsupported language falls
back to it.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("id", "en")
DEFAULT_LANGUAGE = "id"
_DIR = Path(__file__).parent


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the catalogue of ``lang`` (a supported language code).

    Parameters
    ----------
    lang
        ``id`` or ``en``.

    Returns
    -------
    dict of str to str
        Key to text.
    """
    if lang not in LANGUAGES:
        raise KeyError(f"no catalogue for language {lang!r}; supported: {', '.join(LANGUAGES)}")
    data = json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def catalogue_path(lang: str) -> Path:
    """Return the file of the catalogue of ``lang``."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    return _DIR / f"{lang}.json"


def resolve(lang: str | None) -> tuple[str, bool]:
    """Return the supported language for ``lang`` and whether it had to fall back.

    ``None`` or an empty string gives ``FONET_LANG`` or else the default without a fallback
    notice; ``id-ID``/``en_US`` match by their primary subtag.
    """
    if not lang:
        env = os.environ.get("FONET_LANG", "")
        if not env:
            return DEFAULT_LANGUAGE, False
        lang = env
    primary = lang.strip().replace("_", "-").split("-")[0].lower()
    if primary in LANGUAGES:
        return primary, False
    return DEFAULT_LANGUAGE, True


def from_accept_language(header: str | None) -> str | None:
    """Return the first supported language of an ``Accept-Language`` header, by its q-values.

    Returns ``None`` when the header names no supported language.
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, i, primary))
    return min(ranked)[2] if ranked else None


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """Return the text of ``key`` in ``lang`` with ``values`` put in its placeholders.

    Parameters
    ----------
    key
        Dotted catalogue key.
    lang
        Language; ``None`` gives ``FONET_LANG`` or the default.
    **values
        Placeholder values.
    """
    code, _ = resolve(lang)
    text = catalogue(code)[key]
    return text.format(**values) if values else text


def number(value: float, lang: str | None = None, decimals: int | None = None) -> str:
    """Format ``value`` with the separators of ``lang`` (``1.234,5`` in id, ``1,234.5`` in en).

    Parameters
    ----------
    value
        The number.
    lang
        Language; ``None`` gives ``FONET_LANG`` or the default.
    decimals
        Fixed number of decimals; ``None`` keeps the value's own (integers have none).
    """
    code, _ = resolve(lang)
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    if code == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def rupiah(value: float, lang: str | None = None) -> str:
    """Format an amount in rupiah, rounded to whole rupiah (``Rp1.234.567`` in id)."""
    return "Rp" + number(round(value), lang)
