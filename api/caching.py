"""Answers rendered once per version of what they show, with ``ETag`` and ``304``.

Map layers and plan figures change only when the plan, the inventory or the live state
changes, yet every operator's screen reads them over and over. :func:`cached` keeps the
rendered body (and its gzip form) per key while the key's *stamp* (a version of the data)
stays the same, answers ``If-None-Match`` with ``304 Not Modified``, and sends the
pre-compressed body to clients that accept gzip, so a read costs neither a query nor a
serialisation nor a compression.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

CACHE_CONTROL = "private, no-cache"
"""Clients may keep an answer but must revalidate it (a 304 costs next to nothing)."""
MAX_ENTRIES = 256


@dataclass(frozen=True)
class Rendered:
    """One rendered answer: body, gzip body, ETag, media type."""

    body: bytes
    gz: bytes | None
    etag: str
    media_type: str


def render(body: bytes, media_type: str) -> Rendered:
    """Make a :class:`Rendered` (compressing bodies over 1 KiB)."""
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    gz = gzip.compress(body, compresslevel=6, mtime=0) if len(body) > 1024 else None
    return Rendered(body, gz, etag, media_type)


class RenderCache:
    """Rendered answers by key, each valid for one stamp."""

    def __init__(self) -> None:
        self._items: dict[Hashable, tuple[Hashable, Rendered]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable) -> Rendered | None:
        """Return the answer rendered for ``key`` at ``stamp``, if kept."""
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] == stamp else None

    def put(self, key: Hashable, stamp: Hashable, item: Rendered) -> None:
        """Keep an answer (the oldest keys go beyond :data:`MAX_ENTRIES`)."""
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (stamp, item)
            while len(self._items) > MAX_ENTRIES:
                self._items.pop(next(iter(self._items)))


def _matches(request: Request, etag: str) -> bool:
    inm = request.headers.get("if-none-match")
    if not inm:
        return False
    tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
    return "*" in tags or etag in tags


def respond(request: Request, item: Rendered) -> Response:
    """Answer with a rendered item: 304 on a matching ``If-None-Match``, gzip if accepted."""
    headers = {"ETag": item.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if _matches(request, item.etag):
        return Response(status_code=304, headers=headers)
    if item.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(item.gz, media_type=item.media_type, headers=headers)
    return Response(item.body, media_type=item.media_type, headers=headers)


def cached(request: Request, key: Hashable, stamp: Hashable, build: Callable[[], bytes],
           media_type: str = "application/json") -> Response:
    """Answer from the cache, rendering with ``build()`` when ``stamp`` changed.

    Parameters
    ----------
    request
        The request (its app holds the cache; its headers ask for 304 and gzip).
    key
        What is rendered (route and parameters).
    stamp
        Version of the data it shows: the answer is rendered again when it changes.
    build
        Renders the body.
    media_type
        Media type of the body.
    """
    cache: RenderCache = request.app.state.rendered
    item = cache.get(key, stamp)
    if item is None:
        item = render(build(), media_type)
        cache.put(key, stamp, item)
    return respond(request, item)


async def cached_async(request: Request, key: Hashable, stamp: Hashable,
                       build: Callable[[], bytes], media_type: str = "application/json"
                       ) -> Response:
    """Like :func:`cached`, for routes whose stamp is known without the store.

    A kept answer is sent from the event loop (no worker thread, no connection); only a
    rendering runs in a worker thread.
    """
    from starlette.concurrency import run_in_threadpool

    cache: RenderCache = request.app.state.rendered
    item = cache.get(key, stamp)
    if item is None:
        body = await run_in_threadpool(build)
        item = await run_in_threadpool(render, body, media_type)
        cache.put(key, stamp, item)
    return respond(request, item)
