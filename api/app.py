"""The HTTP service: ``create_app(settings)`` builds the FastAPI application.

The application serves the REST API under ``/api/v1``, OpenAPI at ``/docs``, ``GET /healthz``,
the web map at ``/map/``, and runs, in the same process, the SNMP collectors' scheduler (when
the store has devices) and the live event hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from api import problems
from api.audit import AuditLog
from api.caching import RenderCache
from api.deps import reject_unknown_query
from api.docs import install_docs
from api.events import EventHub
from api.jobs import JobRunner
from api.middleware import HeadAsGet, SecurityHeaders, content_security_policy
from api.ratelimit import RateLimiter
from fonet.config import Settings
from fonet.store import make_engine, reader, require_current

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
VENDOR_LEAFLET = STATIC_DIR / "node_modules" / "leaflet" / "dist" / "leaflet.js"
VENDOR_DOCS = STATIC_DIR / "node_modules" / "swagger-ui-dist" / "swagger-ui-bundle.js"
API_PREFIX = "/api/v1"


class ServiceSettings(Settings):
    """Settings of ``fonet serve`` (``FONET_*`` variables), on top of the store's.

    Attributes
    ----------
    basemap_url
        Tile URL template for the map's basemap (``FONET_BASEMAP_URL``, e.g.
        ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``); without it the regency's
        boundary, kecamatan and villages are the base.
    basemap_attribution
        Attribution shown with the basemap.
    poll_interval_s
        Seconds between SNMP polls of each device (``FONET_POLL_INTERVAL_S``).
    poll_concurrency
        Devices polled at the same time (``FONET_POLL_CONCURRENCY``).
    poll_timeout_s
        Seconds to wait for each SNMP answer (``FONET_POLL_TIMEOUT_S``).
    poll_retries
        Re-sends after a timeout (``FONET_POLL_RETRIES``).
    collectors
        Run the collectors' scheduler in the service when devices exist.
    events_interval_s
        How often the event stream looks for new changes in the store.
    max_body_bytes
        Largest request body accepted; larger ones get 413.
    job_workers
        Worker processes running heavy jobs (plans, exports) at once
        (``FONET_JOB_WORKERS``); more jobs wait in the queue.
    jobs_per_token
        Jobs one token may have queued or running at once; more get 429.
    jobs_dir
        Folder of the jobs' result files (default: a folder per store in the temp folder).
    job_result_ttl_s
        Result files are deleted this long after their job finished.
    rate_per_token_s
        Requests per second one token may make on average (``0``: no limit); beyond its
        burst it gets 429 with ``Retry-After``.
    rate_burst
        Requests one token may make at once above the average rate.
    """

    basemap_url: str | None = None
    basemap_attribution: str = ""
    poll_interval_s: float = 60.0
    poll_concurrency: int = 64
    poll_timeout_s: float = 3.0
    poll_retries: int = 2
    collectors: bool = True
    events_interval_s: float = 0.3
    max_body_bytes: int = 1_048_576
    job_workers: int = Field(default=2, ge=1, le=32)
    jobs_per_token: int = Field(default=2, ge=0, le=1000)
    jobs_dir: Path | None = None
    job_result_ttl_s: float = Field(default=3600.0, gt=0)
    rate_per_token_s: float = Field(default=50.0, ge=0)
    rate_burst: int = Field(default=200, ge=1)


class Collectors:
    """The collectors' :class:`~collectors.scheduler.PollScheduler`, run inside the service.

    Started at startup when the store has devices (every device is polled once at once, then
    on its interval), and restarted when devices are added or removed through the API.
    """

    def __init__(self, engine: Engine, *, interval_s: float, enabled: bool = True,
                 concurrency: int = 64, timeout_s: float = 3.0, retries: int = 2) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.enabled = enabled
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retries = retries
        self.scheduler: Any = None
        self.sink: Any = None
        self.devices = 0
        self._lock = asyncio.Lock()
        self._sweep: asyncio.Task | None = None

    def _targets(self) -> list[Any]:
        from fonet.devices import device_targets

        with reader(self.engine) as s:
            return device_targets(s)

    async def start(self) -> None:
        """Start polling every device (nothing when there are none or when disabled)."""
        if not self.enabled:
            return
        from collectors.backoff import Backoff
        from collectors.client import SnmpClient
        from collectors.scheduler import PollScheduler
        from collectors.service import StoreSink

        targets = await asyncio.to_thread(self._targets)
        self.devices = len(targets)
        if not targets:
            return
        client = SnmpClient(concurrency=self.concurrency, timeout_s=self.timeout_s,
                            retries=self.retries, backoff=Backoff.for_interval(self.interval_s))
        self.sink = StoreSink(self.engine, interval_s=self.interval_s)
        self.scheduler = PollScheduler(targets, self.sink, interval_s=self.interval_s,
                                       client=client)
        self._sweep = asyncio.get_running_loop().create_task(self.scheduler.start_with_sweep())
        log.info("polling %d devices every %g s", len(targets), self.interval_s)

    async def stop(self) -> None:
        """Stop polling, letting running polls finish; the sink stores what it holds."""
        if self._sweep is not None and not self._sweep.done():
            self._sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep
        self._sweep = None
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None

    async def reload(self) -> None:
        """Restart with the devices now in the store."""
        async with self._lock:
            await self.stop()
            await self.start()

    def info(self) -> dict[str, Any]:
        """Whether polling runs, how many devices, how often."""
        return {"enabled": self.enabled, "running": self.scheduler is not None,
                "devices": self.devices, "interval_s": self.interval_s}


def features() -> dict[str, bool]:
    """Which optional parts are installed: alarms and impact (``fonet.noc``), exports."""
    def has(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            return False

    noc = has("fonet.noc")
    return {"alarms": noc, "impact": noc, "exports": has("gis.export"),
            "map": VENDOR_LEAFLET.is_file(), "docs": VENDOR_DOCS.is_file()}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine: Engine = app.state.engine
    await asyncio.to_thread(require_current, engine)
    hub: EventHub = app.state.events
    await hub.start()
    jobs: JobRunner = app.state.jobs
    await jobs.start()
    collectors: Collectors = app.state.collectors
    try:
        await collectors.start()
    except Exception:
        log.exception("the collectors could not start; the service runs without polling")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await collectors.stop()
        with contextlib.suppress(Exception):
            await jobs.stop()
        await hub.stop()
        engine.dispose()


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Service settings; read from the environment when ``None``.

    Returns
    -------
    FastAPI
        The application; its lifespan checks the store, starts the event hub and the
        collectors, and stops them at shutdown.
    """
    from api.routers import ROUTERS

    settings = settings or ServiceSettings()
    app = FastAPI(
        title="fonet",
        version="1.0",
        summary="Fibre-optic network planning and monitoring for Kabupaten Mojokerto",
        description=(
            "Sites, the route graph, plans, routes, coverage, devices, links with live state "
            "and live events. Send `Authorization: Bearer TOKEN` (create tokens with `fonet "
            "tokens create --role ROLE`). Roles: `viewer` reads; `engineer` also plans, edits "
            "sites and asks routes; `admin` also manages devices, credentials and tokens. Map "
            "layers are RFC 7946 GeoJSON (EPSG:4326); errors are RFC 9457 problem details."),
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.events = EventHub(app.state.engine, interval_s=settings.events_interval_s)
    app.state.collectors = Collectors(app.state.engine, interval_s=settings.poll_interval_s,
                                      enabled=settings.collectors,
                                      concurrency=settings.poll_concurrency,
                                      timeout_s=settings.poll_timeout_s,
                                      retries=settings.poll_retries)
    app.state.jobs = JobRunner(app.state.engine, settings.db_url, workers=settings.job_workers,
                               jobs_dir=settings.jobs_dir, per_token=settings.jobs_per_token,
                               result_ttl_s=settings.job_result_ttl_s)
    app.state.limiter = RateLimiter(settings.rate_per_token_s, settings.rate_burst)
    app.state.audit = AuditLog(app.state.engine)
    app.state.cache = {}
    app.state.rendered = RenderCache()
    app.state.features = features()
    problems.install(app)
    # outermost last: HEAD becomes GET first, every answer gets the security headers, bodies
    # are compressed, and oversize bodies are refused before anything reads them
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuditLog.Middleware, audit=app.state.audit)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.basemap_url))
    app.add_middleware(HeadAsGet)
    app.add_middleware(problems.ProblemLanguage)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=API_PREFIX if prefix else "")

    install_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            app.openapi_schema = problems.document_problems(get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/map/")

    if not app.state.features["docs"]:
        log.warning("the API docs' files are missing (%s): run `make setup` or "
                    "`npm ci --prefix api/static`", VENDOR_DOCS)
    if not app.state.features["map"]:
        log.warning("the web map's Leaflet files are missing (%s): run `make setup` or "
                    "`npm ci --prefix api/static`", VENDOR_LEAFLET)
    @app.get("/map/i18n/{lang}.json", include_in_schema=False)
    async def map_catalogue(lang: str) -> Response:
        """Serve the web map's strings: the catalogue files the CLI and the API use."""
        from fonet.i18n import LANGUAGES, catalogue_path

        if lang not in LANGUAGES:
            raise problems.Problem(404, f"no catalogue for language {lang!r}; supported: "
                                        f"{', '.join(LANGUAGES)}")
        # read in the event loop (a few kB): no worker thread to wait for on a busy server
        return Response(catalogue_path(lang).read_bytes(), media_type="application/json",
                        headers={"Cache-Control": "no-cache"})

    app.mount("/map", StaticFiles(directory=STATIC_DIR, html=True), name="map")
    return app
