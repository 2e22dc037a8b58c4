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


def test_server_texts_come_with_key_and_params(client, tokens, store) -> None:  # noqa: ANN001
    """Alarm messages and link reasons keep their English text and add key and parameters."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from fonet.i18n.keyed import en
    from fonet.noc.alarms import raise_alarm
    from fonet.store import make_engine, transaction
    from fonet.store.models import Link
    from fonet.store.observed import LinkState

    now = datetime.now(UTC)
    reason = en("link.reason.rx_low", end="olt:1", rx="-30.12", limit="-28.00")
    eng = make_engine(store)
    with transaction(eng) as s:
        link = s.scalars(select(Link).order_by(Link.id)).first()
        s.merge(LinkState(link_id=link.id, state="degraded", reasons=[reason], since=now,
                          updated_at=now))
        raise_alarm(s, "rx_low:olt:1", kind="rx_low", severity="warning",
                    object_type="interface", object_name="olt:1", now=now,
                    message=en("alarm.msg.rx_low", port="olt:1", rx="-30.12", limit="-28.00"))
        name = link.name
    eng.dispose()
    h = bearer(tokens["viewer"])
    alarms = client.get("/api/v1/alarms?open=true", headers=h).json()["items"]
    (a,) = [a for a in alarms if a["key"] == "rx_low:olt:1"]
    assert a["message"].startswith("olt:1: Rx power -30.12 dBm")  # the field as it was
    assert a["message_key"] == "alarm.msg.rx_low"
    assert a["params"] == {"port": "olt:1", "rx": "-30.12", "limit": "-28.00"}
    links = client.get("/api/v1/links", params={"limit": 1000}, headers=h).json()["items"]
    (row,) = [r for r in links if r["name"] == name]
    assert row["reasons"] == [reason]
    assert row["reason_keys"] == [{"key": "link.reason.rx_low", "text": reason, "params": {
        "end": "olt:1", "rx": "-30.12", "limit": "-28.00"}}]
