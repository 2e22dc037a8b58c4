"""A province planned from the service: ``POST /plans {"province": "35"}`` as a job.

A real ``fonet serve`` on a copy of a store holding Kota Batu and Kota Malang: the job starts
a Dask LocalCluster of two worker processes from inside the service's job worker process, and
the event stream carries one ``job`` event per regency as its plan arrives. Bad requests are
refused before anything is queued; an unreachable scheduler fails the job and keeps nothing.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
from sqlalchemy import func, select

from fonet.store import make_engine, reader
from fonet.store import models as m
from tests.api import Server, bearer, copy_store, make_tokens
from tests.api.test_events import Listener
from tests.gis.test_province_plan import two_kota  # noqa: F401  (the store fixture)

STEP = re.compile(r"^(35\.\d\d) (.+): (\d+)/(\d+) villages$")


def _counts(url: str) -> tuple[int, int]:
    eng = make_engine(url)
    with reader(eng) as s:
        out = (s.scalar(select(func.count()).select_from(m.Plan)) or 0,
               s.scalar(select(func.count()).select_from(m.ProvinceScenario)) or 0)
    eng.dispose()
    return out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _job_events(listener: Listener, job_id: int, timeout_s: float) -> list[dict]:
    """The ``job`` events of one job, up to the one saying it has finished."""
    out: list[dict] = []
    while not out or out[-1]["state"] not in ("succeeded", "failed"):
        _, data = listener.next("job", timeout_s)
        if data["id"] == job_id:
            out.append(data)
    return out


def test_province_plan_job_reports_each_regency(two_kota: Path, tmp_path: Path) -> None:  # noqa: F811
    url = copy_store(two_kota, tmp_path / "store")
    names = {}
    eng = make_engine(url)
    with reader(eng) as s:
        names = dict(s.execute(select(m.Area.code, m.Area.name).where(
            m.Area.level == "regency")).all())
    eng.dispose()
    assert sorted(names) == ["35.73", "35.79"]
    tokens = make_tokens(url)
    h = bearer(tokens["engineer"])
    srv = Server(url, tmp_path / "serve.log", FONET_COLLECTORS="false")
    listener = Listener(srv.base + "/api/v1/events", h)
    try:
        listener.next("hello")
        plans = srv.base + "/api/v1/plans"
        # refused before queueing, naming the field at fault
        for body, field, words in (
                ({"province": "35", "pop": "X"}, "pop", "applies to one regency"),
                ({"province": "35", "regency": "35.79"}, "regency", "applies to one regency"),
                ({"province": "36"}, "province", "no regency of province 36"),
                ({"workers": 2}, "workers", "province plan only")):
            r = httpx.post(plans, json=body, headers=h, timeout=30)
            assert r.status_code == 422, (body, r.text)
            problem = r.json()
            assert r.headers["content-type"] == "application/problem+json"
            assert problem.get("field") == field and words in problem["detail"], problem
        r = httpx.post(plans, json={"province": "3x"}, headers=h, timeout=30)
        assert r.status_code == 422 and "province" in r.text
        assert httpx.get(srv.base + "/api/v1/jobs", headers=h).json()["items"] == []

        r = httpx.post(plans, json={"province": "35", "workers": 2, "name": "jatim"},
                       headers=h, timeout=30)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "plan" and job["params"]["province"] == "35"
        events = _job_events(listener, job["id"], 150)
        assert events[-1]["state"] == "succeeded", (events[-1], srv.log()[-3000:])
        steps = [STEP.match(e["message"]) for e in events if e["state"] == "running"]
        arrived = [(s[1], s[2], int(s[3]), int(s[4])) for s in steps if s]
        # one event per regency as its plan arrives, named, all its villages reached
        assert sorted(a[0] for a in arrived) == ["35.73", "35.79"], events
        for code, name, connected, total in arrived:
            assert name == names[code] and connected == total > 0
        progress = [e["progress"] for e in events]
        assert progress == sorted(progress) and progress[-1] == 1.0

        done = httpx.get(srv.base + job["links"]["self"], headers=h).json()
        res = done["result"]
        assert res["regencies"] == 2 and res["name"] == "jatim"
        assert res["villages_connected"] == res["villages_total"] == 57 + 24
        # two regencies joined by one corridor: a single point of failure
        assert res["spofs"] == 1 and not res["two_edge_connected"]
        r = httpx.get(srv.base + f"/api/v1/jobs/{job['id']}/result", headers=h)
        assert r.status_code == 404 and "scenario" in r.json()["detail"]
        eng = make_engine(url)
        with reader(eng) as s:
            scenario = s.get(m.ProvinceScenario, res["scenario_id"])
            assert scenario is not None and scenario.name == "jatim"
            assert scenario.summary["villages_connected"] == 81
            rows = {p.regency_code for p in s.scalars(select(m.ProvincePlan).where(
                m.ProvincePlan.scenario_id == scenario.id))}
            assert rows == {"35.73", "35.79"}
        eng.dispose()
        assert _counts(url) == (2, 1)

        # the name is now taken: refused at once
        r = httpx.post(plans, json={"province": "35", "name": "jatim"}, headers=h, timeout=30)
        assert r.status_code == 422 and r.json().get("field") == "name"
        # a scheduler nobody runs: the job fails saying so, and nothing is kept
        address = f"tcp://127.0.0.1:{_closed_port()}"
        r = httpx.post(plans, json={"province": "35", "scheduler": address}, headers=h,
                       timeout=30)
        assert r.status_code == 202, r.text
        events = _job_events(listener, r.json()["id"], 90)
        failed = httpx.get(srv.base + events[-1]["links"]["self"], headers=h).json()
        assert failed["state"] == "failed"
        assert "cannot reach the Dask scheduler" in failed["error"] and address in failed["error"]
        assert _counts(url) == (2, 1)
    finally:
        listener.close()
        srv.stop()


def test_steps_between_two_polls_each_reach_the_stream(two_kota: Path, tmp_path: Path  # noqa: F811
                                                       ) -> None:
    """Regencies that arrive within one poll of the event hub are still one event each."""
    from api.events import EventHub
    from fonet.jobs import create_job, finish_job, set_progress, start_job
    from fonet.store import transaction

    eng = make_engine(copy_store(two_kota, tmp_path))
    hub = EventHub(eng)
    hub._init_cursor()

    def poll() -> list[tuple[str, float, str]]:
        with reader(eng) as s:
            return [(e["state"], e["progress"], e["message"]) for _, _, e in hub._poll_jobs(s)]

    with transaction(eng) as s:
        job = create_job(s, "plan", {"province": "35"})
        s.flush()
        job_id = job.id
    start_job(eng, job_id)
    assert [e[0] for e in poll()] == ["running"]
    set_progress(eng, job_id, 0.45, "35.73 Kota Malang: 57/57 villages", step=True)
    set_progress(eng, job_id, 0.9, "35.79 Kota Batu: 24/24 villages", step=True)
    set_progress(eng, job_id, 0.92, "joining the POPs")
    assert poll() == [("running", 0.45, "35.73 Kota Malang: 57/57 villages"),
                      ("running", 0.9, "35.79 Kota Batu: 24/24 villages"),
                      ("running", 0.92, "joining the POPs")]
    assert poll() == []
    # a last step and the end within one poll: the step first, then the end
    set_progress(eng, job_id, 0.95, "35.99 Kota X: 1/1 villages", step=True)
    finish_job(eng, job_id, {"scenario_id": 1})
    assert poll() == [("running", 0.95, "35.99 Kota X: 1/1 villages"),
                      ("succeeded", 1.0, "done")]
    with reader(eng) as s:
        from fonet.store.service import Job

        result = s.get(Job, job_id).result
    assert result["scenario_id"] == 1 and len(result["steps"]) == 3
    # a hub started later does not send the finished job's steps again
    later = EventHub(eng)
    later._init_cursor()
    with reader(eng) as s:
        assert all(e["state"] == "succeeded" for _, _, e in later._poll_jobs(s))
    eng.dispose()
