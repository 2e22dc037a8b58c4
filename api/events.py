"""Live events over Server-Sent Events: link-state changes and alarm changes.

One :class:`EventHub` per service polls the store every ``interval_s`` (0.3 s by default) for
new :class:`~fonet.store.observed.LinkStateChange` rows (by id) and for raised, acknowledged or
cleared :class:`~fonet.store.observed.Alarm` rows, whoever wrote them (this process's
collectors or another process), and fans them out to every connected client.

Events (``event:`` field) are ``link_state``, ``alarm`` and ``job`` (a job's state or progress
changed: sent to its owner and to admins), their data one JSON object; each has an ``id`` of
the form ``L<link change id>.A<alarm id>`` so that a client reconnecting with
``Last-Event-ID`` is sent the link changes it missed. A malformed ``Last-Event-ID`` is
ignored. A stream ends when its client goes (its subscription with it) and when its token is
revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, Row, false, func, or_, select

from api.deps import MAX_ID, Viewer, forget_revoked
from fonet.i18n.keyed import keyed
from fonet.noc.alarms import message_fields
from fonet.store import reader
from fonet.store.access import ApiToken
from fonet.store.models import Link
from fonet.store.observed import Alarm, LinkStateChange
from fonet.store.service import Job

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
REVALIDATE_S = 5.0
"""How often an open stream checks that its token is still valid."""
QUEUE_SIZE = 1000


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()


def alarm_info(a: Alarm | Row[Any]) -> dict[str, Any]:
    """Public description of an alarm (an ORM object, or a row of the alarm table)."""
    return {"id": a.id, "key": a.key, "kind": a.kind, "severity": a.severity,
            "object_type": a.object_type, "object_name": a.object_name, "message": a.message,
            **message_fields(a.message),
            "details": a.details or {}, "raised_at": _iso(a.raised_at),
            "cleared_at": _iso(a.cleared_at), "duration_s": a.duration_s,
            "acknowledged_by": a.acknowledged_by, "acknowledged_at": _iso(a.acknowledged_at),
            "ack_comment": a.ack_comment, "parent_id": a.parent_id}


def change_info(c: LinkStateChange, link_name: str) -> dict[str, Any]:
    """Public description of a link-state change."""
    return {"change_id": c.id, "link_id": c.link_id, "link": link_name, "from": c.from_state,
            "to": c.to_state, "reasons": c.reasons or [],
            "reason_keys": [keyed(r, "link.reason.") for r in c.reasons or []], "at": _iso(c.at)}


class EventHub:
    """Polls the store for link-state and alarm changes and hands them to subscribers.

    Parameters
    ----------
    engine
        The store.
    interval_s
        How often to look for changes.
    """

    def __init__(self, engine: Engine, *, interval_s: float = 0.3) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.last_change_id = 0
        self.last_alarm_id = 0
        self._alarm_sig: dict[int, tuple[Any, Any]] = {}
        self._job_sig: dict[int, tuple[Any, ...]] = {}
        self._job_since: datetime | None = None
        self._job_steps: dict[int, int] = {}
        """Job → how many of its recorded steps were sent."""
        self._job_floor = 0
        """The newest job when the hub started."""
        self._subs: set[asyncio.Queue] = set()
        self.version = 0
        """Grows with every event seen and every change of the links' ends (by any process):
        a stamp of the live state for cached answers."""
        self._links_sig: tuple[Any, ...] | None = None
        self._revoked_since: datetime | None = None
        self._links_changed = False
        self._task: asyncio.Task | None = None

    @property
    def cursor(self) -> str:
        """The id of the newest event seen."""
        return f"L{self.last_change_id}.A{self.last_alarm_id}"

    def _init_cursor(self) -> None:
        with reader(self.engine) as s:
            self.last_change_id = s.scalar(select(func.max(LinkStateChange.id))) or 0
            self.last_alarm_id = s.scalar(select(func.max(Alarm.id))) or 0
            self._alarm_sig = {a.id: (a.acknowledged_at, a.cleared_at) for a in
                               s.scalars(select(Alarm).where(Alarm.cleared_at.is_(None)))}
            self._job_since = s.scalar(select(func.max(Job.updated_at)))
            active = list(s.scalars(select(Job).where(Job.state.in_(("queued", "running")))))
            self._job_sig = {j.id: _job_sig(j) for j in active}
            self._job_steps = {j.id: len(_steps(j)) for j in active}
            self._job_floor = s.scalar(select(func.max(Job.id))) or 0

    async def start(self) -> None:
        """Start polling (inside the running loop)."""
        await asyncio.to_thread(self._init_cursor)
        self._task = asyncio.create_task(self._run(), name="fonet-events")

    async def stop(self) -> None:
        """Stop polling and end every stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for q in list(self._subs):
            q.put_nowait(None)

    def subscribe(self) -> asyncio.Queue:
        """Return a queue that receives ``(event, id, data)`` tuples (``None`` at the end)."""
        q: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self._subs.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        """Stop delivering to ``q``."""
        self._subs.discard(q)

    @property
    def subscribers(self) -> int:
        """How many clients are connected."""
        return len(self._subs)

    async def _run(self) -> None:
        while True:
            try:
                events = await asyncio.to_thread(self.poll)
            except Exception:  # a locked or vanished store must not end the stream
                log.exception("could not read events from the store")
                events = []
            if events or self._links_changed:
                self.version += 1
                self._links_changed = False
            for ev in events:
                for q in list(self._subs):
                    try:
                        q.put_nowait(ev)
                    except asyncio.QueueFull:  # a client that does not read is dropped
                        self._subs.discard(q)
                        with contextlib.suppress(asyncio.QueueFull):
                            q.get_nowait()
                            q.put_nowait(None)
            await asyncio.sleep(self.interval_s)

    def poll(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Read the changes stored since the last call (synchronously)."""
        out: list[tuple[str, str, dict[str, Any]]] = []
        with reader(self.engine) as s:
            rows = s.execute(select(LinkStateChange, Link.name)
                             .join(Link, Link.id == LinkStateChange.link_id)
                             .where(LinkStateChange.id > self.last_change_id)
                             .order_by(LinkStateChange.id).limit(5000)).all()
            for c, name in rows:
                self.last_change_id = c.id
                out.append(("link_state", self.cursor, change_info(c, name)))
            tracked = list(self._alarm_sig)
            alarms = s.scalars(select(Alarm).where(or_(
                Alarm.cleared_at.is_(None), Alarm.id > self.last_alarm_id,
                Alarm.id.in_(tracked) if tracked else false())).order_by(Alarm.id)).all()
            sig: dict[int, tuple[Any, Any]] = {}
            for a in alarms:
                now = (a.acknowledged_at, a.cleared_at)
                before = self._alarm_sig.get(a.id)
                change = None
                if a.id > self.last_alarm_id and before is None:
                    change = "raised" if a.cleared_at is None else "cleared"
                    self.last_alarm_id = a.id
                elif before is not None and before != now:
                    change = "cleared" if a.cleared_at is not None and before[1] is None \
                        else "acknowledged" if a.acknowledged_at != before[0] else "updated"
                if change:
                    out.append(("alarm", self.cursor, {"change": change,
                                                       "alarm": alarm_info(a)}))
                if a.cleared_at is None:
                    sig[a.id] = now
            self._alarm_sig = sig
            out.extend(self._poll_jobs(s))
            links = tuple(s.execute(select(
                func.count(), func.max(Link.id),
                func.sum(func.coalesce(Link.a_interface_id, 0)
                         + func.coalesce(Link.z_interface_id, 0)))).one())
            if links != self._links_sig:
                self._links_sig = links
                self._links_changed = True
            self._poll_revoked(s)
        return out

    def _poll_revoked(self, s: Any) -> None:
        """Drop the tokens revoked since the last poll from the verified-token cache."""
        q = select(ApiToken.token_hash, ApiToken.revoked_at).where(
            ApiToken.revoked_at.is_not(None))
        if self._revoked_since is not None:
            q = q.where(ApiToken.revoked_at >= self._revoked_since)
        rows = s.execute(q).all()
        if rows:
            forget_revoked([h for h, _ in rows])
            self._revoked_since = max(t for _, t in rows)

    def _poll_jobs(self, s: Any) -> list[tuple[str, str, dict[str, Any]]]:
        """Jobs whose state, progress or message changed since the last poll."""
        q = select(Job).order_by(Job.updated_at, Job.id).limit(2000)
        if self._job_since is not None:
            q = q.where(Job.updated_at >= self._job_since)
        out: list[tuple[str, str, dict[str, Any]]] = []
        seen: dict[int, tuple[Any, ...]] = {}
        for j in s.scalars(q):
            sig = _job_sig(j)
            if self._job_sig.get(j.id) != sig:
                out.extend(("job", self.cursor, e) for e in self._job_events(j))
            seen[j.id] = sig
            self._job_since = j.updated_at
        # only the jobs updated at the newest time seen can be read again next time
        self._job_sig = {k: v for k, v in seen.items() if v[-1] == self._job_since}
        return out

    def _job_events(self, j: Job) -> list[dict[str, Any]]:
        """Events of a changed job: one per step recorded since the last poll, then its state.

        A job's own steps (see :func:`fonet.jobs.set_progress`) are each sent, even when
        several were recorded between two polls; the state is not sent again when it is the
        last step's.
        """
        steps = _steps(j)
        # a job older than the hub, not running when it started: its steps are history
        sent = self._job_steps.get(j.id, 0 if j.id > self._job_floor else len(steps))
        now = job_event(j)
        out = [{**now, "state": "running", "progress": st.get("progress", 0.0),
                "message": st.get("message", "")} for st in steps[sent:]]
        self._job_steps[j.id] = len(steps)
        if not out or (now["state"], now["progress"], now["message"]) != (
                out[-1]["state"], out[-1]["progress"], out[-1]["message"]):
            out.append(now)
        return out

    def missed_changes(self, since_change_id: int) -> list[tuple[str, str, dict[str, Any]]]:
        """Link changes after ``since_change_id`` up to the hub's cursor (for reconnects)."""
        with reader(self.engine) as s:
            rows = s.execute(select(LinkStateChange, Link.name)
                             .join(Link, Link.id == LinkStateChange.link_id)
                             .where(LinkStateChange.id > since_change_id,
                                    LinkStateChange.id <= self.last_change_id)
                             .order_by(LinkStateChange.id).limit(1000)).all()
        return [("link_state", f"L{c.id}.A{self.last_alarm_id}", change_info(c, name))
                for c, name in rows]


def _job_sig(j: Job) -> tuple[Any, ...]:
    return (j.state, round(j.progress or 0.0, 3), j.message, j.updated_at)


def _steps(j: Job) -> list[dict[str, Any]]:
    steps = (j.result or {}).get("steps") if isinstance(j.result, dict) else None
    return steps if isinstance(steps, list) else []


def job_event(j: Job) -> dict[str, Any]:
    """Return what a ``job`` event carries."""
    return {"id": j.id, "kind": j.kind, "state": j.state, "progress": j.progress or 0.0,
            "message": j.message, "error": j.error, "token_id": j.token_id,
            "links": {"self": f"/api/v1/jobs/{j.id}"}}


def _token_valid(engine: Engine, token_id: int) -> bool:
    with reader(engine) as s:
        row = s.get(ApiToken, token_id)
        return row is not None and row.revoked_at is None


def _frame(event: str, eid: str, data: dict[str, Any]) -> bytes:
    return (f"event: {event}\nid: {eid}\ndata: ".encode() + orjson.dumps(data, default=str)
            + b"\n\n")


def parse_last_id(value: str | None) -> int | None:
    """Return the link-change id of a ``Last-Event-ID`` (``L<id>.A<id>``), or ``None``."""
    if not value or not value.startswith("L") or len(value) > 64:
        return None
    head = value[1:].split(".", 1)[0]
    if not head.isascii() or not head.isdigit():
        return None
    n = int(head)
    return n if n <= MAX_ID else None


router = APIRouter(tags=["live"])


@router.get("/events", summary="Live link-state and alarm changes (Server-Sent Events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "An endless stream of `link_state` and `alarm` "
                                            "events."}})
