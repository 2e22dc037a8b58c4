"""The NOC map at a glance, in headless Chromium: a link's traffic and Rx power charts on
click, down links that still show under a located cut, alarms placed in their village and
kecamatan with a zoom link, and a legend entry for every symbol.

``fonet serve`` runs without collectors on a planned store where a backbone hop is
terminated on two interfaces with a day of samples and a week of rollups, and four access
links sharing one span are down (so the located cut is that span).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fonet.devices import add_device, attach_link
from fonet.i18n import t
from fonet.noc.alarms import raise_alarm
from fonet.store import make_engine, transaction
from fonet.store.models import Interface, Link, LinkSpan, Span
from fonet.store.observed import InterfaceRollup, InterfaceSample, LinkState
from tests.api import Server, make_tokens
from tests.api.test_e2e_browser import browser, login, screenshot, wait_for  # noqa: F401
from tests.waiting import wait_until

DAY = 24 * 3600


@pytest.fixture(scope="module")
def scene(store):
    """The store with a monitored backbone hop with history, and four access links down."""
    eng = make_engine(store)
    now = datetime.now(UTC).replace(microsecond=0)
    with transaction(eng) as s:
        hop = s.scalar(select(Link).where(Link.name.like("P%:BB1:%")).order_by(Link.id))
        device = add_device(s, "olt-history", "127.0.0.1", port=16161, community="x")
        for idx, name in ((1, "xe-0/0/1"), (2, "xe-0/0/2")):
            s.add(Interface(device_id=device.id, if_index=idx, name=name,
                            high_speed_mbps=10_000))
        s.flush()
        attach_link(s, hop.name, "olt-history:xe-0/0/1", "olt-history:xe-0/0/2",
                    create=False)
        iface = s.scalar(select(Interface).where(Interface.device_id == device.id,
                                                 Interface.if_index == 1))
        # the last day as raw samples every 5 min; the six days before as rollups
        for k in range(288):
            t = now - timedelta(seconds=k * 300)
            day = math.sin(2 * math.pi * (t.timestamp() % DAY) / DAY)
            s.add(InterfaceSample(interface_id=iface.id, polled_at=t, counter_bits=64,
                                  in_rate_bps=4e8 + 3e8 * day, out_rate_bps=2e8 + 1e8 * day,
                                  rx_power_dbm=-14.0 - 0.5 * day, oper="up", admin="up"))
        for k in range(288, 7 * 288, 3):
            t = now - timedelta(seconds=k * 300)
            s.add(InterfaceRollup(interface_id=iface.id, bucket_start=t, samples=5,
                                  in_rate_bps_avg=3e8, in_rate_bps_max=6e8,
                                  out_rate_bps_avg=1.5e8, out_rate_bps_max=3e8,
                                  rx_power_dbm_avg=-14.2, rx_power_dbm_min=-15.1,
                                  errors_per_s_max=0.0, oper_down_samples=0))
        s.merge(LinkState(link_id=hop.id, state="up", reasons=["oper up"], since=now,
                          updated_at=now))
        # four access links on a busy access span go down: the cut is that span
        # (a span of some length: drops at a hub have none to draw)
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
            s.merge(LinkState(link_id=lid, state="down", reasons=["oper down"], since=now,
                              updated_at=now))
        raise_alarm(s, f"link_down:{down[0]}", kind="link_down", severity="major",
                    object_type="link", object_name=down[0], message=f"{down[0]} down",
                    now=now)
        hop_name = hop.name
    eng.dispose()
    return {"hop": hop_name, "down": down, "span": span}


@pytest.fixture(scope="module")
def server(store, scene, tmp_path_factory):
    srv = Server(store, tmp_path_factory.mktemp("noc-serve") / "serve.log",
                 FONET_COLLECTORS="false")
    yield srv
    srv.stop()


def noc_view(driver, server, store) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver.get(server.base + "/map/")
    login(driver, server.base, make_tokens(store)["viewer"])
    driver.find_element(By.CSS_SELECTOR, "#views button[data-view=noc]").click()
    wait_for(driver, "document.querySelectorAll('path.link-down').length >= 4", 30,
             "the down links")


def click_path(driver, selector: str) -> None:  # noqa: ANN001
    """Click a point in the middle of an SVG path, as a person would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    x, y = driver.execute_script(
        "const p = document.querySelector(arguments[0]);"
        "const pt = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform("
        "  p.getScreenCTM());"
        "const m = document.querySelector('#map').getBoundingClientRect();"
        "return [pt.x - (m.left + m.width / 2), pt.y - (m.top + m.height / 2)];", selector)
    ActionChains(driver).move_to_element_with_offset(
        driver.find_element(By.ID, "map"), int(x), int(y)).click().perform()


