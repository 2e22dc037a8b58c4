"""``POST /plans`` with ``regency``: one regency of a store holding several, as a job."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import ServiceSettings, create_app
from fonet.store import make_engine
from gis.fetch import fetch_regency_data
from gis.load import init_store
from tests.api import bearer, wait_job
from tests.gis.test_regency_code import JATIM_RAW


@pytest.fixture(scope="module")
def two_regencies(store, tmp_path_factory):  # noqa: ANN001, ANN201
    """The planned Mojokerto store with Kota Batu loaded beside it."""
    data = tmp_path_factory.mktemp("batu") / "35.79"
    fetch_regency_data(data, regency="35.79", from_dir=JATIM_RAW)
    eng = make_engine(store)
    assert init_store(eng, data)["status"] == "added"
    eng.dispose()
    return store


def test_plan_one_regency_of_several(two_regencies, tokens, tmp_path) -> None:  # noqa: ANN001
    h = bearer(tokens["engineer"])
    settings = ServiceSettings(db_url=two_regencies, collectors=False, jobs_dir=tmp_path / "j")
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/v1/plans", headers=h, json={"regency": "35.79", "name": "batu"})
        assert r.status_code == 202, r.text
        done = wait_job(client, r.json(), h)
        assert done["state"] == "succeeded", done
        plan = client.get(done["links"]["result"], headers=h).json()
        assert plan["name"] == "batu"
        summary = plan["summary"]
        assert summary["regency_code"] == "35.79"
        assert summary["villages_total"] == 24 == summary["villages_connected"]
        # an unknown regency is refused at once, naming the ones the store holds
        r = client.post("/api/v1/plans", headers=h, json={"regency": "35.99"})
        assert r.status_code == 422, r.text
        assert "35.99" in r.json()["detail"] and "35.79 Kota Batu" in r.json()["detail"]
