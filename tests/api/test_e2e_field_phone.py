"""The web map on a field technician's phone (390×844), in headless Chromium: a shared link to
a located cut opens the map there with the point as a ``geo:`` URI and coordinates, the NOC
view speaks Bahasa Indonesia (no English string of the catalogue in its visible text), the
language switch is remembered per browser, and a link to something gone opens the map with a
message.

The store is the planned regency with four access links down on one span (the located cut),
as in the demo. With ``FONET_DOCS_IMG`` set to a folder (``make docs-img``: docs/id/img), the
screenshots of the Indonesian user guide are written there.
"""

from __future__ import annotations

import math
import os
import re
import string
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from fonet.fibre.edit import add_closure
from fonet.i18n import catalogue
from fonet.i18n.keyed import localise
from fonet.noc.alarms import evaluate_alarms, list_alarms
from fonet.store import make_engine, reader, transaction
from fonet.store.fibre import Closure
from fonet.store.models import Link, LinkSpan, RouteEdge, Span
from fonet.store.observed import LinkState
from fonet.telemetry.health import EndpointReading, evaluate_link
from fonet.telemetry.samples import InterfaceSample
from tests.api import Server, bearer, copy_store, make_tokens, planned_store
from tests.api.test_e2e_browser import (  # noqa: F401
    browser,
    login,
    screenshot,
    signed_out,
    wait_for,
)

CLOSURE = "JC-PUTUS-1"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
# codes and proper nouns the Indonesian page keeps as they are
ALLOWED = {"OPD", "POP", "NOC", "OTDR", "SNMP", "Rx", "dBm", "km", "ID", "EN", "Leaflet"}
# English words that have no business in the Indonesian page's own text
ENGLISH = {"the", "of", "and", "to", "is", "not", "no", "click", "with", "from", "open",
           "links", "sites", "down", "up", "unknown", "yes", "share", "copy", "located", "worst",
           "month", "plan", "coverage", "fibre", "impact", "alarms", "language", "log", "out",
           "route", "point", "locate", "measured", "distance", "village", "office", "school",
           "government", "monitored", "legend", "none"}


def _end(label: str | None, oper: str | None) -> EndpointReading:
    """One end of a link: a fresh sample with ``oper`` (``None``: nothing heard)."""
    if oper is None:
        return EndpointReading(None, None)
    now = datetime.now(UTC)
    sample = InterfaceSample(if_index=1, name=label, oper=oper, admin="up")
    return EndpointReading(sample, now, label=label)


@pytest.fixture(scope="module")
def cut_store(regency_db_file, tmp_path_factory):
    """A planned store where four access links on one span are down (the cut), with an alarm."""
    url = copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("e2e-phone"))
    eng = make_engine(url)
    now = datetime.now(UTC).replace(microsecond=0)
    with transaction(eng) as s:
        span, _n = s.execute(select(LinkSpan.span_id, func.count())
                             .join(Link, Link.id == LinkSpan.link_id)
                             .join(Span, Span.id == LinkSpan.span_id)
                             .where(Link.name.like("P%:AC:%"), Span.length_m > 200)
                             .group_by(LinkSpan.span_id)
                             .order_by(func.count().desc(), LinkSpan.span_id)).first()
        down = list(s.scalars(select(Link.name).join(LinkSpan, LinkSpan.link_id == Link.id)
                              .where(LinkSpan.span_id == span).order_by(Link.name)))[:4]
        for name in down:
            lid = s.scalar(select(Link.id).where(Link.name == name))
            # the reasons as the link evaluation writes them (an end down, the other silent)
            reasons = list(evaluate_link(_end(f"{name}-a", "down"), _end(None, None),
                                         interval_s=60, now=now).reasons)
            s.merge(LinkState(link_id=lid, state="down", reasons=reasons, since=now,
                              updated_at=now))
        evaluate_alarms(s, now=now)
        # a closure at the start node of the cut span, for a shared #closure= link
        node = s.scalar(select(RouteEdge.u).join(Span, Span.route_edge_id == RouteEdge.id)
                        .where(Span.id == span))
        add_closure(s, CLOSURE, node)
    eng.dispose()
    return url


@pytest.fixture(scope="module")
def phone_server(cut_store, tmp_path_factory):
    srv = Server(cut_store, tmp_path_factory.mktemp("phone-serve") / "serve.log",
                 FONET_COLLECTORS="false")
    yield srv
    srv.stop()


