"""The live stream: link-state and alarm changes stored by another process reach a connected
client, over Server-Sent Events from a running ``fonet serve``; a client that reconnects gets
what it missed. (How fast they arrive is measured by ``benchmarks/events.py``.)"""

from __future__ import annotations

import json
import queue
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from fonet.store import make_engine, transaction
from fonet.store.models import Link
from fonet.store.observed import LinkState, LinkStateChange
from tests.api import Server, bearer, make_tokens
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    srv = Server(store, tmp_path_factory.mktemp("events-serve") / "serve.log")
    yield srv
    srv.stop()


class Listener:
    """Reads an event stream in a thread; each event is queued as (event, id, data)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue = queue.Queue()
        self.status: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as r:
            self.status = r.status_code
            self.content_type = r.headers.get("content-type", "")
            event, data, eid = "message", "", None
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line.startswith("id:"):
                    eid = line[3:].strip()
                elif line == "":
                    if data:
                        self.events.put((event, eid, json.loads(data)))
                    event, data, eid = "message", "", None

    def next(self, kind: str, timeout_s: float = 30.0):
        """The next event of ``kind`` as (id, data), skipping others; fail after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            try:
                event, eid, data = self.events.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise AssertionError(f"no {kind!r} event within {timeout_s:g} s "
                                     f"(stream status {self.status})") from None
            if event == kind:
                return eid, data

    def close(self) -> None:
        self._stop.set()


def store_change(engine, link_name: str, to: str) -> int:
    """Store a link-state change the way the collectors do; return its id."""
    with transaction(engine) as s:
        link = s.scalar(select(Link).where(Link.name == link_name))
        state = s.get(LinkState, link.id)
        now = datetime.now(UTC)
        change = LinkStateChange(link_id=link.id, at=now,
                                 from_state=state.state if state else None, to_state=to,
                                 reasons=[f"test: {to}"])
        s.add(change)
        if state is None:
            s.add(LinkState(link_id=link.id, state=to, reasons=[], since=now, updated_at=now))
        else:
            state.state, state.since = to, now
        s.flush()
        return change.id


def test_stream_needs_a_token(server):
    r = httpx.get(server.base + "/api/v1/events", timeout=5)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_changes_reach_a_connected_client(server, store):
    tokens = make_tokens(store)
    eng = make_engine(store)
    with transaction(eng) as s:
        names = list(s.scalars(select(Link.name).order_by(Link.id).limit(2)))
    listener = Listener(server.base + "/api/v1/events", bearer(tokens["viewer"]))
    try:
        _, hello = listener.next("hello")
        assert hello["role"] == "viewer" and listener.content_type.startswith(
            "text/event-stream")
        for i, to in enumerate(["up", "down", "degraded", "up", "down"]):
            change_id = store_change(eng, names[i % 2], to)
            eid, data = listener.next("link_state")
            assert data["link"] == names[i % 2] and data["to"] == to
            assert data["change_id"] == change_id and eid == f"L{change_id}.A0"

        from fonet.noc.alarms import acknowledge, clear_alarm, raise_alarm

        with transaction(eng) as s:
            alarm, _ = raise_alarm(s, "test:events", kind="link_down", severity="critical",
                                   object_type="link", object_name=names[0],
                                   message=f"{names[0]} down", now=datetime.now(UTC))
            alarm_id = alarm.id
        _, data = listener.next("alarm")
        assert data["change"] == "raised" and data["alarm"]["id"] == alarm_id
        with transaction(eng) as s:
            acknowledge(s, alarm_id, user="noc", comment="crew sent")
        assert listener.next("alarm")[1]["change"] == "acknowledged"
        with transaction(eng) as s:
            clear_alarm(s, "test:events", now=datetime.now(UTC))
        _, data = listener.next("alarm")
        assert data["change"] == "cleared" and data["alarm"]["cleared_at"]
    finally:
        listener.close()
        eng.dispose()


def test_reconnect_gets_what_it_missed(server, store):
    tokens = make_tokens(store)
    eng = make_engine(store)
    with transaction(eng) as s:
        name = s.scalar(select(Link.name).order_by(Link.id.desc()).limit(1))
    first = Listener(server.base + "/api/v1/events", bearer(tokens["viewer"]))
    cursor, _ = first.next("hello")
    first.close()
    store_change(eng, name, "down")
    last = store_change(eng, name, "up")

    def hub_change_id() -> int:
        cursor = httpx.get(server.base + "/healthz", timeout=5).json()["events"]["cursor"]
        return int(cursor[1:].split(".", 1)[0])

    # both changes are in the hub's past before the client comes back
    wait_until(lambda: hub_change_id() >= last, 30, f"the event hub to see change {last}",
               detail=lambda: f"hub at change {hub_change_id()}; log: {server.log()[-2000:]}")
    again = Listener(server.base + "/api/v1/events",
                     {**bearer(tokens["viewer"]), "Last-Event-ID": cursor})
    try:
        again.next("hello")
        got = [again.next("link_state")[1]["to"], again.next("link_state")[1]["to"]]
        assert got == ["down", "up"]
    finally:
        again.close()
        eng.dispose()
    health = httpx.get(server.base + "/healthz", timeout=5).json()
    assert health["events"]["cursor"].startswith("L")
