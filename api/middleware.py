"""ASGI middleware of the service: security headers, and ``HEAD`` wherever ``GET`` is.

Both are pure ASGI (no buffering), so streamed answers (the event stream, files) pass
through untouched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(basemap_url: str | None = None) -> str:
    """Return the CSP of every answer: scripts and styles from the service only.

    Inline ``style`` attributes are allowed (Leaflet positions its panes and markers with
    them; Redoc styles itself so); inline scripts are not. Images may come from the
    basemap's tile server when one is set.
    """
    img = ["'self'", "data:", "blob:"]
    if basemap_url:
        parts = urlsplit(basemap_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            host = parts.netloc
            if "{s}" in basemap_url:
                host = "*." + host.split(".", 1)[1] if "." in host else host
            img.append(f"{parts.scheme}://{host}")
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(img)}", "font-src 'self' data:", "connect-src 'self'",
        "worker-src 'self' blob:", "object-src 'none'", "base-uri 'self'",
        "frame-ancestors 'none'", "form-action 'self'"])


class SecurityHeaders:
    """Add security headers to every HTTP answer.

    ``Content-Security-Policy``, ``X-Content-Type-Options``, ``Referrer-Policy`` and
    ``X-Frame-Options``; headers a route set itself are kept.
    """

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [(b"content-security-policy", csp.encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"no-referrer"),
                        (b"x-frame-options", b"DENY")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in have]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Answer ``HEAD`` as the ``GET`` of the same URL would, without its body (RFC 9110 §9.3.2).

    The route runs as a ``GET``; its body is dropped, its headers (``Content-Length``,
    ``ETag``...) are kept, and a streamed answer (the event stream) is told the client went
    away once its headers are sent, so that it ends.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        started = False
        ended = False

        async def head_receive() -> Message:
            if started:
                return {"type": "http.disconnect"}
            return await receive()

        async def head_send(message: Message) -> None:
            nonlocal started, ended
            if ended:
                return
            if message["type"] == "http.response.start":
                started = True
                await send(message)
            elif message["type"] == "http.response.body":
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, head_receive, head_send)