@pytest.fixture
def phone(browser):  # noqa: F811
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _english_phrases() -> list[str]:
    """The literal parts of the English catalogue's web-map texts that Indonesian lacks."""
    en, ind = catalogue("en"), catalogue("id")
    out = set()
    for key, text in en.items():
        if not key.startswith(("map.", "link.reason.", "alarm.msg.", "term.")) \
                or text == ind[key]:
            continue
        for lit, *_ in string.Formatter().parse(text):
            for part in re.split(r"<[^>]+>", lit or ""):
                part = part.strip(" ,.:;()–-")
                if len(part) >= 4 and part not in ind[key] and part not in ALLOWED:
                    out.add(part)
    return sorted(out)


def _to_segment(p, a, b) -> float:  # noqa: ANN001
    """Distance (degrees) from point ``p`` to segment ``ab``."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    k = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ((dx * dx + dy * dy) or 1.0)))
    return math.hypot(px - ax - k * dx, py - ay - k * dy)


def visible_text(driver) -> str:  # noqa: ANN001
    """The page's visible text without user data (plan names, the token's name); link
    reasons and alarm messages are made by the server and must show in the page's language."""
    return driver.execute_script(
        "document.querySelectorAll('#plan-select, #who')"
        ".forEach((e) => { e.style.display = 'none'; });"
        "const t = document.body.innerText;"
        "document.querySelectorAll('#plan-select, #who')"
        ".forEach((e) => { e.style.display = ''; });"
        "return t;")


def assert_no_english(text: str) -> None:
    """No English phrase of the catalogue and no common English word in ``text``."""
    found = [p for p in _english_phrases() if re.search(rf"\b{re.escape(p)}\b", text)]
    assert not found, found
    words = {w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED}
    assert not {w for w in words if w.lower() in ENGLISH}, sorted(words)


def open_at(driver, base: str, hash_: str, query: str = "") -> None:  # noqa: ANN001
    driver.get(f"{base}/map/{query}#{hash_}")
    driver.refresh()  # a fresh load, as when the link is opened from a message
    wait_for(driver, "document.body.dataset.ready === 'true'", 60, "the map to load")


def shot(driver, name: str, tmp_path: Path) -> None:  # noqa: ANN001
    folder = os.environ.get("FONET_DOCS_IMG")
    screenshot(driver, name, Path(folder) if folder else tmp_path)


def test_shared_cut_on_a_phone_in_indonesian(phone_server, cut_store, phone, tmp_path):
    from selenium.webdriver.common.by import By

    driver = phone
    token = make_tokens(cut_store)["viewer"]
    signed_out(driver, phone_server.base, forget_language=True)
    login(driver, phone_server.base, token)
    shot(driver, "peta-rencana-ponsel.png", tmp_path)
    open_at(driver, phone_server.base, "cut")
    wait_for(driver, "!document.querySelector('#share').hidden", 30, "the shared point")
    assert driver.execute_script("return window.innerWidth") == 390
    # the point is on the located cut the API gives, on the screen, with geo: and coordinates
    cut = httpx.get(f"{phone_server.base}/api/v1/noc/cut", params={"plan_id": 1},
                    headers=bearer(token), timeout=60).json()
    lines = [line for f in cut["geojson"]["features"]
             for line in ([f["geometry"]["coordinates"]] if f["geometry"]["type"] == "LineString"
                          else f["geometry"]["coordinates"])]
    lon = float(driver.find_element(By.ID, "share").get_attribute("data-lon"))
    lat = float(driver.find_element(By.ID, "share").get_attribute("data-lat"))
    assert min(_to_segment((lon, lat), a, b) for line in lines
               for a, b in zip(line, line[1:], strict=False)) < 1e-7  # on the cut's line
    assert driver.find_element(By.ID, "share-coords").text == f"{lat:.6f}, {lon:.6f}"
    geo = driver.find_element(By.ID, "share-geo").get_attribute("href")
    assert geo.startswith(f"geo:{lat:.6f},{lon:.6f}?q=")
    assert driver.find_element(By.ID, "share-link").get_attribute("href").endswith("#cut")
    box = driver.execute_script(
        "const r = document.querySelector('path.share-point').getBoundingClientRect();"
        "const m = document.querySelector('#map').getBoundingClientRect();"
        "return {x: r.x + r.width / 2, y: r.y + r.height / 2, mx: m.x, my: m.y,"
        " mw: m.width, mh: m.height};")
    assert box["mx"] <= box["x"] <= box["mx"] + box["mw"], box
    assert box["my"] <= box["y"] <= box["my"] + box["mh"], box
    assert box["mw"] == 390
    assert driver.execute_script("return window.fonet.map.getZoom()") >= 16  # zoomed in there
    # large touch targets
    small = driver.execute_script(
        "return [...document.querySelectorAll('header button, #share button, #share a')]"
        ".filter((e) => e.offsetParent && e.getBoundingClientRect().height < 44)"
        ".map((e) => e.id || e.textContent)")
    assert not small, small
    # the NOC view in Bahasa Indonesia
    ind = catalogue("id")
    assert driver.execute_script("return document.documentElement.lang") == "id"
    nav = driver.execute_script(
        "return [...document.querySelectorAll('#views button')].map((b) => b.textContent)")
    assert nav == [ind["map.nav.plan"], ind["map.nav.noc"], ind["map.nav.coverage"],
                   ind["map.nav.fibre"]]
    wait_for(driver, "document.querySelectorAll('#link-list li[data-state=down]').length >= 4",
             30, "the down links")
    text = visible_text(driver)
    for label in ("map.noc.alarms", "map.noc.cut", "map.share.heading", "map.state.down",
                  "map.legend.unmonitored", "map.site.village_office"):
        assert ind[label] in text, label
    # the server's texts (alarm messages, link reasons) in Indonesian too
    eng = make_engine(cut_store)
    with reader(eng) as s:
        messages = [a["message"] for a in list_alarms(s, open_only=True)]
        reasons = [r for st in s.scalars(select(LinkState)) for r in st.reasons]
    eng.dispose()
    assert messages and reasons
    for server_text in messages:
        assert localise(server_text, "alarm.msg.", "id") in text, server_text
    for server_text in reasons:
        assert localise(server_text, "link.reason.", "id") in text, server_text
    assert_no_english(text)
    shot(driver, "noc-putus-ponsel.png", tmp_path)


