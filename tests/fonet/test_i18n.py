"""The catalogues of strings: every key in both languages, the same placeholders, the web
map's keys all present, and numbers in each language's own format."""

from __future__ import annotations

import re
import string
from http import HTTPStatus
from pathlib import Path

import pytest

from fonet.i18n import LANGUAGES, catalogue, from_accept_language, number, resolve, rupiah, t

STATIC = Path(__file__).parents[2] / "api" / "static"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_in_every_language() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        for other in LANGUAGES:
            missing = keys[other] - keys[lang]
            assert not missing, f"catalogue {lang!r} lacks {sorted(missing)}"
    for key in keys["id"]:
        texts = {lang: catalogue(lang)[key] for lang in LANGUAGES}
        assert all(v.strip() for v in texts.values()), key
        fields = {lang: _fields(v) for lang, v in texts.items()}
        assert fields["id"] == fields["en"], (key, fields)


def test_web_map_uses_only_catalogue_keys() -> None:
    """Every key the web map asks for (T('...') in its scripts, data-i18n* in its page)."""
    used: set[str] = set()
    for path in STATIC.glob("*.js"):
        used |= set(re.findall(r"\bT\('([a-z0-9_.]+)'", path.read_text()))
    used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"',
                           (STATIC / "index.html").read_text()))
    assert len(used) > 50
    for lang in LANGUAGES:
        missing = used - set(catalogue(lang))
        assert not missing, f"catalogue {lang!r} lacks {sorted(missing)}"


def test_problem_titles_in_english_are_the_http_phrases() -> None:
    for key, text in catalogue("en").items():
        if key.startswith("problem."):
            assert text == HTTPStatus(int(key.split(".")[1])).phrase


def test_language_choice_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FONET_LANG", raising=False)
    assert resolve(None) == ("id", False)
    assert resolve("en_US") == ("en", False)
    assert resolve("id-ID") == ("id", False)
    assert resolve("fr") == ("id", True)
    monkeypatch.setenv("FONET_LANG", "en")
    assert resolve(None) == ("en", False)
    assert t("map.nav.coverage") == "Coverage"
    assert t("map.nav.coverage", "id") == "Cakupan"
    assert from_accept_language("fr-FR, en;q=0.5, id;q=0.9") == "id"
    assert from_accept_language("de, fr") is None
    assert from_accept_language("id;q=0, en") == "en"


def test_numbers_in_each_language() -> None:
    assert number(1234567.891, "id", 2) == "1.234.567,89"
    assert number(1234567.891, "en", 2) == "1,234,567.89"
    assert rupiah(12_345_678.4, "id") == "Rp12.345.678"
    assert rupiah(12_345_678.4, "en") == "Rp12,345,678"
