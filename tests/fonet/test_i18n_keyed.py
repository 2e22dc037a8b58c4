"""Texts made on the server (link reasons, alarm messages) read back as catalogue key and
parameters: every pattern of the catalogue round-trips, the real producers' texts are keyed,
and they render in Indonesian with Indonesian numbers."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest

from fonet.i18n import catalogue, t
from fonet.i18n.keyed import keyed, localise, render
from fonet.telemetry.health import EndpointReading, HealthThresholds, evaluate_link
from fonet.telemetry.samples import InterfaceSample

FAMILIES = ("link.reason.", "alarm.msg.")


def _fields(text: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


@pytest.mark.parametrize("key", [k for k in catalogue("en") if k.startswith(FAMILIES)])
def test_every_server_text_round_trips(key: str) -> None:
    family = next(f for f in FAMILIES if key.startswith(f))
    values = {name: f"v{i}-x" for i, name in enumerate(_fields(catalogue("en")[key]))}
    text = t(key, "en", **values)
    got = keyed(text, family)
    assert got["key"] == key and got["text"] == text
    assert {n: (v["text"] if isinstance(v, dict) else v) for n, v in got["params"].items()
            if not isinstance(v, list)} == {n: v for n, v in values.items() if n != "reasons"}
    assert render(got, "en") == text
    assert render(got, "id") == t(key, "id", **values)


def test_unknown_text_is_kept() -> None:
    assert keyed("something new", "link.reason.") == {"key": None, "params": {},
                                                      "text": "something new"}
    assert localise("something new", "alarm.msg.", "id") == "something new"


def _end(label: str, oper: str, rx: float | None = None, age_s: float = 0) -> EndpointReading:
    sample = InterfaceSample(if_index=1, name=label, oper=oper, admin="up", rx_dbm=rx)
    return EndpointReading(sample, datetime.now(UTC) - timedelta(seconds=age_s), label=label)


def test_the_link_evaluation_writes_keyed_reasons() -> None:
    now = datetime.now(UTC)
    cases = [
        (evaluate_link(_end("olt1:ge-0/1", "down"), EndpointReading(None, None),
                       interval_s=60, now=now), ["link.reason.oper", "link.reason.no_data"]),
        (evaluate_link(_end("a", "up", rx=-31.456), _end("b", "up", age_s=900),
                       thresholds=HealthThresholds(), interval_s=60, now=now),
         ["link.reason.rx_low", "link.reason.stale"]),
    ]
    for health, keys in cases:
        got = [keyed(r, "link.reason.") for r in health.reasons]
        assert [g["key"] for g in got] == keys, health.reasons
    # "no data" of an end without a sample is named "end B", a catalogue term too
    nodata = keyed(cases[0][0].reasons[1], "link.reason.")
    assert nodata["params"]["end"]["key"] == "term.end_b"
    assert localise(cases[0][0].reasons[1], "link.reason.", "id") == \
        t("link.reason.no_data", "id", end=t("term.end_b", "id"))
    # decimals in the language's format
    rx = localise(cases[1][0].reasons[0], "link.reason.", "id")
    assert "-31,46 dBm" in rx and t("link.reason.rx_low", "id", end="a", rx="-31,46",
                                    limit="X").split("X")[0] in rx


def test_alarm_message_with_nested_texts() -> None:
    reasons = "; ".join([t("link.reason.oper", "en", end="x:1", oper="down"),
                         t("link.reason.no_data", "en", end=t("term.end_b", "en"))])
    msg = t("alarm.msg.link_down", "en", name="P1:AC:1", reasons=reasons)
    got = keyed(msg, "alarm.msg.")
    assert got["key"] == "alarm.msg.link_down"
    assert [r["key"] for r in got["params"]["reasons"]] == ["link.reason.oper",
                                                           "link.reason.no_data"]
    ind = localise(msg, "alarm.msg.", "id")
    assert ind == t("alarm.msg.link_down", "id", name="P1:AC:1", reasons="; ".join([
        t("link.reason.oper", "id", end="x:1", oper=t("term.oper_down", "id")),
        t("link.reason.no_data", "id", end=t("term.end_b", "id"))]))
    where = t("term.cut_where", "en", kind=t("term.trench", "en"),
              spans=t("term.span_list_more", "en", first="1, 2, 3", n=7), edges="12")
    cut = localise(t("alarm.msg.fibre_cut", "en", where=where, n=4), "alarm.msg.", "id")
    assert t("term.trench", "id") in cut and "(7 span)" in cut and "fibre" not in cut
