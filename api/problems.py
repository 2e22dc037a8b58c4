"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service returns is a problem object with ``type``, ``title``, ``status``,
``detail`` and ``instance``; validation errors add ``errors``, one entry per fault with its
location (``body.lon``, ``query.limit``, ...) and message. Bodies larger than the limit are
refused with 413 before they are read whole.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fonet.errors import FonetError
from fonet.i18n import catalogue, from_accept_language

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:fonet:problem:"

# the language the client asked for (Accept-Language), for the problem's ``title``; set for
# every request by :class:`ProblemLanguage`; None keeps the HTTP reason phrase
_LANG: ContextVar[str | None] = ContextVar("fonet_problem_lang", default=None)


class Problem(Exception):  # noqa: N818  (named after the RFC's object)
    """An error to answer with a problem detail.

    Parameters
    ----------
    status
        HTTP status code.
    detail
        What is wrong, for a person.
    kind
        Short slug naming the problem type (``not-found``, ``forbidden``...).
    headers
        Extra response headers (e.g. ``WWW-Authenticate``).
    extra
        Extension members.
    """

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.extra = extra


_KINDS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 413: "body-too-large",
          415: "unsupported-media-type", 422: "invalid-input", 500: "internal-error",
          502: "device-error", 503: "unavailable"}


def _title(status: int) -> str:
    lang = _LANG.get()
    phrase = HTTPStatus(status).phrase
    return catalogue(lang).get(f"problem.{status}", phrase) if lang else phrase


class ProblemLanguage:
    """ASGI middleware noting the client's ``Accept-Language`` for the problems' ``title``.

    A client asking for ``id`` (or ``en``) gets the title from that language's catalogue
    (:mod:`fonet.i18n`); others get the HTTP reason phrase. ``detail`` stays as written.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] == "http":
            header = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                           if k == b"accept-language"), None)
            # set per request (never reset: errors that reach the outermost handler keep it)
            _LANG.set(from_accept_language(header))
        await self.app(scope, receive, send)


def problem_body(status: int, detail: str, *, kind: str | None = None,
                 instance: str | None = None, **extra: Any) -> dict[str, Any]:
    """Build a problem object."""
    slug = kind or _KINDS.get(status)
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(status: int, detail: str, *, kind: str | None = None,
                     instance: str | None = None, headers: dict[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    """Answer with a problem detail."""
    return JSONResponse(problem_body(status, detail, kind=kind, instance=instance, **extra),
                        status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _loc(loc: tuple | list) -> str:
    return ".".join(str(p) for p in loc)


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    for e in errors:
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            where = f" at position {e['loc'][1]}" if len(e.get("loc", ())) > 1 else ""
            return problem_response(
                400, f"the request body is not valid JSON{where}: "
                     f"{ctx.get('error', 'cannot parse')}",
                kind="invalid-json", instance=request.url.path)
    items = [{"loc": _loc(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")}
             for e in errors]
    detail = "; ".join(f"{i['loc']}: {i['msg']}" for i in items[:5])
    if len(items) > 5:
        detail += f"; and {len(items) - 5} more"
    return problem_response(422, f"invalid request: {detail}", kind="validation",
                            instance=request.url.path, errors=items)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem detail."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, kind=exc.kind,
                                instance=request.url.path, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(exc.status_code, detail, instance=request.url.path,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, exc)

    @app.exception_handler(FonetError)
    async def _fonet(request: Request, exc: FonetError) -> JSONResponse:
        extra: dict[str, Any] = {k: v for k, v in (("field", getattr(exc, "field", None)),
                                   ("feature", getattr(exc, "feature", None))) if v is not None}
        if exc.http_status >= 500:
            log.warning("%s on %s %s: %s", type(exc).__name__, request.method,
                        request.url.path, exc)
        return problem_response(exc.http_status, str(exc), instance=request.url.path, **extra)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, f"internal error ({type(exc).__name__}); see the "
                                     "service log", instance=request.url.path)


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with a 413 problem.

    A declared ``Content-Length`` over the limit is refused before reading; a chunked body is
    counted as it arrives and refused when it passes the limit (the handler never sees it).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await self._refuse(scope, send, 400, "Content-Length is not a number",
                                       "bad-request")
                    return
                if size > self.max_bytes:
                    await self._refuse(scope, send, 413, self._too_big(size), None)
                    return
        # count a body of unknown length: read it whole (up to the limit) before the app runs
        chunks: list[bytes] = []
        total = 0
        more = True
        first: Message | None = None
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            while more:
                msg = await receive()
                if msg["type"] != "http.request":
                    first = msg
                    break
                body = msg.get("body", b"")
                total += len(body)
                if total > self.max_bytes:
                    await self._refuse(scope, send, 413, self._too_big(None), None)
                    return
                chunks.append(body)
                more = msg.get("more_body", False)
            replay: list[Message] = [first] if first else [
                {"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            async def replay_receive() -> Message:
                if replay:
                    return replay.pop(0)
                return await receive()

            await self.app(scope, replay_receive, send)
            return
        await self.app(scope, receive, send)

    def _too_big(self, size: int | None) -> str:
        got = f"{size} bytes" if size is not None else "a longer body"
        return f"the request body is too large: {got}, the limit is {self.max_bytes} bytes"

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str,
                      kind: str | None) -> None:
        body = json.dumps(problem_body(status, detail, kind=kind,
                                       instance=scope.get("path"))).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", MEDIA_TYPE.encode()),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem detail (`application/problem+json`).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`urn:fonet:problem:<slug>`."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What is wrong, for a person."},
        "instance": {"type": "string", "description": "The path of the request."},
        "errors": {"type": "array", "description": "Validation faults (422).",
                   "items": {"type": "object", "properties": {
                       "loc": {"type": "string"}, "msg": {"type": "string"},
                       "type": {"type": "string"}}}},
        "field": {"type": "string"},
        "feature": {"type": "string"},
    },
    "additionalProperties": True,
}

_WHY = {400: "Bad request (the body is not valid JSON).",
        401: "No, unknown or revoked API token.",
        403: "The token's role may not do this.",
        404: "Nothing with this id or code.",
        409: "The resource's state does not allow it.",
        413: "The request body is too large.",
        422: "Invalid input: the fields at fault are named.",
        429: "Too many requests or jobs for this token: see `Retry-After`.",
        500: "A fault of the service (reported in its log)."}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the problem details each operation may answer, in an OpenAPI document.

    FastAPI documents its own 422 body; the service answers RFC 9457 problem details
    instead. Every operation gets the statuses it can answer (401, 403 and 429 when it needs
    a token; 404 with path parameters; 400, 413 and 422 with a body or parameters; 500),
    each as ``application/problem+json``.
    """
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    comps["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            codes = {500}
            params = op.get("parameters") or []
            if op.get("security"):
                codes |= {401, 403, 429}
            if any(p.get("in") == "path" for p in params) or "{" in path:
                codes.add(404)
            if params or "requestBody" in op:
                codes.add(422)
            if "requestBody" in op:
                codes |= {400, 413}
            if method in ("post", "put", "patch", "delete"):
                codes.add(409)
            codes |= {int(c) for c in op["responses"] if c[:1] in ("4", "5")}
            for code in sorted(codes):
                entry = op["responses"].setdefault(
                    str(code), {"description": _WHY.get(code, HTTPStatus(code).phrase)})
                entry["content"] = {MEDIA_TYPE: {"schema": ref}}
                if code == 429:
                    entry["headers"] = {"Retry-After": {
                        "description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return schema
