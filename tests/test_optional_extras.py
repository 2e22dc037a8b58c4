"""The service and the planner import and run without the optional extras (demo, osm, province)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OPTIONAL = ("snmpsim", "pysmi", "pyrosm", "osmnx", "distributed", "dask")

# A child interpreter in which the optional packages cannot be imported, as on a machine
# where `pip install fonet` ran without extras.
BLOCK = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {OPTIONAL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Block())
import importlib.util
_find = importlib.util.find_spec
importlib.util.find_spec = lambda n, *a: None if n.split(".")[0] in {OPTIONAL!r} else _find(n, *a)
"""


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, **env})


def test_service_and_planner_import_without_extras(tmp_path: Path) -> None:
    run = _run("import api.app, api.cli.commands, fonet.planning.plan, gis.export\n"
               "import fonet.planning.steiner, collectors.scheduler\n"
               "api.app.create_app\n"
               f"assert not any(m.split('.')[0] in {OPTIONAL!r} for m in sys.modules)\n"
               "print('ok')", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_reading_roads_without_the_osm_extra_says_what_to_install(tmp_path: Path,
                                                                  regency_db: str) -> None:
    pbf = tmp_path / "roads.osm.pbf"
    pbf.write_bytes(b"\x00" * 64)
    run = _run("import sys\nfrom api.cli import main\n"
               f"sys.argv = ['fonet', 'import', 'roads', {str(pbf)!r}]\nmain()",
               tmp_path, FONET_DB_URL=regency_db)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "pyrosm" in run.stderr and "fonet[osm]" in run.stderr
