"""The CI rule itself: under CI=true a skipped or xfail test fails the run; locally it skips.

A throw-away test directory whose conftest takes the hooks of ``tests/conftest.py`` is run by
pytest in a subprocess, with and without ``CI=true``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CONFTEST = """
import pytest
from tests.conftest import (pytest_collectreport, pytest_runtest_makereport,
                            pytest_sessionfinish, pytest_terminal_summary)
from tests.ci import require


@pytest.fixture
def snmpd_binary():
    require(False, "net-snmp snmpd is not installed (Debian package 'snmpd')")
"""

TESTS = {
    "test_passes.py": "def test_ok():\n    assert 1 + 1 == 2\n",
    "test_skips.py": (
        "import pytest\n\n"
        "def test_skipped_inside():\n    pytest.skip('no chromium here')\n\n"
        "@pytest.mark.skipif(True, reason='marked away')\n"
        "def test_skipif():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known bug')\n"
        "def test_xfail():\n    assert False\n\n"
        "def test_missing_tool(snmpd_binary):\n    pass\n"),
    "test_module_skip.py": (
        "import pytest\n"
        "pytest.skip('whole module away', allow_module_level=True)\n\n"
        "def test_never():\n    pass\n"),
}


def run_pytest(folder: Path, ci: str | None, *names: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-c",
         str(folder / "pytest.ini"), "--rootdir", str(folder), *[str(folder / n) for n in names]],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    for name, text in TESTS.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_skips_fail_the_run_under_ci(folder: Path) -> None:
    run = run_pytest(folder, "true", "test_passes.py", "test_skips.py")
    out = run.stdout
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert "1 passed" in out and "skipped" not in out.splitlines()[-1], out
    for reason in ("no chromium here", "marked away", "xfail is not allowed in CI (known bug)",
                   "net-snmp snmpd is not installed (Debian package 'snmpd'); CI=true: this test "
                   "must run, not skip"):
        assert reason in out, out
    summary = out.split("skipped or xfail under CI=true", 1)[1]
    for test in ("test_skipped_inside", "test_skipif", "test_xfail"):
        assert f"test_skips.py::{test}" in summary


def test_a_module_skipped_at_collection_fails_the_run_under_ci(folder: Path) -> None:
    run = run_pytest(folder, "true", "test_passes.py", "test_module_skip.py")
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout
    assert "whole module away" in run.stdout.split("skipped or xfail under CI=true", 1)[1]


def test_locally_the_same_tests_skip(folder: Path) -> None:
    run = run_pytest(folder, None, "test_passes.py", "test_skips.py", "test_module_skip.py")
    assert run.returncode == pytest.ExitCode.OK, run.stdout
    last = run.stdout.splitlines()[-1]
    assert "1 passed" in last and "4 skipped" in last and "1 xfailed" in last, last


def test_ci_without_skips_passes(folder: Path) -> None:
    run = run_pytest(folder, "true", "test_passes.py")
    assert run.returncode == pytest.ExitCode.OK, run.stdout
