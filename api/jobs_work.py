"""What a job does, run in a worker process of :class:`api.jobs.JobRunner`.

:func:`work` is the worker's entry point: it opens the store, marks the job running, does
the work of its kind while recording its progress, and stores the outcome. Bad input
(:class:`fonet.errors.FonetError`) fails the job with its message; nothing here answers
HTTP (the worker imports neither FastAPI nor the routers).
"""

from __future__ import annotations

import logging
import shutil
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from fonet.errors import FonetError
from fonet.jobs import fail_job, finish_job, set_progress, start_job
from fonet.store import make_engine, transaction

log = logging.getLogger(__name__)

MEDIA = {"gpkg": "application/geopackage+sqlite3", "kml": "application/vnd.google-earth.kml+xml",
         "kmz": "application/vnd.google-earth.kmz", "png": "image/png",
         "pdf": "application/pdf", "atlas": "application/pdf", "zip": "application/zip",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
"""Media types of the export files (GeoJSON and CSV come zipped)."""

class Progress(Protocol):
    """Records a job's progress: ``fraction`` 0..1 and what it does.

    ``step`` keeps it as a step of its own (see :func:`fonet.jobs.set_progress`).
    """

    def __call__(self, fraction: float, message: str, *, step: bool = False) -> None:
        """Record the progress."""



def run_plan_job(engine: Engine, params: dict[str, Any], folder: Path,
                 progress: Progress) -> dict[str, Any]:
    """Plan the regency with ``params`` (the body of ``POST /plans``) and store the plan.

    With ``province`` in ``params``, plan the province instead (:func:`run_province_job`).
    """
    if params.get("province"):
        return run_province_job(engine, params, folder, progress)
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import profile_with_overrides

    progress(0.05, "reading the profile")
    profile = profile_with_overrides(params.get("profile"))
    progress(0.1, "planning")
    with transaction(engine) as s:
        result = run_plan(s, profile, name=params.get("name"), pop_code=params.get("pop"),
                          hub_codes=params.get("hubs") or {},
                          include_schools=params.get("schools"), seed=params.get("seed", 0),
                          targets=params.get("targets"), budget_idr=params.get("budget_idr"),
                          year=params.get("year"), priority=params.get("priority"),
                          regency=params.get("regency"))
    return {"plan_id": result.plan_id, "name": result.name,
            "villages_connected": result.villages_connected, "cost_idr": result.cost_idr}


def run_province_job(engine: Engine, params: dict[str, Any], folder: Path,
                     progress: Progress) -> dict[str, Any]:
    """Plan every regency of ``params["province"]`` on Dask, then the provincial backbone.

    Runs :func:`gis.province_plan.plan_province` (a local cluster of ``workers`` processes
    started from this worker process, or the scheduler at ``scheduler``); each regency's
    arrival is a progress step ``<code> <name>: <connected>/<total> villages``. A profile
    override is written to ``folder`` for the Dask workers to read.

    Returns
    -------
    dict
        ``scenario_id``, ``name``, ``province``, ``regencies`` (how many),
        ``villages_connected``, ``villages_total``, ``spofs`` (single points of failure of
        the backbone), ``two_edge_connected``, ``unreached`` (regencies the backbone missed).
    """
    import yaml

    from fonet.planning.profile import profile_with_overrides
    from gis.province_plan import plan_province, province_regencies

    db_url = engine.url.render_as_string(hide_password=False)
    province = params["province"]
    names = dict(province_regencies(db_url, province))
    profile_path = None
    if params.get("profile"):
        profile = profile_with_overrides(params["profile"])
        folder.mkdir(parents=True, exist_ok=True)
        profile_path = folder / "profile.yaml"
        profile_path.write_text(yaml.safe_dump(profile.model_dump(mode="json")))
    done: list[str] = []

    def arrived(code: str, res: dict[str, Any]) -> None:
        done.append(code)
        p = res["plan"]
        progress(0.95 * len(done) / len(names), f"{code} {names.get(code, code)}: "
                 f"{p['villages_connected']}/{p['villages_total']} villages", step=True)

    progress(0.02, f"planning {len(names)} regencies of province {province}")
    try:
        out = plan_province(db_url, province, scheduler=params.get("scheduler"),
                            workers=params.get("workers") or 2, name=params.get("name"),
                            profile_path=profile_path, seed=params.get("seed", 0),
                            progress=arrived)
    finally:
        if profile_path is not None:
            shutil.rmtree(folder, ignore_errors=True)
    b = out["backbone"]
    return {"scenario_id": out["scenario_id"], "name": out["name"], "province": province,
            "regencies": len(out["regencies"]), "villages_connected": out["villages_connected"],
            "villages_total": out["villages_total"],
            "spofs": len(b["single_points_of_failure"]),
            "two_edge_connected": b["two_edge_connected"], "unreached": b["unreached"]}


def run_export_job(engine: Engine, params: dict[str, Any], folder: Path,
                   progress: Progress) -> dict[str, Any]:
    """Export a plan (``plan_id``, ``format``, ``lang``, ``kecamatan``) into ``folder``."""
    from gis.export import export_plan

    plan_id, fmt, lang = params["plan_id"], params["format"], params.get("lang", "id")
    kecamatan = params.get("kecamatan")
    stem = f"fonet-plan-{plan_id}"
    folder.mkdir(parents=True, exist_ok=True)
    progress(0.1, f"exporting {fmt}")
    if fmt in ("geojson", "csv"):
        out = folder / stem
        out.mkdir(exist_ok=True)
        result = export_plan(engine, plan_id, fmt, out, lang=lang, kecamatan=kecamatan)
        progress(0.9, "zipping")
        archive = folder / f"{stem}-{fmt}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for f in result["files"]:
                z.write(f, Path(f).name)
        shutil.rmtree(out, ignore_errors=True)
        path, media = archive, MEDIA["zip"]
    else:
        path = (folder / f"{stem}-atlas.pdf" if fmt == "atlas" else folder / f"{stem}.{fmt}")
        export_plan(engine, plan_id, fmt, path, lang=lang, kecamatan=kecamatan)
        media = MEDIA.get(fmt, "application/octet-stream")
    return {"file": path.name, "media_type": media, "bytes": path.stat().st_size,
            "plan_id": plan_id, "format": fmt}


KINDS: dict[str, Callable[[Engine, dict[str, Any], Path, Progress], dict[str, Any]]] = {
    "plan": run_plan_job, "export": run_export_job}


def work(db_url: str, job_id: int, jobs_dir: str) -> str:
    """Run one queued job to its end (in a worker process); return its final state."""
    engine = make_engine(db_url)
    try:
        job = start_job(engine, job_id)
        if job is None:
            return "skipped"
        folder = Path(jobs_dir) / str(job_id)

        def progress(fraction: float, message: str, *, step: bool = False) -> None:
            set_progress(engine, job_id, fraction, message, step=step)

        try:
            result = KINDS[job.kind](engine, dict(job.params or {}), folder, progress)
        except FonetError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            fail_job(engine, job_id, str(exc))
            return "failed"
        except Exception as exc:  # a bug: keep the worker alive, tell the owner
            log.error("job %d (%s) failed:\n%s", job_id, job.kind, traceback.format_exc())
            shutil.rmtree(folder, ignore_errors=True)
            fail_job(engine, job_id, f"internal error ({type(exc).__name__}): {exc}")
            return "failed"
        finish_job(engine, job_id, result)
        return "succeeded"
    finally:
        engine.dispose()
