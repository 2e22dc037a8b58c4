"""The CLI's human output in the user's language: ``fonet plan`` summarises in Bahasa
Indonesia by default and in English with ``--lang en``; JSON is the same in every language; an
unsupported language falls back to Indonesian with a notice."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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
