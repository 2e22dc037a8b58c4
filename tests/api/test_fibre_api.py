"""The fibre layer over HTTP: cables, closures, ODFs and traces as resources and GeoJSON, and
the web map's fibre view in headless Chromium (click a cable, list its fibres, draw a trace).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select

from api.app import ServiceSettings, create_app
from fonet.fibre.design import design
from fonet.store import make_engine, reader, transaction
from fonet.store.fibre import Circuit, CircuitFibre, Closure, Fibre, FibreCable, Splice
from fonet.store.models import Link
from tests.api import Server, bearer, copy_store, make_tokens, planned_store
from tests.api.test_e2e_browser import CHROMEDRIVER, CHROMIUM, login, screenshot, wait_for


@pytest.fixture(scope="module")
def fibre_store(regency_db_file, tmp_path_factory):
    url = copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("fibre-api"))
    eng = make_engine(url)
    with transaction(eng) as s:
        design(s, 1)
    with reader(eng) as s:
        # a cable the map draws: the entry of a site standing on its route node is a cable of
        # no length (the plan lays no span along it), which has no line on the map
        cable = s.scalar(select(FibreCable).where(FibreCable.id.in_(
            select(Fibre.cable_id).join(CircuitFibre, CircuitFibre.fibre_id == Fibre.id)),
            FibreCable.length_m > 0).order_by(FibreCable.id))
        links = set(s.scalars(select(Link.name).join(Circuit, Circuit.link_id == Link.id)
                              .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                              .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                              .where(Fibre.cable_id == cable.id)))
        code = cable.code
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return url, code, links


@pytest.fixture(scope="module")
def client(fibre_store):
    url, _, _ = fibre_store
    tokens = make_tokens(url)
    with TestClient(create_app(ServiceSettings(db_url=url, collectors=False))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


def test_cables_closures_odfs_and_traces(client, fibre_store) -> None:
    _, code, links = fibre_store
    page = client.get("/api/v1/cables", params={"limit": 5}).json()
    assert page["total"] > 100 and len(page["items"]) == 5
    fc = client.get("/api/v1/cables/geojson").json()
    assert len(fc["features"]) == page["total"]
    for f in fc["features"]:
        if f["properties"]["length_m"] > 1:
            assert f["geometry"]["type"] == "LineString" and shape(f["geometry"]).length > 0
        else:  # a cable of no length (a site on its route node) has nothing to draw
            assert f["geometry"] is None or shape(f["geometry"]).length == 0
    cable = client.get(f"/api/v1/cables/{code}").json()
    circuits = {f["circuit"] for t in cable["schematic"]["tubes"] for f in t["fibres"]
                if f["circuit"]}
    assert circuits == links and cable["fibres_in_use"] == 2 * len(links)
    cut = client.get(f"/api/v1/cables/{code}/cut").json()
    assert {c["link"] for c in cut["failed"]["circuits"]} == links
    assert {row["name"] for row in cut["failed"]["links"]} == links
    assert cut["cut_off"]["count"] >= 1
    closures = client.get("/api/v1/closures/geojson").json()
    assert closures["features"] and all(f["geometry"]["type"] == "Point"
                                        for f in closures["features"])
    clo = closures["features"][0]["properties"]["code"]
    sheet = client.get(f"/api/v1/closures/{urllib.parse.quote(clo, safe='')}").json()
    assert sheet["sheet"]["splices"] and all(r["in"]["colour"] and r["out"]["colour"]
                                             for r in sheet["sheet"]["splices"])
    assert client.get("/api/v1/odfs/geojson").json()["features"]
    enc = urllib.parse.quote(clo, safe="")
    xlsx = client.get(f"/api/v1/closures/{enc}/sheet.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    pdf = client.get(f"/api/v1/closures/{enc}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert client.get(f"/api/v1/closures/{enc}/sheet.docx").status_code == 422
    link = sorted(links)[0]
    q = urllib.parse.quote(link, safe="")
    tr = client.get(f"/api/v1/traces/{q}").json()
    assert tr["complete"] and tr["link"] == link
    assert abs(tr["loss_db"] - tr["plan_loss"]["loss_db"]) <= 0.01
    tfc = client.get(f"/api/v1/traces/{q}/geojson").json()
    assert tfc["trace"]["link"] == link
    kinds = [f["properties"]["kind"] for f in tfc["features"]]
    assert "fibre" in kinds and kinds.count("splice") == tr["splices"]


@pytest.mark.parametrize("path", ["/api/v1/cables/NO-SUCH", "/api/v1/closures/NO-SUCH",
                                  "/api/v1/traces/no-such-link",
                                  "/api/v1/traces/no-such-link/geojson"])
def test_unknown_objects_are_problem_details(client, path) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "NO-SUCH".lower() in r.json()["detail"].lower()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail("Debian packages chromium and chromium-driver are needed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--window-size=1400,900", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def test_map_lists_a_cables_fibres_and_draws_a_trace(fibre_store, browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    url, code, links = fibre_store
    tokens = make_tokens(url)
    srv = Server(url, tmp_path / "serve.log", FONET_COLLECTORS="false")
    try:
        login(browser, srv.base, tokens["viewer"])
        browser.find_element(By.CSS_SELECTOR, "#views button[data-view=fibre]").click()
        wait_for(browser, f"document.querySelector('path[data-cable=\"{code}\"]')", 60,
                 "the cable layer")
        browser.execute_script(
            f"fonet.layers.cables.getLayers().find(l => l.feature.properties.code === "
            f"'{code}').fire('click')")
        wait_for(browser, "document.querySelectorAll('#fibre-table tbody tr').length > 0", 30,
                 "the fibre table")
        assert browser.find_element(By.ID, "cable-title").text == code
        listed = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "a.trace-link")}
        assert listed == links
        browser.find_elements(By.CSS_SELECTOR, "a.trace-link")[0].click()
        wait_for(browser, "document.querySelectorAll('path.trace').length > 0", 30,
                 "the trace on the map")
        summary = browser.find_element(By.ID, "trace-summary").text
        # in the page's language, Bahasa Indonesia by default
        assert "sambungan" in summary and "dB" in summary
        screenshot(browser, "map-fibre.png", tmp_path)
    finally:
        srv.stop()


def test_write_routes_check_roles_and_bad_input(client, fibre_store) -> None:
    url, _, _ = fibre_store
    tokens = make_tokens(url)
    eng = make_engine(url)
    with reader(eng) as s:
        sp = s.scalars(select(Splice)).first()
        clo = s.get(Closure, sp.closure_id).code
        a = s.get(Fibre, sp.a_fibre_id)
        b_cable = s.get(FibreCable, s.get(Fibre, sp.b_fibre_id).cable_id)
        before = len(s.scalars(select(Splice.id)).all())
    body = {"a": {"cable": str(a.cable_id), "fibre": a.number},
            "b": {"cable": b_cable.code, "fibre": b_cable.cores}}
    path = f"/api/v1/closures/{urllib.parse.quote(clo, safe='')}/splices"
    assert client.post(path, json=body).status_code == 403  # a viewer
    r = client.post(path, json=body, headers=bearer(tokens["engineer"]))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "already spliced" in r.json()["detail"]
    r = client.post(path, json={**body, "tray": 0}, headers=bearer(tokens["engineer"]))
    assert r.status_code == 422
    r = client.post("/api/v1/fibre/design", json={"plan_id": 4242},
                    headers=bearer(tokens["engineer"]))
    assert r.status_code == 404
    r = client.post("/api/v1/fibre/design", json={"plan_id": 1},
                    headers=bearer(tokens["engineer"]))
    assert r.status_code == 200 and r.json()["cables_created"] == 0
    with reader(eng) as s:
        assert len(s.scalars(select(Splice.id)).all()) == before
    eng.dispose()
