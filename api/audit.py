"""The audit log: every write made through the API (who, what, when, how it ended).

:class:`AuditLog.Middleware` notes each ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` under
``/api/v1`` once its answer has started, with the token that made it (set on the request by
the role check of :mod:`api.deps`); the entry is stored after the answer, off the event loop.
Requests refused before authentication (401) are not writes and are not logged.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fonet.store import transaction
from fonet.store.service import AuditEntry

log = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _target(path: str) -> str | None:
    parts = [p for p in path.removeprefix("/api/v1/").split("/") if p]
    return "/".join(parts[:2]) if parts else None


class AuditLog:
    """Stores audit entries.

    Parameters
    ----------
    engine
        The store.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writes = 0
        """Writes answered without error so far: a stamp for cached answers."""

    def record(self, *, who: Any, method: str, path: str, status: int,
               details: dict[str, Any] | None = None) -> None:
        """Store one entry (synchronously)."""
        with transaction(self.engine) as s:
            s.add(AuditEntry(at=datetime.now(UTC), token_id=who.token_id, actor=who.name,
                             role=who.role, method=method, path=path[:512], status=status,
                             target=_target(path), details=details or {}))

    class Middleware:
        """ASGI middleware noting each authenticated write."""

        def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
            self.app = app
            self.audit = audit

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
            if scope["type"] != "http" or scope["method"] not in WRITES \
                    or not scope["path"].startswith("/api/v1/"):
                await self.app(scope, receive, send)
                return
            status = 500

            async def watch(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if status < 400:  # stored by now: cached answers must be rendered anew
                        self.audit.writes += 1
                await send(message)

            try:
                await self.app(scope, receive, watch)
            finally:
                who = (scope.get("state") or {}).get("who")
                if who is not None:
                    query = scope.get("query_string", b"").decode("latin-1")[:256]
                    try:
                        await asyncio.to_thread(
                            self.audit.record, who=who, method=scope["method"],
                            path=scope["path"], status=status,
                            details={"query": query} if query else {})
                    except Exception:  # the answer is sent: the log must not break it
                        log.exception("could not store the audit entry of %s %s",
                                      scope["method"], scope["path"])
