"""Map layers for a slow connection: asked with the map's ``zoom``, the villages, coverage and
plan spans come simplified to about a pixel with fewer decimals, much smaller in bytes, with
every feature and property; the answers are cached (``ETag``, ``304``) per zoom band."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api.app import ServiceSettings, create_app
from api.detail import detail
from tests.api import bearer


@pytest.fixture(scope="module")
def client(store, tokens):  # noqa: ANN001, ANN201
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


def _decimals(gj: dict) -> int:
    """The most decimals of any coordinate of a FeatureCollection."""
    text = json.dumps([f["geometry"]["coordinates"] for f in gj["features"]])
    return max(len(n.split(".")[1]) for n in text.replace("[", " ").replace("]", " ")
               .replace(",", " ").split() if "." in n)


def test_zoom_bands() -> None:
    assert detail(None) is None and detail(13) is None and detail(18) is None
    low, mid = detail(8), detail(11)
    assert low is not None and mid is not None
    assert low == detail(10) and low.band == 10 and mid == detail(12) and mid.band == 12
    # about a pixel: ~150 m at zoom 10, four times finer at 12 (the full layer: 20 m)
    assert 140 < low.tolerance_m < 160 and 30 < mid.tolerance_m < 45
    assert low.decimals <= mid.decimals <= 6


@pytest.mark.parametrize("layer", ["areas/village", "plans/{plan}/villages",
                                   "plans/{plan}/spans"])
def test_low_zoom_is_much_smaller_with_every_feature(client, layer: str) -> None:
    plan = client.get("/api/v1/plans").json()["items"][0]["id"]
    path = "/api/v1/" + layer.format(plan=plan)
    full = client.get(path, headers={"Accept-Encoding": "identity"})
    low = client.get(path, params={"zoom": 10}, headers={"Accept-Encoding": "identity"})
    assert full.status_code == low.status_code == 200
    gj_full, gj_low = full.json(), low.json()
    # every feature, with its properties whole
    assert len(gj_low["features"]) == len(gj_full["features"]) > 0
    for a, b in zip(gj_full["features"], gj_low["features"], strict=True):
        assert a["id"] == b["id"] and a["properties"] == b["properties"]
        g = shape(b["geometry"])
        assert not g.is_empty
        if g.geom_type.endswith("LineString"):
            assert g.length > 0
        # drawn where it was: within a couple of pixels (~300 m) of the full geometry
        assert shape(a["geometry"]).hausdorff_distance(g) < 0.003
    # much smaller, and fewer decimals: outlines shrink whole; spans are mostly their
    # properties (most spans are straight lines of two vertices), so they shrink a little
    if "spans" in layer:
        assert len(low.content) < len(full.content)
    else:
        assert len(low.content) < 0.5 * len(full.content), (len(low.content),
                                                             len(full.content))
    assert _decimals(gj_low) <= 4 < _decimals(gj_full)
    # cached: the same band answers the same, a repeat with its ETag is a 304
    same = client.get(path, params={"zoom": 9}, headers={"Accept-Encoding": "identity"})
    assert same.headers["etag"] == low.headers["etag"] != full.headers["etag"]
    assert "no-cache" in low.headers["cache-control"]
    again = client.get(path, params={"zoom": 10}, headers={"If-None-Match": low.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # above the last band: the whole layer
    close = client.get(path, params={"zoom": 13}, headers={"Accept-Encoding": "identity"})
    assert close.content == full.content


def test_bad_zoom_is_a_problem(client) -> None:
    r = client.get("/api/v1/areas/village", params={"zoom": 99})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
