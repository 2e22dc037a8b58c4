"""The web map end to end in headless Chromium: log in, see the layers, route two clicks,
and watch a link turn red when a simulated agent's ifOperStatus goes down.

``fonet serve`` runs on a free 127.0.0.1 port with its in-process collectors polling an
snmpsim agent every 2 s; the test flips the agent's ifOperStatus with an SNMP SET
(writecache variation) and waits for the map to redraw the link.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from fonet.i18n import t
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, Site
from tests.api import Server, copy_store, make_tokens, planned_store
from tests.ci import require
from tests.collectors.conftest import IF, if_rows, running_snmpsim, snmprec
from tests.waiting import wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
COMMUNITY = "e2e-olt"
IF_A, IF_Z = 61, 62  # ifIndex values no other simulated device uses (shared writecache)
RED = "#d7191c"


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    files = {COMMUNITY: snmprec(if_rows({IF_A: "xe-1/0/1", IF_Z: "xe-1/0/2"},
                                        oper="2:writecache|value=1"))}
    with running_snmpsim(tmp_path_factory.mktemp("e2e-snmpsim"), files, COMMUNITY) as sim:
        yield sim


@pytest.fixture(scope="module")
def monitored(regency_db_file, tmp_path_factory, agent):
    """A planned store whose first backbone hop is terminated on the simulated agent."""
    from collectors.client import poll_once
    from fonet.devices import add_device, attach_link, device_targets
    from fonet.monitoring import record_poll

    url = copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("e2e"))
    eng = make_engine(url)
    with transaction(eng) as s:
        link = s.scalar(select(Link).where(Link.name.like("P1:BB1:%")).order_by(Link.id))
        site = s.get(Site, link.a_site_id)
        add_device(s, "olt-e2e", "127.0.0.1", port=agent.port, community=COMMUNITY,
                   site_code=site.code)
        (target,) = device_targets(s, ["olt-e2e"])
    (poll,) = poll_once([target], timeout_s=1, retries=1)
    assert poll.reachable, poll.error
    with transaction(eng) as s:
        record_poll(s, poll)
        attach_link(s, link.name, "olt-e2e:xe-1/0/1", "olt-e2e:xe-1/0/2", create=False)
        name = link.name
    eng.dispose()
    return url, name


@pytest.fixture(scope="module")
def server(monitored, tmp_path_factory):
    url, _ = monitored
    srv = Server(url, tmp_path_factory.mktemp("e2e-serve") / "serve.log",
                 FONET_POLL_INTERVAL_S="2")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(),
            "Debian packages chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--window-size=1400,900", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout_s: float = 20.0, what: str = ""):
    """Poll a JavaScript expression until it is truthy; return its value."""
    return wait_until(
        lambda: driver.execute_script(f"return ({script});"), timeout_s, what or script,
        detail=lambda: "message: " + repr(driver.execute_script(
            "return document.querySelector('#message').textContent")))


def signed_out(driver, base: str, *, forget_language: bool = False) -> None:
    """Forget the token (and the language) on a page of the server where no map script runs.

    Clearing storage on the map itself races the page's own sign-in, which stores the token
    again when it finishes after the clear.
    """
    driver.get(base + "/map/i18n/id.json")
    driver.execute_script("sessionStorage.clear();"
                          + (" localStorage.clear();" if forget_language else ""))


def login(driver, base: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    signed_out(driver, base)
    driver.get(base + "/map/")
    wait_for(driver, "!document.querySelector('#login').hidden", what="the login form")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "document.body.dataset.ready === 'true'", 60, "the map to load")
    assert driver.execute_script("return sessionStorage.getItem('fonet.token')") == token


def screenshot(driver, name: str, folder: Path) -> Path:
    out = Path(os.environ.get("FONET_SCREENSHOT_DIR", folder))
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_plan_and_coverage_views(server, monitored, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    url, _ = monitored
    tokens = make_tokens(url)
    login(browser, server.base, tokens["engineer"])
    assert "engineer" in browser.find_element(By.ID, "who").text
    n = browser.execute_script("return {villages: fonet.layers.villagesBase.getLayers().length,"
                               " kec: fonet.layers.kecamatan.getLayers().length,"
                               " spans: fonet.layers.spans.getLayers().length,"
                               " sites: fonet.layers.planSites.getLayers().length}")
    assert n["villages"] == 304 and n["kec"] == 18 and n["spans"] > 500 and n["sites"] > 300
    assert browser.execute_script("return fonet.map.hasLayer(fonet.layers.spans)")
    figures = browser.find_element(By.ID, "plan-figures").text
    assert "304 / 304" in figures
    # two clicks on the map: a least-cost route with its length and cost
    browser.find_element(By.ID, "route-start").click()
    m = browser.find_element(By.ID, "map")
    for k, (dx, dy) in enumerate(((-120, -60), (140, 90)), start=1):
        ActionChains(browser).move_to_element_with_offset(m, dx, dy).click().perform()
        wait_for(browser, f"fonet.layers.route.getLayers().length >= {k}", 10,
                 f"the marker of route point {k}")
    length = wait_for(browser, "document.querySelector('#route-length')?.textContent", 30,
                      "the route")
    cost = browser.find_element(By.ID, "route-cost").text
    assert length.endswith("km") and float(length.split()[0].replace(",", "")) > 0
    assert cost.startswith("Rp")
    assert browser.execute_script("return document.querySelectorAll('path.route-line')"
                                  ".length") >= 1
    screenshot(browser, "map-plan.png", tmp_path)
    browser.find_element(By.CSS_SELECTOR, "#views button[data-view=coverage]").click()
    wait_for(browser, "document.querySelectorAll('#coverage-table tbody tr').length === 19",
             30, "the coverage table")
    assert browser.execute_script("return fonet.layers.coverage.getLayers().length") == 304
    assert browser.execute_script(
        "return document.querySelectorAll('#export-buttons button').length") == 6
    screenshot(browser, "map-coverage.png", tmp_path)


def test_link_turns_red_when_the_agent_reports_it_down(server, monitored, agent, browser,
                                                       tmp_path):
    from pysnmp.proto.rfc1902 import Integer32
    from selenium.webdriver.common.by import By

    url, link_name = monitored
    tokens = make_tokens(url)
    login(browser, server.base, tokens["viewer"])
    assert browser.find_element(By.ID, "route-start").get_attribute("disabled") is not None
    browser.find_element(By.CSS_SELECTOR, "#views button[data-view=noc]").click()
    sel = f'path.link[data-link="{link_name}"]'
    # the in-process scheduler polls every 2 s: the link comes up first
    wait_for(browser, f"document.querySelector('{sel}.link-up')", 30, "the link to be up")
    wait_for(browser, "document.querySelector('#live').classList.contains('on')", 10,
             "the live stream")
    agent.set(COMMUNITY, f"{IF}.8.{IF_A}", Integer32(2))  # ifOperStatus down
    try:
        # the next poll (every 2 s) sees it; the stream brings it (benchmarks/events.py)
        wait_for(browser, f"document.querySelector('{sel}.link-down')", 30,
                 "the link to turn red")
        stroke = browser.execute_script(f"return document.querySelector('{sel}')"
                                        ".getAttribute('stroke')")
        assert stroke == RED
        item = browser.find_element(By.CSS_SELECTOR, f'#link-list li[data-link="{link_name}"]')
        # the reason, made by the server in English, shows in the page's language (id)
        reason = t("link.reason.oper", "id", end="", oper=t("term.oper_down", "id"))
        assert item.get_attribute("data-state") == "down" and reason in item.text, item.text
        assert browser.find_element(By.ID, "count-down").text == "1"
        screenshot(browser, "map-noc-down.png", tmp_path)
        with reader(make_engine(url)) as s:
            from fonet.monitoring import link_states

            assert link_states(s)[link_name]["state"] == "down"
    finally:
        agent.set(COMMUNITY, f"{IF}.8.{IF_A}", Integer32(1))