def test_language_switch_is_remembered(phone_server, cut_store, phone, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = phone
    signed_out(driver, phone_server.base, forget_language=True)
    login(driver, phone_server.base, make_tokens(cut_store)["viewer"])
    Select(driver.find_element(By.ID, "lang")).select_by_value("en")
    wait_for(driver, "localStorage.getItem('fonet.lang') === 'en' && "
             "document.body.dataset.ready === 'true' && document.documentElement.lang === 'en'",
             60, "the English page")
    driver.refresh()
    wait_for(driver, "document.body.dataset.ready === 'true'", 60, "the map to load")
    en = catalogue("en")
    assert driver.find_element(By.CSS_SELECTOR, "#views button[data-view=coverage]").text == \
        en["map.nav.coverage"]
    # a language that is not supported falls back to Indonesian, with a notice
    driver.execute_script("localStorage.clear()")
    open_at(driver, phone_server.base, "", "?lang=fr")
    ind = catalogue("id")
    assert driver.find_element(By.CSS_SELECTOR, "#views button[data-view=coverage]").text == \
        ind["map.nav.coverage"]
    assert ind["map.lang_fallback"].format(code="fr") in \
        driver.find_element(By.ID, "message").text


def test_shared_link_to_what_is_gone(phone_server, cut_store, phone, tmp_path):
    from selenium.webdriver.common.by import By

    driver = phone
    signed_out(driver, phone_server.base, forget_language=True)
    login(driver, phone_server.base, make_tokens(cut_store)["viewer"])
    ind = catalogue("id")
    open_at(driver, phone_server.base, "site=KO-GONE-1")
    msg = driver.find_element(By.ID, "message").text
    assert msg == ind["map.share.missing"].format(
        what=ind["map.share.what_site"].format(code="KO-GONE-1")), msg
    assert driver.find_element(By.ID, "share").get_attribute("hidden") is not None
    # a site that exists opens there
    open_at(driver, phone_server.base, "site=KO-35.16.03")
    wait_for(driver, "!document.querySelector('#share').hidden", 30, "the shared site")
    assert "KO-35.16.03" in driver.find_element(By.ID, "share-what").text
    # a closure: opens the fibre view at it, with its geo: URI and coordinates
    open_at(driver, phone_server.base, f"closure={CLOSURE}")
    wait_for(driver, "!document.querySelector('#share').hidden", 30, "the shared closure")
    eng = make_engine(cut_store)
    with reader(eng) as s:
        clo = s.scalar(select(Closure).where(Closure.code == CLOSURE))
        lon, lat = clo.lon, clo.lat
    eng.dispose()
    assert driver.find_element(By.ID, "share-what").text == \
        ind["map.share.closure"].format(code=CLOSURE)
    assert driver.find_element(By.ID, "share-coords").text == f"{lat:.6f}, {lon:.6f}"
    assert driver.find_element(By.ID, "share-geo").get_attribute("href").startswith(
        f"geo:{lat:.6f},{lon:.6f}?q=")
    assert driver.find_element(By.ID, "share-link").get_attribute("href").endswith(
        f"#closure={CLOSURE}")
    # on the screen, near the middle of the map, zoomed in
    at = driver.execute_script(
        "const m = window.fonet.map; const p = m.latLngToContainerPoint([arguments[1], "
        "arguments[0]]); const z = m.getSize(); return [p.x / z.x, p.y / z.y, m.getZoom()];",
        lon, lat)
    assert 0.25 < at[0] < 0.75 and 0.25 < at[1] < 0.75 and at[2] >= 16, at
    # a closure that is gone
    open_at(driver, phone_server.base, "closure=JC-GONE-9")
    msg = driver.find_element(By.ID, "message").text
    assert msg == ind["map.share.missing"].format(
        what=ind["map.share.what_closure"].format(code="JC-GONE-9")), msg
    assert driver.find_element(By.ID, "share").get_attribute("hidden") is not None
    # a point far outside the regency
    open_at(driver, phone_server.base, "otdr=10.0,50.0")
    assert driver.find_element(By.ID, "message").text.startswith(
        ind["map.share.missing"].split("{")[0])
    shot(driver, "tautan-hilang-ponsel.png", tmp_path)


def test_map_asks_for_layers_by_zoom(phone_server, cut_store, phone):
    """On the phone the regency fits at a low zoom: the village outlines come simplified
    (``?zoom=``), and zooming in past the last band brings them whole, every village kept."""
    driver = phone
    signed_out(driver, phone_server.base, forget_language=True)
    login(driver, phone_server.base, make_tokens(cut_store)["viewer"])
    open_at(driver, phone_server.base, "")
    asked = "return performance.getEntriesByType('resource').map((e) => e.name)" \
            ".filter((n) => n.includes('/areas/village'))"
    first = driver.execute_script(asked)
    assert first and all("zoom=" in n for n in first), first
    count = ("(() => { let n = 0; window.fonet.layers.villagesBase.eachLayer(() => { n += 1; });"
             " return n; })()")
    assert driver.execute_script(f"return {count}") == 304
    driver.execute_script("window.fonet.map.setZoom(14, {animate: false})")
    wait_for(driver, "performance.getEntriesByType('resource').some((e) => "
             "e.name.endsWith('/areas/village'))", 30, "the whole village layer")
    wait_for(driver, f"{count} === 304", 30, "304 villages")


def test_desktop_views_in_indonesian(phone_server, cut_store, browser, tmp_path):  # noqa: F811
    """The same map on a desktop (1400×900): the NOC view at the shared cut, the coverage view
    and the fibre view at a shared closure, in Indonesian; the guide's desktop screenshots."""
    from selenium.webdriver.common.by import By

    driver = browser
    ind = catalogue("id")
    signed_out(driver, phone_server.base, forget_language=True)
    login(driver, phone_server.base, make_tokens(cut_store)["viewer"])
    assert driver.execute_script("return window.innerWidth") > 1000
    open_at(driver, phone_server.base, "cut")
    wait_for(driver, "!document.querySelector('#share').hidden && document.querySelectorAll("
             "'#link-list li[data-state=down]').length >= 4", 30, "the cut and the down links")
    text = visible_text(driver)
    for label in ("map.noc.alarms", "map.noc.cut", "map.share.heading", "map.state.down"):
        assert ind[label] in text, label
    assert_no_english(text)
    shot(driver, "noc-putus-desktop.png", tmp_path)
    open_at(driver, phone_server.base, "", "?view=coverage")
    wait_for(driver, "document.querySelectorAll('#coverage-table tbody tr').length > 18", 60,
             "the coverage table")
    text = visible_text(driver)
    for label in ("map.cov.kecamatan", "map.cov.built", "map.cov.not_covered"):
        assert ind[label] in text, label
    assert_no_english(text)
    shot(driver, "cakupan-desktop.png", tmp_path)
    open_at(driver, phone_server.base, f"closure={CLOSURE}")
    wait_for(driver, "!document.querySelector('#share').hidden", 30, "the shared closure")
    assert driver.find_element(By.ID, "share-what").text == \
        ind["map.share.closure"].format(code=CLOSURE)
    shot(driver, "closure-desktop.png", tmp_path)
