"""One router per resource; :data:`ROUTERS` lists them with whether they sit under /api/v1."""

from __future__ import annotations

import importlib.util

from fastapi import APIRouter

from api import events
from api.routers import (
    areas,
    audit,
    devices,
    health,
    interfaces,
    jobs,
    links,
    plans,
    routes,
    sites,
    tokens,
)


def _has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


ROUTERS: list[tuple[APIRouter, bool]] = [
    (health.health, False),
    (health.router, True),
    (areas.router, True),
    (sites.router, True),
    (plans.router, True),
    (routes.router, True),
    (links.router, True),
    (events.router, True),
    (devices.router, True),
    (tokens.router, True),
    (jobs.router, True),
    (audit.router, True),
    (interfaces.router, True),
]
if _has("fonet.noc"):
    from api.routers import noc

    ROUTERS.append((noc.router, True))
    from api.routers import otdr, reports

    ROUTERS.append((otdr.router, True))
    ROUTERS.append((reports.router, True))
if _has("fonet.fibre"):
    from api.routers import fibre

    ROUTERS.append((fibre.router, True))
if _has("gis.export"):
    from api.routers import exports

    ROUTERS.append((exports.router, True))