async def events(
    request: Request, who: Viewer,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Stream link-state and alarm changes as they are stored (within about a second).

    The stream opens with a `hello` event carrying the current cursor; a comment line is sent
    every 15 s to keep proxies from closing it.
    """
    hub: EventHub = request.app.state.events
    since = parse_last_id(last_event_id)
    missed = await asyncio.to_thread(hub.missed_changes, since) if since is not None else []
    engine = request.app.state.engine
    admin = who.allows("admin")

    def mine(ev: tuple[str, str, dict[str, Any]]) -> bool:
        return ev[0] != "job" or admin or ev[2].get("token_id") == who.token_id

    queue = hub.subscribe()  # from here on, every way out unsubscribes

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            yield _frame("hello", hub.cursor, {"cursor": hub.cursor, "role": who.role})
            for old in missed:
                yield _frame(*old)
            loop = asyncio.get_running_loop()
            checked = quiet = loop.time()
            while True:
                ev: tuple[str, str, dict[str, Any]] | None = None
                try:
                    ev = await asyncio.wait_for(queue.get(), timeout=REVALIDATE_S)
                    timed_out = False
                except TimeoutError:
                    timed_out = True
                now = loop.time()
                if now - checked >= REVALIDATE_S:
                    checked = now
                    if await request.is_disconnected():
                        return
                    if not await asyncio.to_thread(_token_valid, engine, who.token_id):
                        yield _frame("bye", hub.cursor, {"reason": "token revoked"})
                        return
                if timed_out:
                    if now - quiet >= KEEPALIVE_S:
                        quiet = now
                        yield b": keepalive\n\n"
                    continue
                if ev is None:  # the hub stopped, or this client was too slow
                    return
                if mine(ev):
                    quiet = now
                    yield _frame(*ev)
        finally:
            hub.unsubscribe(queue)

    try:
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})
    except BaseException:
        hub.unsubscribe(queue)
        raise
