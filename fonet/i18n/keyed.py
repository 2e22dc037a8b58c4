"""Texts made on the server (link reasons, alarm messages) as catalogue keys and parameters.

The server writes these texts in English from the ``en`` catalogue (``link.reason.*``,
``alarm.msg.*``), stores them as they are (the API's ``reasons`` and ``message`` fields keep
them), and reads them back here into a key and its parameters, so that a client renders them
in its own language. A parameter that is itself a known text (``end A``, a place of a cut, the
reasons of a link down) is keyed in turn; a text no catalogue pattern matches is kept as it
is (``key`` ``None``).
"""

from __future__ import annotations

import functools
import re
import string
from typing import Any

from fonet.i18n import catalogue, number, t

# parameters holding a list of texts joined by "; ", keyed with this prefix
_LISTS = {"reasons": "link.reason."}
_DECIMAL = re.compile(r"-?\d+\.\d+")


def en(key: str, **values: Any) -> str:
    """Return the English text of ``key`` (the form the server stores)."""
    return t(key, "en", **values)


@functools.cache
def _patterns(prefix: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for key, text in catalogue("en").items():
        if not key.startswith(prefix):
            continue
        parts, literal = [], 0
        for lit, field, _, _ in string.Formatter().parse(text):
            parts.append(re.escape(lit))
            literal += len(lit)
            if field:
                parts.append(f"(?P<{field}>.+?)")
        if literal:
            out.append((literal, key, re.compile("".join(parts), re.S)))
    # the most literal text first: "oper {oper} (admin down)" before "oper {oper}"
    return tuple((key, rx) for _, key, rx in sorted(out, key=lambda x: (-x[0], x[1])))


def _value(name: str, value: str) -> Any:
    if name in _LISTS:
        return [keyed(part, _LISTS[name]) for part in value.split("; ")]
    inner = keyed(value, "term.")
    return inner if inner["key"] else value


@functools.lru_cache(maxsize=4096)
def _match(text: str, prefix: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    for key, rx in _patterns(prefix):
        m = rx.fullmatch(text)
        if m:
            return key, tuple(m.groupdict().items())
    return None


def keyed(text: str, prefix: str) -> dict[str, Any]:
    """Return ``text`` as ``{"key", "params", "text"}`` from the catalogue keys under ``prefix``.

    Parameters
    ----------
    text
        A text the server made in English (a link reason, an alarm message).
    prefix
        The family of keys it belongs to (``link.reason.``, ``alarm.msg.``).

    Returns
    -------
    dict
        ``key`` (``None`` when no pattern matches), ``params`` (strings, or nested keyed texts),
        ``text`` (the English text, for a client that cannot render the key).
    """
    found = _match(text, prefix)
    if found is None:
        return {"key": None, "params": {}, "text": text}
    key, params = found
    return {"key": key, "params": {n: _value(n, v) for n, v in params}, "text": text}


def render(item: dict[str, Any], lang: str | None) -> str:
    """Return a keyed text (see :func:`keyed`) in ``lang``: decimals in its format."""
    if not item.get("key"):
        return str(item.get("text", ""))
    values = {}
    for name, value in item["params"].items():
        if isinstance(value, list):
            values[name] = "; ".join(render(v, lang) for v in value)
        elif isinstance(value, dict):
            values[name] = render(value, lang)
        elif _DECIMAL.fullmatch(value):
            values[name] = number(float(value), lang, len(value.split(".")[1]))
        else:
            values[name] = value
    return t(item["key"], lang, **values)


def localise(text: str, prefix: str, lang: str | None) -> str:
    """Return the server text ``text`` in ``lang`` (unchanged when no key matches)."""
    return render(keyed(text, prefix), lang)
