"""The export route: KMZ and the atlas over HTTP; bad kecamatan and formats as problems."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from fonet.store import make_engine, reader
from fonet.store.models import Plan
from tests.api import bearer, wait_job


@pytest.fixture(scope="module")
def client(store, tokens, tmp_path_factory):
    jobs = tmp_path_factory.mktemp("jobs")
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False,
                                               jobs_dir=jobs))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


def _export(client, plan_id: int, fmt: str, **params):  # noqa: ANN001, ANN202
    """Run an export job and download its result."""
    r = client.post(f"/api/v1/plans/{plan_id}/exports/{fmt}", params=params)
    assert r.status_code == 202, r.text
    done = wait_job(client, r.json(), {})
    assert done["state"] == "succeeded", done
    return client.get(done["links"]["result"])


@pytest.fixture(scope="module")
def plan_id(store) -> int:
    eng = make_engine(store)
    with reader(eng) as s:
        pid = s.scalar(select(func.max(Plan.id)))
    eng.dispose()
    return int(pid)


def test_kmz(client, plan_id):
    r = _export(client, plan_id, "kmz")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.google-earth.kmz"
    assert f"fonet-plan-{plan_id}.kmz" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        root = ET.fromstring(z.read("doc.kml"))
    assert root.tag.endswith("kml")


def test_atlas_page_of_one_kecamatan(client, plan_id):
    r = _export(client, plan_id, "atlas", kecamatan="Pacet", lang="en")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert f"fonet-plan-{plan_id}-atlas.pdf" in r.headers["content-disposition"]
    with pikepdf.open(io.BytesIO(r.content)) as pdf:
        assert len(pdf.pages) == 1
        assert pdf.open_metadata()["pdfaid:part"] == "2"


def test_unknown_kecamatan_is_a_problem(client, plan_id):
    r = client.post(f"/api/v1/plans/{plan_id}/exports/atlas", params={"kecamatan": "Surabaya"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Surabaya" in r.json()["detail"]
    r = client.post(f"/api/v1/plans/{plan_id}/exports/kml", params={"kecamatan": "Pacet"})
    assert r.status_code == 422 and "atlas" in r.json()["detail"]
    r = client.post(f"/api/v1/plans/{plan_id}/exports/docx")
    assert r.status_code == 422
