"""Dependencies of the routes, as ``Annotated`` aliases: the store, the caller and its role.

``Reader`` is a read session; write routes take ``Store`` (the engine) and open one
:func:`fonet.store.transaction` so that a request is stored whole or not at all. ``Viewer``,
``Engineer`` and ``Admin`` authenticate the ``Authorization: Bearer TOKEN`` header and check
the role: no or unknown token is 401, a role that may not is 403.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import Principal, hash_token, verify_token
from api.problems import Problem
from fonet.store import transaction

if TYPE_CHECKING:
    from api.app import ServiceSettings

_bearer = HTTPBearer(auto_error=False, description="An API token: `fonet tokens create`.")


async def get_engine(request: Request) -> Engine:
    """Return the store's engine."""
    return request.app.state.engine


async def get_settings(request: Request) -> ServiceSettings:
    """Return the service settings."""
    return request.app.state.settings


async def get_session(engine: Annotated[Engine, Depends(get_engine)]
                      ) -> AsyncIterator[Session]:
    """Yield a read session, closed after the response.

    The session connects when first used (in the handler's worker thread) and is closed on
    the event loop as soon as the handler returns (``scope="function"``), before the answer
    is serialised: closing never waits for a free worker thread, so a busy service cannot
    deadlock with every worker waiting for a pooled connection that only a closing session
    would give back.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


Store = Annotated[Engine, Depends(get_engine)]
READERS = 10
"""Read sessions open at once; with :data:`AUTHENTICATING` and the event hub's one, this
stays within the store's connection pool (5 + 10 overflow), so no worker thread ever waits
for a connection (requests over the limit wait on the event loop instead)."""
AUTHENTICATING = 3

Reader = Annotated[Session, Depends(get_session, scope="function", max_concurrency=READERS)]
SettingsDep = Annotated["ServiceSettings", Depends(get_settings)]


TOKEN_CACHE_S = 120.0
"""A verified token is trusted this long without reading the store again. Revocations are
not waited for: the event hub reads the tokens revoked (by any process, `fonet tokens
revoke` too) on each of its polls and drops them from the cache (:func:`forget_revoked`)."""
_tokens: dict[str, tuple[float, Principal]] = {}


def _cached(token: str) -> tuple[str, Principal | None]:
    """Return the token's hash and who holds it when verified a short while ago."""
    key = hash_token(token)
    hit = _tokens.get(key)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
        return key, hit[1]
    return key, None


def _verified(engine: Engine, token: str) -> Principal | None:
    key, who = _cached(token)
    if who is not None:
        return who
    now = time.monotonic()
    with transaction(engine) as session:
        who = verify_token(session, token)
    if who is None:
        _tokens.pop(key, None)
        return None
    if len(_tokens) > 10_000:
        _tokens.clear()
    _tokens[key] = (now, who)
    return who


def forget_revoked(token_hashes: list[str]) -> None:
    """Drop revoked tokens from the cache: their next request is refused."""
    for h in token_hashes:
        _tokens.pop(h, None)


def forget_tokens() -> None:
    """Drop every verified token from the cache (after a revocation in this process)."""
    _tokens.clear()


async def current_principal(
    engine: Store,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the bearer token; 401 when missing, unknown or revoked.

    Each token may make so many requests a second (``FONET_RATE_PER_TOKEN_S``, with a
    burst): beyond, 429 with ``Retry-After``.
    """
    challenge = {"WWW-Authenticate": 'Bearer realm="fonet"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "this resource needs an API token: send 'Authorization: Bearer "
                           "TOKEN' (create one with `fonet tokens create`)", headers=challenge)
    # a token verified a moment ago is known without leaving the event loop
    who = _cached(credentials.credentials)[1] or await asyncio.to_thread(
        _verified, engine, credentials.credentials)
    if who is None:
        raise Problem(401, "the API token is unknown or revoked",
                      headers={"WWW-Authenticate": 'Bearer realm="fonet", '
                                                   'error="invalid_token"'})
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is not None:
        wait = limiter.take(who.token_id)
        if wait > 0:
            raise Problem(429, f"too many requests with the token {who.name!r}: at most "
                               f"{limiter.rate_s:g} a second on average",
                          kind="too-many-requests",
                          headers={"Retry-After": limiter.retry_after(wait)})
    request.state.who = who  # for the audit log
    return who


_principal = Depends(current_principal, max_concurrency=AUTHENTICATING)


def require_role(role: str) -> Callable[..., Awaitable[Principal]]:
    """Build a dependency that lets through callers whose role includes ``role``."""

    async def check(who: Annotated[Principal, _principal]) -> Principal:
        if not who.allows(role):
            raise Problem(403, f"the token {who.name!r} has role {who.role!r}; this needs "
                               f"{role!r} or above")
        return who

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Engineer = Annotated[Principal, Depends(require_role("engineer"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


MAX_ID = 2**63 - 1
"""Largest row id the store's integer keys hold."""

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id.")]
"""A row id in a path."""


class PageParams:
    """``limit`` and ``offset`` of a paginated list, and the URL of the page."""

    def __init__(self, request: Request,
                 limit: Annotated[int, Query(ge=1, le=1000, description="Items per "
                                                                       "page.")] = 100,
                 offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to "
                                                                               "skip.")] = 0
                 ) -> None:
        self.limit = limit
        self.offset = offset
        self.url = request.url

    def _at(self, offset: int) -> str:
        url = self.url.include_query_params(limit=self.limit, offset=offset)
        return f"{url.path}?{url.query}"

    def links(self, total: int) -> dict[str, str | None]:
        """``self``, ``next`` and ``prev`` links (``None`` past either end)."""
        nxt = self.offset + self.limit
        return {"self": self._at(self.offset),
                "next": self._at(nxt) if nxt < total else None,
                "prev": self._at(max(0, self.offset - self.limit)) if self.offset > 0
                else None}

    def page(self, items: list[Any], total: int) -> dict[str, Any]:
        """Wrap one page of ``items`` with the total, the window and the links."""
        return {"items": items, "total": total, "limit": self.limit, "offset": self.offset,
                "links": self.links(total)}


Paging = Annotated[PageParams, Depends()]


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in getattr(dependant, "query_params", [])}
    for sub in getattr(dependant, "dependencies", []):
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """Refuse query parameters the operation does not know (422 naming them).

    A misspelt filter (``?kinds=opd``) would otherwise be ignored silently and the whole list
    answered as if it were filtered.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params \
            or not request.url.path.startswith("/api/"):
        return
    names = _QUERY_NAMES.get(id(route))
    if names is None:
        names = frozenset(_query_names(dependant))
        _QUERY_NAMES[id(route)] = names
    unknown = sorted(set(request.query_params) - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise Problem(422, f"unknown query parameter(s) {', '.join(unknown)}; this operation "
                           f"takes: {known}", kind="validation",
                      errors=[{"loc": f"query.{u}", "msg": "unknown parameter",
                               "type": "extra_forbidden"} for u in unknown])
