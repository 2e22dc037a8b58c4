"""Heavy work as jobs: exports and plans queue in a bounded pool of worker processes.

A request gets ``202 Accepted`` and a job at once; the job runs in a worker process and its
result is fetched when it has succeeded. Per-token limits answer 429 with ``Retry-After``; a
restart fails the jobs left running and runs the queued ones. No timing is asserted here:
``benchmarks/jobs.py`` measures the latency of reads while exports are queued.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from fonet.jobs import INTERRUPTED, create_job
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Plan
from fonet.store.service import Job
from tests.api import bearer, wait_job


@pytest.fixture(scope="module")
def engine(store):
    eng = make_engine(store)
    yield eng
    eng.dispose()


def settings(store: str, tmp_path, **kw) -> ServiceSettings:  # noqa: ANN001
    return ServiceSettings(db_url=store, collectors=False, jobs_dir=tmp_path / "jobs", **kw)


def test_export_is_a_job_with_a_downloadable_result(store, tokens, tmp_path):
    h = bearer(tokens["viewer"])
    with TestClient(create_app(settings(store, tmp_path))) as client:
        plan_id = client.get("/api/v1/plans", headers=h).json()["items"][0]["id"]
        r = client.post(f"/api/v1/plans/{plan_id}/exports/csv?lang=en", headers=h)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "export" and job["state"] in ("queued", "running")
        assert r.headers["location"] == f"/api/v1/jobs/{job['id']}"
        assert job["params"] == {"plan_id": plan_id, "format": "csv", "lang": "en"}
        done = wait_job(client, job, h)
        assert done["state"] == "succeeded", done
        assert done["progress"] == 1.0 and done["links"]["result"].endswith("/result")
        got = client.get(done["links"]["result"], headers=h)
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
        assert any("coverage" in n for n in names) and any("bom" in n for n in names)
        # listed among the caller's jobs; another viewer does not see it
        mine = client.get("/api/v1/jobs?kind=export", headers=h).json()
        assert job["id"] in [j["id"] for j in mine["items"]]
        # an export of a plan that does not exist is refused at once
        r = client.post("/api/v1/plans/999999/exports/png", headers=h)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        r = client.get("/api/v1/jobs/999999", headers=h)
        assert r.status_code == 404


def test_a_failed_job_says_why(store, tokens, tmp_path, engine):
    h = bearer(tokens["engineer"])
    admin = bearer(tokens["admin"])
    with TestClient(create_app(settings(store, tmp_path))) as client:
        # a hub pinned in a kecamatan that does not exist is refused at once, queueing nothing
        r = client.post("/api/v1/plans", headers=h,
                        json={"hubs": {"NO-SUCH-KECAMATAN": "KO-35.16.01"}})
        assert r.status_code == 422 and "NO-SUCH-KECAMATAN" in r.json()["detail"], r.text
    # a job queued with input that no longer holds when it runs fails in the worker, with the
    # planner's message (the service resumes queued jobs when it starts)
    with transaction(engine) as s:
        job_id = create_job(s, "plan", {"hubs": {"NO-SUCH-KECAMATAN": "KO-35.16.01"}},
                            owner="before-restart").id
    with TestClient(create_app(settings(store, tmp_path))) as client:
        done = wait_job(client, client.get(f"/api/v1/jobs/{job_id}", headers=admin).json(),
                        admin)
        assert done["state"] == "failed" and "NO-SUCH-KECAMATAN" in done["error"], done
        r = client.get(f"/api/v1/jobs/{done['id']}/result", headers=admin)
        assert r.status_code == 409 and "failed" in r.json()["detail"]


def test_per_token_job_limit_answers_429_with_retry_after(store, tokens, tmp_path, engine):
    h = bearer(tokens["viewer"])
    with TestClient(create_app(settings(store, tmp_path, jobs_per_token=1))) as client:
        plan_id = client.get("/api/v1/plans", headers=h).json()["items"][0]["id"]
        first = client.post(f"/api/v1/plans/{plan_id}/exports/kml", headers=h)
        assert first.status_code == 202
        second = client.post(f"/api/v1/plans/{plan_id}/exports/kml", headers=h)
        if second.status_code == 202:  # the first finished already: it was not limited
            with reader(engine) as s:
                assert s.get(Job, first.json()["id"]).state == "succeeded"
        else:
            assert second.status_code == 429, second.text
            assert int(second.headers["retry-after"]) >= 1
            assert second.headers["content-type"] == "application/problem+json"
            assert second.json()["type"].endswith("too-many-jobs")
        # another token is not held back by this one's jobs
        other = client.post(f"/api/v1/plans/{plan_id}/exports/kml",
                            headers=bearer(tokens["engineer"]))
        assert other.status_code == 202
        for r in (first, other):
            assert wait_job(client, r.json(), bearer(tokens["admin"]))["state"] == "succeeded"


def test_request_rate_limit_answers_429_with_retry_after(store, tokens, tmp_path):
    h = bearer(tokens["viewer"])
    with TestClient(create_app(settings(store, tmp_path, rate_per_token_s=0.5,
                                        rate_burst=3))) as client:
        codes = [client.get("/api/v1/me", headers=h) for _ in range(5)]
        assert [r.status_code for r in codes[:3]] == [200, 200, 200]
        limited = codes[-1]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/api/v1/me", headers=bearer(tokens["admin"])).status_code == 200


def test_restart_fails_running_jobs_and_resumes_queued_ones(store, tokens, tmp_path, engine):
    with transaction(engine) as s:
        plan_id = s.scalar(select(func.max(Plan.id)))
        running = create_job(s, "export", {"plan_id": plan_id, "format": "csv", "lang": "id"},
                             owner="before-restart")
        running.state = "running"
        queued = create_job(s, "export", {"plan_id": plan_id, "format": "csv", "lang": "id"},
                            owner="before-restart")
        ids = running.id, queued.id
    h = bearer(tokens["admin"])
    with TestClient(create_app(settings(store, tmp_path))) as client:
        r = client.get(f"/api/v1/jobs/{ids[0]}", headers=h).json()
        assert r["state"] == "failed" and r["error"] == INTERRUPTED
        done = wait_job(client, client.get(f"/api/v1/jobs/{ids[1]}", headers=h).json(), h)
        assert done["state"] == "succeeded", done
    with reader(engine) as s:
        assert not s.scalars(select(Job).where(Job.state == "running")).all()
