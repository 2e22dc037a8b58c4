"""The CLI's human output in the user's language: ``fonet plan`` summarises in Bahasa
Indonesia by default and in English with ``--lang en``; JSON is the same in every language; an
unsupported language falls back to Indonesian with a notice."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text as text_

from fonet.i18n import catalogue
from fonet.store import make_engine
from tests.api import copy_store, planned_store

FONET = [sys.executable, "-m", "api.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FONET, *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_plan_summary_in_indonesian_then_english(regency_db: str, tmp_path: Path) -> None:
    env = {"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "COLUMNS": "400"}
    ind = run(env, "plan", "--name", "a")
    assert ind.returncode == 0, ind.stderr
    text = " ".join(ind.stderr.split())
    m = re.search(r"Rencana (\d+) \(a\): menjangkau (\d+)/(\d+) desa/kelurahan, (\d+)/(\d+) "
                  r"kantor, .*backbone terhubung dua sisi: (ya|tidak); .* km rute, .* km kabel, "
                  r"Rp(\d{1,3}(?:\.\d{3})+); redaman maks\. [\d,]+ dB", text)
    assert m, text
    assert "villages" not in text and "Plan " not in text
    eng = run(env, "plan", "--name", "b", "--lang", "en")
    assert eng.returncode == 0, eng.stderr
    text_en = " ".join(eng.stderr.split())
    m_en = re.search(r"Plan (\d+) \(b\): reaches (\d+)/(\d+) villages, (\d+)/(\d+) offices, "
                     r".*two-edge-connected: (yes|no); .* route km, .* cable km, "
                     r"Rp(\d{1,3}(?:,\d{3})+); max loss [\d.]+ dB", text_en)
    assert m_en, text_en
    # the same plan (same seed) in both languages: the same figures, formatted apart
    assert m.group(2, 3, 4, 5) == m_en.group(2, 3, 4, 5)
    assert m.group(7).replace(".", "") == m_en.group(7).replace(",", "")
    assert (m.group(6) == "ya") == (m_en.group(6) == "yes")
    # the root option and FONET_LANG choose too; JSON keeps its keys in any language
    js = run({**env, "FONET_LANG": "en"}, "plan", "--name", "c", "--json")
    assert js.returncode == 0, js.stderr
    r = json.loads(js.stdout)
    assert r["villages_connected"] == int(m.group(2)) and r["villages_total"] == int(m.group(3))
    assert r["cost_idr"] == int(m.group(7).replace(".", ""))


def test_route_and_errors_in_the_chosen_language(regency_db: str, tmp_path: Path) -> None:
    env = {"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "COLUMNS": "400"}
    out = run(env, "route", "KO-35.16.03", "KO-35.16.09")
    assert out.returncode == 0 and "rute biaya terendah: " in out.stderr, out.stderr
    out = run(env, "--lang", "en", "route", "KO-35.16.03", "KO-35.16.09")
    assert out.returncode == 0 and "least-cost route: " in out.stderr, out.stderr
    bad = run(env, "plan", "--pop", "NOPE")
    assert bad.returncode == 2 and bad.stderr.startswith("galat: ") and "NOPE" in bad.stderr
    bad = run({**env, "FONET_LANG": "en"}, "plan", "--pop", "NOPE")
    assert bad.returncode == 2 and bad.stderr.startswith("error: "), bad.stderr
    # an unsupported language falls back to Indonesian with a notice
    fr = run(env, "--lang", "fr", "route", "KO-35.16.03", "KO-35.16.09")
    assert fr.returncode == 0, fr.stderr
    assert "'fr' tidak didukung" in fr.stderr and "rute biaya terendah: " in fr.stderr


# -- every command's human output from the catalogue ------------------------------------------
def _literals(text: str) -> list[str]:
    """The literal parts of a catalogue text, longest first (its placeholders left out)."""
    parts = [" ".join(lit.split()) for lit, *_ in string.Formatter().parse(text)]
    return sorted((p for p in parts if len(p) >= 3), key=len, reverse=True)


def _english_words(keys: list[str]) -> set[str]:
    """Words of the English texts of ``keys`` that none of their Indonesian texts has."""
    en, ind = catalogue("en"), catalogue("id")
    words = {w.lower() for k in keys for lit in _literals(en[k])
             for w in re.findall(r"[A-Za-z]{4,}", lit)}
    own = {w.lower() for k in keys for w in re.findall(r"[A-Za-z]{4,}", ind[k])}
    return words - own


@pytest.fixture(scope="module")
def planned_copy(regency_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """A fresh copy of the planned regency for each language: (env, route edge of a span)."""
    src = planned_store(regency_db_file)

    def make(lang: str) -> tuple[dict[str, str], int, int]:
        folder = tmp_path_factory.mktemp(f"cli-{lang}")
        url = copy_store(src, folder)
        eng = make_engine(url)
        with eng.connect() as conn:
            edge = conn.execute(text_("SELECT route_edge_id FROM span ORDER BY id LIMIT 1")
                                ).scalar_one()
            plan_id = conn.execute(text_("SELECT max(id) FROM plan")).scalar_one()
        eng.dispose()
        env = {"FONET_DB_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(folder),
               "COLUMNS": "400"}
        return env, edge, plan_id

    return make


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_command_speaks_the_language(planned_copy, lang: str) -> None:
    """A representative command of each group, run with ``--lang``: the catalogue's texts of
    that language appear in its output and, in Indonesian, no English word of them."""
    env, edge, plan_id = planned_copy(lang)
    commands: list[tuple[list[str], list[str]]] = [
        (["summary"], ["cli.summary.title", "cli.summary.route_edges", "cli.summary.schools"]),
        (["plan", "list"], ["cli.plan.row", "cli.span_status.planned"]),
        (["impact", "--route-edge", str(edge)],
         ["cli.impact.failed", "cli.impact.cut_off", "cli.impact.no_redundancy"]),
        (["locate-cut"], ["cli.locate.head"]),
        (["devices", "add", "olt-1", "--host", "127.0.0.1", "--community", "public",
          "--no-discover"], ["cli.devices.added"]),
        (["devices", "list"], ["cli.devices.row"]),
        (["fibre", "check"], ["cli.fibre.violations"]),
        (["plan", "commit", str(plan_id), "--status", "under_construction"],
         ["cli.plan.committed", "cli.span_status.under_construction"]),
        (["plan", "--name", "fase-2", "--targets", "school", "--budget-idr", "2000000000"],
         ["cli.plan.progress", "cli.plan.targets"]),
    ]
    cat = catalogue(lang)
    for args, keys in commands:
        out = run(env, "--lang", lang, *args)
        assert out.returncode == 0, (args, out.stderr)
        text = " ".join((out.stdout + out.stderr).split())
        for key in keys:
            if key == "cli.plan.progress":  # a spinner: not drawn without a terminal
                continue
            lit = _literals(cat[key])[0]
            assert lit in text, (args, key, lit, text)
        if lang == "id":
            words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
            english = _english_words(keys) & words
            assert not english, (args, sorted(english), text)
