"""mypy over the four packages finds no error (configuration: ``[tool.mypy]`` in pyproject.toml).

Five modules being rewritten elsewhere are left out for now (``PENDING``): they are excluded
from the run and their errors silenced where other modules import them. Empty ``PENDING`` to
check everything.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).parent / "mypy"
PACKAGES = ["fonet", "gis", "collectors", "api"]
PENDING = [
    "fonet/planning/plan.py",
    "gis/export/layers.py",
    "fonet/errors.py",
    "api/cli/common.py",
    "api/cli/plan_cmd.py",
]


def test_mypy_finds_no_error() -> None:
    assert MYPY.exists(), f"{MYPY} not found: install the test extra (pip install -e '.[test]')"
    cmd = [str(MYPY)]
    if PENDING:
        pattern = "|".join(re.escape(p) for p in PENDING)
        cmd += ["--exclude", f"(^|/)({pattern})$", "--follow-imports", "silent"]
    run = subprocess.run([*cmd, *PACKAGES], cwd=REPO, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Success: no issues found" in run.stdout
