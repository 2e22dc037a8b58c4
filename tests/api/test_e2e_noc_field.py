"""The NOC view's field additions in headless Chromium: an OTDR break drawn with its
uncertainty circle, and the worst ten served sites of the month.

The store holds a constructed state history for this month: three access links down for 1, 2
and 3 hours; the view must list their sites worst first, with the figures of the API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, Site
from fonet.store.observed import LinkStateChange
from tests.api import Server, bearer, copy_store, make_tokens, planned_store
from tests.api.test_e2e_browser import browser, login, screenshot, wait_for  # noqa: F401


@pytest.fixture(scope="module")
def field_store(regency_db_file, tmp_path_factory):
    url = copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("e2e-field"))
    eng = make_engine(url)
    now = datetime.now(UTC)
    start = now.astimezone(datetime.now().astimezone().tzinfo)  # noqa: DTZ005
    with transaction(eng) as s:
        links = list(s.scalars(select(Link).where(Link.name.like("P1:AC:VO-%"))
                               .order_by(Link.name).limit(3)))
        t0 = now - timedelta(hours=8)
        for link in links:  # a state from before, so the month is monitored since then
            s.add(LinkStateChange(link_id=link.id, at=t0, from_state=None, to_state="up",
                                  reasons=[]))
        for k, link in enumerate(links, start=1):
            down = now - timedelta(hours=6)
            s.add(LinkStateChange(link_id=link.id, at=down, from_state="up", to_state="down",
                                  reasons=["test"]))
            s.add(LinkStateChange(link_id=link.id, at=down + timedelta(hours=k),
                                  from_state="down", to_state="up", reasons=[]))
        names = [link.name for link in links]
        hub = s.get(Site, links[0].a_site_id).code
    eng.dispose()
    assert start is not None
    return url, names, hub


@pytest.fixture(scope="module")
def field_server(field_store, tmp_path_factory):
    url, _, _ = field_store
    srv = Server(url, tmp_path_factory.mktemp("e2e-field-serve") / "serve.log",
                 FONET_COLLECTORS="false")
    yield srv
    srv.stop()


def test_otdr_point_and_worst_ten(field_server, field_store, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    url, names, hub = field_store
    token = make_tokens(url)["viewer"]
    login(browser, field_server.base, token)
    browser.find_element(By.CSS_SELECTOR, "#views button[data-view=noc]").click()
    wait_for(browser, "document.querySelectorAll('#worst-list li[data-site]').length >= 3",
             30, "the worst ten")
    month = datetime.now(UTC) + timedelta(hours=7)
    api = httpx.get(f"{field_server.base}/api/v1/reports/availability",
                    params={"month": month.strftime("%Y-%m"), "worst_only": True},
                    headers=bearer(token), timeout=60).json()
    shown = browser.execute_script(
        "return [...document.querySelectorAll('#worst-list li')].map(li => li.dataset.site)")
    assert shown == [w["code"] for w in api["worst"]]
    # the site down 3 h comes first
    assert shown[0] == names[2].split(":AC:")[1]
    # OTDR: a distance along the first access link, measured from its hub
    browser.find_element(By.ID, "otdr-link").send_keys(names[0])
    browser.find_element(By.ID, "otdr-from").send_keys(hub)
    browser.find_element(By.ID, "otdr-distance").send_keys("900")
    browser.find_element(By.ID, "otdr-go").click()
    wait_for(browser, "document.querySelector('path.otdr-uncertainty')", 30,
             "the uncertainty circle")
    answer = httpx.post(f"{field_server.base}/api/v1/otdr/locate",
                        params={"link": names[0], "from": hub, "distance_m": 900},
                        headers=bearer(token), timeout=60).json()
    assert browser.find_element(By.ID, "otdr-span").text == str(answer["span"]["span_id"])
    assert browser.find_element(By.ID, "otdr-uncertainty").text == \
        f"±{answer['uncertainty_m']} m"
    assert browser.execute_script("return document.querySelectorAll('path.otdr-point').length")
    shot = screenshot(browser, "map-noc-otdr.png", tmp_path)
    print(f"screenshot {shot}")
    with reader(make_engine(url)) as s:
        assert s.scalar(select(Link.id).where(Link.name == names[0]))
