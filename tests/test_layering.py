"""The import layering ``api -> collectors, gis -> fonet`` is a contract, checked by import-linter.

The contracts live in ``[tool.importlinter]`` of pyproject.toml: the layers api > (collectors |
gis) > fonet, with collectors and gis independent of each other, and no fastapi, pysnmp,
geopandas, pyogrio or matplotlib in the fonet domain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_are_kept() -> None:
    assert LINT_IMPORTS.exists(), (
        f"{LINT_IMPORTS} not found: install the test extra (pip install -e '.[test]')")
    run = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