def test_clicking_a_link_shows_its_traffic_and_rx_charts(server, store, scene, browser,  # noqa: F811
                                                         tmp_path):
    noc_view(browser, server, store)
    sel = f'path.link[data-link="{scene["hop"]}"]'
    wait_for(browser, f"document.querySelector('{sel}.link-up')", 20, "the monitored hop")
    # zoom to the hop so that its line is long enough to click
    browser.execute_script(
        "const l = [...fonet.layers.links.getLayers()].find("
        "  (x) => x.feature.properties.name === arguments[0]);"
        "fonet.map.fitBounds(l.getBounds(), {padding: [80, 80], animate: false});",
        scene["hop"])
    wait_for(browser, f"document.querySelector('{sel}')", 10, "the hop after zooming")
    click_path(browser, sel)
    wait_for(browser, "document.querySelector('#history').dataset.ready === 'true'", 30,
             "the charts")
    assert browser.execute_script("return document.querySelector('#history').dataset.link"
                                  ) == scene["hop"]
    canvases = browser.execute_script(
        "return document.querySelectorAll('#history .uplot canvas').length")
    assert canvases == 4  # traffic and Rx power, over 24 h and over 7 days
    titles = browser.execute_script(
        "return [...document.querySelectorAll('#history .u-title')].map((e) => e.textContent)")
    # in the page's language, Bahasa Indonesia by default (fonet.i18n's catalogue)
    assert titles == [t(f"map.hist.{k}", "id", range=r) for r in ("24h", "7d")
                      for k in ("traffic", "rx")]
    got = browser.execute_script(
        "const d = fonetHistory.data;"
        "const n = (s) => s.value.filter((v) => v !== null).length;"
        "return {day: n(d['24h'].in_bps), week: n(d['7d'].in_bps), rx: n(d['24h'].rx_dbm),"
        " src: d['7d'].in_bps.source, max: Math.max(...d['24h'].in_bps.value"
        "  .filter((v) => v !== null))};")
    assert got["day"] > 200 and got["rx"] > 200 and got["week"] > 300, got
    assert got["src"] == "raw+rollup" and 6e8 < got["max"] <= 7e8, got
    screenshot(browser, "noc-history.png", tmp_path)


def test_down_links_show_above_the_located_cut(server, store, scene, browser,  # noqa: F811
                                               tmp_path):
    from selenium.webdriver.common.by import By

    noc_view(browser, server, store)
    wait_for(browser, "document.querySelector('path.cut')", 30, "the located cut")
    browser.execute_script("fonet.map.fitBounds(fonet.layers.cut.getBounds(), "
                           "{padding: [150, 150], animate: false, maxZoom: 19});")
    wait_for(browser, "document.querySelector('path.cut')", 10, "the cut after zooming")
    # along the cut, what a person sees on top is a red down link (or a site marker)
    tops = browser.execute_script(
        "const c = [...document.querySelectorAll('path.cut')].sort("
        "  (x, y) => y.getTotalLength() - x.getTotalLength())[0];"
        "const out = [];"
        "for (let k = 1; k < 10; k += 1) {"
        "  const pt = c.getPointAtLength(c.getTotalLength() * k / 10).matrixTransform("
        "    c.getScreenCTM());"
        "  const el = document.elementFromPoint(pt.x, pt.y);"
        "  if (el.closest('.site-marker')) continue;"
        "  out.push({cls: el.getAttribute('class') || el.tagName,"
        "            link: el.getAttribute('data-link'), stroke: el.getAttribute('stroke')});"
        "}"
        "return out;")
    assert tops, "site markers hide the whole cut"
    for top in tops:
        assert "link-down" in top["cls"], tops
        assert top["link"] in scene["down"] and top["stroke"] == "#d7191c", tops
    legend = browser.execute_script(
        "return [...document.querySelectorAll('#noc-legend [data-legend]')]"
        ".map((e) => e.dataset.legend)")
    for entry in ("state-up", "state-down", "state-degraded", "state-unknown", "backbone",
                  "access", "cut", "site-core_pop", "site-hub", "site-village_office"):
        assert entry in legend, legend
    # site markers by kind
    kinds = browser.execute_script(
        "return [...new Set([...document.querySelectorAll('#map "
        ".site-marker')].map((e) => [...e.classList].find((c) => c.startsWith('site-') "
        "&& c !== 'site-marker')))]")
    assert {"site-pop", "site-hub"} <= set(kinds), kinds
    # the alarm names its village and kecamatan, and zooms the map there
    item = browser.find_element(By.CSS_SELECTOR, "#alarm-list li")
    place = item.find_element(By.CSS_SELECTOR, ".place").text
    assert "Desa " in place and "Kec. " in place, place
    browser.execute_script("fonet.map.setZoom(11, {animate: false})")
    item.find_element(By.CSS_SELECTOR, "button.zoom").click()
    wait_for(browser, "fonet.map.getZoom() >= 15", 10, "the zoom")
    screenshot(browser, "noc-cut.png", tmp_path)


@pytest.mark.parametrize(("page", "rendered"), [
    ("/docs", "document.querySelectorAll('.opblock').length"),
    ("/redoc", "document.querySelectorAll('[data-section-id^=\"operation\"], "
               "[id^=\"operation\"]').length"),
])
def test_api_docs_render_offline_under_the_csp(server, browser, page, rendered):  # noqa: F811
    """The docs pages render from the service's own files (the browser has no Internet)."""
    browser.get(server.base + page)
    wait_until(lambda: browser.execute_script(f"return {rendered};") > 30, 60,
               f"{page} to render", interval_s=0.2,
               detail=lambda: str(browser.get_log("browser")[-5:]))
    # (ReDoc's footer tries its maker's logo from the Internet and hides it when it cannot:
    # the CSP blocks it, as being offline would; nothing else may be blocked)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "Content Security Policy" in e["message"]
              and "Loading the image" not in e["message"]]
    assert not errors, errors
