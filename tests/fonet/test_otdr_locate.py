"""``fonet otdr locate``: a synthetic 3.2 km break lands on the right span, within its stated
uncertainty, on the planned regency; bad input is named and changes nothing.

The "true" fibre differs from the profile's model within its stated uncertainty: 2.7 % of
overlength (the model says 2 % +- 1 %), 17 m slack loops (20 +- 5 m) and 12 m of fibre coiled at
the hub (10 m). The trace is written with the project's SR-4731 writer, its end-of-fibre event
where light stops in the true fibre.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import otdr_cmd
from fonet.errors import InputError
from fonet.geo import distance_m
from fonet.otdr import TraceSpec, WrittenEvent, write_sor
from fonet.otdr.locate import fibre_path, otdr_settings
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, LinkSpan, Site
from tests.api import copy_store, planned_store

BREAK_M = 3200.0
TRUE_FACTOR, TRUE_LOOP_M, TRUE_HUB_SLACK_M = 1.027, 17.0, 12.0


@pytest.fixture(scope="module")
def store(regency_db_file, tmp_path_factory):
    return copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("otdr"))


def run(url: str, *args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    otdr_cmd.register(app)
    result = CliRunner().invoke(app, list(args), env={"FONET_DB_URL": url})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def case(store):
    """An access link of at least 6 km whose 3.2 km point is well inside a span."""
    eng = make_engine(store)
    with reader(eng) as s:
        settings, drum = otdr_settings(s, None)
        names = list(s.scalars(select(Link.name).where(Link.name.like("P%:AC:%"))
                               .order_by(Link.name)))
        for name in names:
            link = s.scalar(select(Link).where(Link.name == name))
            hub = s.get(Site, link.a_site_id).code
            try:
                path = fibre_path(s, link=name, from_=hub, drum_length_m=drum)
            except InputError:  # an office on its hub's route node: the link rides no span
                continue
            if path.length_m < 6000:
                continue
            span = next(sp for sp in path.spans if sp.start_m + sp.length_m > BREAK_M)
            margin = min(BREAK_M - span.start_m, span.start_m + span.length_m - BREAK_M)
            near_closure = any(abs(c.at_m - BREAK_M) < 100 for c in path.closures)
            if margin > 150 and not near_closure:
                break
        else:
            pytest.fail("no access link fits")
    passed = sum(1 for c in path.closures if c.at_m < BREAK_M)
    optical = TRUE_HUB_SLACK_M + TRUE_FACTOR * BREAK_M + TRUE_LOOP_M * passed
    # the true point, measured along the span's own geometry
    from fonet.geo import to_lonlat

    true_pt = to_lonlat(span.line.interpolate((BREAK_M - span.start_m) / span.length_m,
                                              normalized=True))
    yield {"engine": eng, "link": name, "hub": hub, "span": span, "optical": optical,
           "true": (true_pt.x, true_pt.y), "path": path, "settings": settings}
    eng.dispose()


def test_synthetic_break_lands_on_the_right_span(store, case, tmp_path):
    sor = write_sor(tmp_path / "break.sor", TraceSpec(
        [WrittenEvent(0.0, 0.0, -45.0), WrittenEvent(case["optical"], 0.0, -14.0, end=True)],
        wavelength_nm=1550.0, resolution_m=0.5, cable_id=case["link"], location_a=case["hub"]))
    code, out, err = run(store, "otdr", "locate", str(sor), "--link", case["link"],
                         "--from", case["hub"], "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["span"]["span_id"] == case["span"].span_id
    assert got["optical_distance_m"] == pytest.approx(case["optical"], abs=0.5)
    u = got["uncertainty_m"]
    assert 10 < u < 100  # a field team's search radius, not a section
    assert abs(got["route_distance_m"] - BREAK_M) <= u
    lon, lat = got["point"]["lon"], got["point"]["lat"]
    assert distance_m(lon, lat, *case["true"]) <= u
    assert got["nearest"]["kind"] in {"route_node", "closure (branch)", "closure (drum)"}
    assert got["nearest"]["route_distance_m"] >= 0
    assert got["otdr"]["wavelength_nm"] == 1550.0 and got["snmp_section"] is None
    # the same through --distance-m; and from the far end the point is the same place
    code, out2, _ = run(store, "otdr", "locate", "--distance-m", str(case["optical"]),
                        "--link", case["link"], "--from", case["hub"], "--json")
    assert code == 0 and json.loads(out2)["span"] == got["span"]
    total_optical = got["path_optical_m"]
    village = case["link"].split(":AC:")[1]
    code, out3, _ = run(store, "otdr", "locate", "--distance-m",
                        str(total_optical - case["optical"]), "--link", case["link"],
                        "--from", village, "--json")
    assert code == 0
    back = json.loads(out3)
    assert distance_m(back["point"]["lon"], back["point"]["lat"], lon, lat) <= 2 * u


def _digest(url: str) -> str:
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def test_bad_input_is_named_and_changes_nothing(store, case, tmp_path):
    with transaction(case["engine"]) as s:
        if s.scalar(select(Link).where(Link.name == "EMPTY")) is None:
            s.add(Link(name="EMPTY"))
    case["engine"].dispose()
    before = _digest(store)
    text = tmp_path / "notes.sor"
    text.write_text("not an OTDR trace\n")
    link, hub = case["link"], case["hub"]
    cases = [
        (("--distance-m", "99000", "--link", link, "--from", hub), "beyond the end"),
        (("--distance-m", "100", "--link", "EMPTY", "--from", hub), "rides no spans"),
        (("--distance-m", "100", "--link", link, "--from", "VO-35.16.18.2001"),
         "is not an end of link"),
        (("--distance-m", "100", "--link", link, "--from", "nowhere"), "no site code"),
        (("--distance-m", "100", "--link", "P9:AC:none", "--from", hub), "no link named"),
        (("--distance-m", "-5", "--link", link, "--from", hub), "non-negative"),
        ((str(text), "--link", link, "--from", hub), "not an SOR file"),
        (("--link", link, "--from", hub), "either an SOR file or --distance-m"),
        (("--distance-m", "100", "--from", hub), "either --link or --cable"),
    ]
    for args, message in cases:
        code, out, err = run(store, "otdr", "locate", *args, "--json")
        assert code == 2 and out == "" and message in err, (args, err)
    assert _digest(store) == before


def test_cable_from_one_end(store, case):
    span = case["span"]
    code, out, err = run(store, "otdr", "locate", "--cable", str(span.span_id), "--from",
                         f"node:{span.from_node}", "--distance-m", "10", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["span"]["span_id"] == span.span_id and got["route_distance_m"] == 0.0
    code, _, err = run(store, "otdr", "locate", "--cable", str(span.span_id), "--from",
                       "node:1", "--distance-m", "10")
    assert code == 2 and "not an end of cable" in err


def test_the_snmp_section_is_shown_beside(store, case):
    """With the link down, the answer carries the section the SNMP evidence points to."""
    from datetime import UTC, datetime

    from fonet.store.observed import LinkState

    eng = case["engine"]
    with transaction(eng) as s:
        link = s.scalar(select(Link).where(Link.name == case["link"]))
        riders = set(s.scalars(select(LinkSpan.span_id).where(LinkSpan.link_id == link.id)))
        s.add(LinkState(link_id=link.id, state="down", reasons=["test"],
                        since=datetime.now(UTC), updated_at=datetime.now(UTC)))
    try:
        code, out, err = run(store, "otdr", "locate", "--distance-m", str(case["optical"]),
                             "--link", case["link"], "--from", case["hub"], "--json")
        assert code == 0, err
        section = json.loads(out)["snmp_section"]
        assert section is not None and set(section["spans"]) <= riders
        assert section["agrees"] is (case["span"].span_id in section["spans"])
        if not section["agrees"]:
            assert "outside the section" in section["message"]
    finally:
        with transaction(eng) as s:
            s.delete(s.get(LinkState, link.id))
