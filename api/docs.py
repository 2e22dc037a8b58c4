"""``/docs`` (Swagger UI) and ``/redoc`` served with the service's own copies of their files.

The pages load ``swagger-ui-dist`` and ``redoc`` from the map's vendored npm packages
(``api/static/node_modules``, installed by ``make setup``), so they work without Internet and
under the service's Content-Security-Policy (no inline script).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

ASSETS = "/map/node_modules"

SWAGGER = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fonet API — Swagger UI</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui-dist/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-dist/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-dist/swagger-ui-standalone-preset.js"></script>
  <script src="/map/docs/swagger-init.js"></script>
</body>
</html>
"""

REDOC = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fonet API — ReDoc</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="{ASSETS}/redoc/bundles/redoc.standalone.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Add ``GET /docs`` and ``GET /redoc``."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC)
