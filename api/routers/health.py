"""``GET /healthz``, the service configuration the map needs, and who the caller is."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from api.deps import SettingsDep, Viewer
from api.problems import Problem
from api.schemas import ConfigOut, HealthOut, Me
from fonet.errors import StateError
from fonet.store import require_current

health = APIRouter(tags=["service"])
router = APIRouter(tags=["service"])


@health.get("/healthz", summary="Service health", response_model=HealthOut)
async def healthz(request: Request) -> dict[str, Any]:
    """Tell whether the store is reachable and current, and what runs in the service.

    Answers 503 (a problem detail) when the store cannot be read or its schema is not
    current.
    """
    try:
        await asyncio.to_thread(require_current, request.app.state.engine)
    except StateError as exc:
        raise Problem(503, str(exc)) from None
    except Exception as exc:
        raise Problem(503, f"the store cannot be read: {type(exc).__name__}") from None
    return {"status": "ok", "store": "current",
            "collectors": request.app.state.collectors.info(),
            "events": {"subscribers": request.app.state.events.subscribers,
                       "cursor": request.app.state.events.cursor},
            "jobs": request.app.state.jobs.info(),
            "features": request.app.state.features}


@router.get("/config", summary="What the web map needs to start", response_model=ConfigOut)
def config(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Return the basemap tile URL (if any) and which optional parts are installed."""
    return {"basemap_url": settings.basemap_url,
            "basemap_attribution": settings.basemap_attribution,
            "features": request.app.state.features,
            "poll_interval_s": settings.poll_interval_s}


@router.get("/me", summary="The caller's token name and role", response_model=Me)
def me(who: Viewer) -> dict[str, Any]:
    """Return the name and role of the token used."""
    return {"id": who.token_id, "name": who.name, "role": who.role}
