"""Problem details' ``title`` in the language the client asks for, and the web map's
catalogues served from the same files the CLI uses."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import ServiceSettings, create_app
from fonet.i18n import catalogue, catalogue_path
from tests.api import bearer


@pytest.fixture(scope="module")
def client(store):  # noqa: ANN001, ANN201
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        yield c


def test_problem_title_follows_accept_language(client, tokens) -> None:  # noqa: ANN001
    h = bearer(tokens["viewer"])
    plain = client.get("/api/v1/plans/999999", headers=h)
    assert plain.status_code == 404 and plain.json()["title"] == "Not Found"
    ind = client.get("/api/v1/plans/999999", headers={**h, "Accept-Language": "id-ID,id;q=0.9"})
    assert ind.status_code == 404
    assert ind.json()["title"] == catalogue("id")["problem.404"] == "Tidak ditemukan"
    assert ind.json()["detail"] == plain.json()["detail"]
    en = client.get("/api/v1/plans/999999", headers={**h, "Accept-Language": "en, id;q=0.5"})
    assert en.json()["title"] == "Not Found"
    # an unsupported language keeps the HTTP phrase; no token is 401 in Indonesian too
    fr = client.get("/api/v1/plans/999999", headers={**h, "Accept-Language": "fr"})
    assert fr.json()["title"] == "Not Found"
    anon = client.get("/api/v1/plans", headers={"Accept-Language": "id"})
    assert anon.status_code == 401 and anon.json()["title"] == catalogue("id")["problem.401"]
    bad = client.get("/api/v1/plans?limit=-5", headers={**h, "Accept-Language": "id"})
    assert bad.status_code == 422 and bad.json()["title"] == catalogue("id")["problem.422"]


def test_map_catalogues_are_the_same_files(client) -> None:  # noqa: ANN001
    for lang in ("id", "en"):
        r = client.get(f"/map/i18n/{lang}.json")
        assert r.status_code == 200
        assert r.json() == json.loads(catalogue_path(lang).read_text(encoding="utf-8"))
    r = client.get("/map/i18n/fr.json")
    assert r.status_code == 404 and "'fr'" in r.json()["detail"]
