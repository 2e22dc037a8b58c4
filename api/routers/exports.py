"""Exports of a plan: GeoPackage, GeoJSON, KML, CSV tables, the A3 map (PNG, PDF)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import Id, Store, Viewer
from gis.export import ExportFormat, Lang

router = APIRouter(tags=["exports"])






MEDIA = {"gpkg": "application/geopackage+sqlite3", "kml": "application/vnd.google-earth.kml+xml",
         "png": "image/png", "pdf": "application/pdf", "zip": "application/zip",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/plans/{plan_id}/exports/{fmt}", summary="Export a plan",
            response_class=FileResponse,
            responses={200: {"content": {v: {} for v in MEDIA.values()},
                             "description": "The file (GeoJSON and CSV come zipped)."}})
def export(plan_id: Id, fmt: ExportFormat, engine: Store, _: Viewer, lang: Lang = Lang.id
           ) -> FileResponse:
    """Export a plan as `fonet export` does.

    GeoJSON (one file per layer) and CSV (bill of materials and coverage) come as a ZIP
    archive.
    """
    from gis.export import export_plan

    folder = Path(tempfile.mkdtemp(prefix="fonet-export-"))
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    try:
        stem = f"fonet-plan-{plan_id}"
        if fmt in (ExportFormat.geojson, ExportFormat.csv):
            out = folder / stem
            out.mkdir()
            result = export_plan(engine, plan_id, fmt.value, out, lang=lang.value)
            archive = folder / f"{stem}-{fmt.value}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for f in result["files"]:
                    z.write(f, Path(f).name)
            return FileResponse(archive, media_type=MEDIA["zip"], filename=archive.name,
                                background=cleanup)
        out = folder / f"{stem}.{fmt.value}"
        export_plan(engine, plan_id, fmt.value, out, lang=lang.value)
        return FileResponse(out, media_type=MEDIA[fmt.value], filename=out.name,
                            background=cleanup)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
