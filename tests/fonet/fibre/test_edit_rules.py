"""Bad input to the fibre layer: a clear error naming what is wrong, and nothing changed."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli.fibre_cmd import register
from fonet.errors import InputError
from fonet.fibre import edit
from fonet.fibre.colours import TIA_598, colour, default_layout, fibre_colours, parse_layout
from fonet.fibre.integrity import check
from fonet.store import reader, transaction
from fonet.store.fibre import (
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    Odf,
    OdfPort,
    Splice,
)
from fonet.store.models import Link, RouteEdge

TABLES = (FibreCable, Fibre, Closure, Splice, Odf, OdfPort, Circuit, CircuitFibre)


def counts(engine) -> dict[str, int]:
    with reader(engine) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_tia_598_colours() -> None:
    assert TIA_598[:4] == ("blue", "orange", "green", "brown") and len(TIA_598) == 12
    layout = parse_layout("4x12", 48)
    assert fibre_colours(1, layout) == (1, "blue", "blue")
    assert fibre_colours(13, layout) == (2, "orange", "blue")
    assert fibre_colours(48, layout) == (4, "brown", "aqua")
    assert colour(13) == "blue/black" and colour(20) == "black/white"
    assert str(default_layout(96)) == "8x12" and str(default_layout(8)) == "1x8"
    with pytest.raises(InputError, match="holds 36 fibres, the cable has 48"):
        parse_layout("3x12", 48)
    with pytest.raises(InputError, match="unknown colour standard 'IEC-304'"):
        colour(1, "IEC-304")


def _two_edges(s):
    """Two route edges that join, and one that joins neither."""
    e1 = s.scalars(select(RouteEdge).where(RouteEdge.kind != "drop")
                   .order_by(RouteEdge.id)).first()
    e2 = s.scalars(select(RouteEdge).where(RouteEdge.id != e1.id, RouteEdge.kind != "drop",
                                           (RouteEdge.u == e1.v) | (RouteEdge.v == e1.v))
                   .order_by(RouteEdge.id)).first()
    far = s.scalar(select(RouteEdge).where(RouteEdge.u.not_in((e1.u, e1.v, e2.u, e2.v)),
                                           RouteEdge.v.not_in((e1.u, e1.v, e2.u, e2.v))))
    return e1, e2, far


def test_manual_cable_closures_splice_and_assign(fresh) -> None:
    engine, _, _ = fresh
    with transaction(engine) as s:
        e1, e2, far = _two_edges(s)
        start = e1.u
        end = e2.v if e2.u == e1.v else e2.u
        edit.add_closure(s, "T-A", start)
        edit.add_closure(s, "T-Z", end)
        edit.add_closure(s, "T-FAR", far.u)
        cable = edit.add_cable(s, "T-CAB", [e1.id, e2.id], cores=24, tube_layout="2x12",
                               a_closure="T-A", z_closure="T-Z")
        assert cable.length_m == pytest.approx(e1.length_m + e2.length_m, abs=0.01)
    before = counts(engine)
    bad = [
        (dict(route_edge_ids=[0], a_closure="T-A", z_closure="T-Z"), "no route edges"),
        (dict(tube_layout="3x12"), "holds 36 fibres"),
        (dict(colour_standard="EIA-X"), "unknown colour standard"),
        (dict(route_edge_ids=[e1.id, far.id]), "do not connect"),
        (dict(z_closure="T-FAR"), "closure T-FAR is not on the cable's route"),
    ]
    for change, message in bad:
        args = dict(route_edge_ids=[e1.id, e2.id], cores=24, tube_layout="2x12",
                    a_closure="T-A", z_closure="T-Z")
        args.update(change)
        with pytest.raises(InputError, match=message), transaction(engine) as s:
            edit.add_cable(s, "T-BAD", **args)
        assert counts(engine) == before
    with transaction(engine) as s:
        existing = s.scalars(select(Splice)).first()
        a = s.get(Fibre, existing.a_fibre_id)
        free = s.scalar(select(Fibre).where(Fibre.cable_id == a.cable_id, Fibre.state == "dark"))
        other_cable = s.get(FibreCable, s.get(Fibre, existing.b_fibre_id).cable_id)
        args = (existing.closure_id, (a.cable_id, a.number))
    with pytest.raises(InputError, match="already spliced here"), transaction(engine) as s:
        edit.splice(s, args[0], args[1], (other_cable.code, other_cable.cores))
    with pytest.raises(InputError, match="does not end at this closure"), \
            transaction(engine) as s:
        edit.splice(s, "T-A", ("T-CAB", 1), (free.cable_id, free.number))
    assert counts(engine) == before
    with transaction(engine) as s:
        used = s.scalars(select(CircuitFibre)).first()
        f = s.get(Fibre, used.fibre_id)
        link = s.scalar(select(Link).where(Link.id.not_in(select(Circuit.link_id))))
        if link is None:
            link = Link(name="T-LINK")
            s.add(link)
        ref = (f.cable_id, f.number)
        name = link.name
    with pytest.raises(InputError, match="in use"), transaction(engine) as s:
        edit.assign(s, name, [[ref], [("T-CAB", 2)]])
    assert counts(engine)["circuit"] == before["circuit"]
    with reader(engine) as s:
        assert check(s) == []


@pytest.fixture
def cli(fresh):
    engine, url, pid = fresh
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args), env={"FONET_DB_URL": url, "COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result

    return run, engine, pid


def test_cli_check_trace_and_bad_input(cli) -> None:
    run, engine, pid = cli
    assert json.loads(run("fibre", "check", "--json").stdout) == {"violations": []}
    with reader(engine) as s:
        link = s.scalar(select(Link.name).where(Link.plan_id == pid, Link.name.like("%:AC:%")))
        sp = s.scalars(select(Splice)).first()
        a, b = s.get(Fibre, sp.a_fibre_id), s.get(Fibre, sp.b_fibre_id)
        ca, cb = s.get(FibreCable, a.cable_id), s.get(FibreCable, b.cable_id)
        clo = s.get(Closure, sp.closure_id).code
    tr = json.loads(run("trace", link, "--json").stdout)
    assert tr["complete"] and tr["link"] == link
    hop = tr["strands"][0]["hops"][1]
    by_fibre = json.loads(run("trace", "--cable", hop["cable"], "--fibre", str(hop["fibre"]),
                              "--json").stdout)
    assert by_fibre["circuit"] == link
    before = counts(engine)
    out = run("fibre", "splice", clo, "--a", f"{ca.code}/{a.number}", "--b",
              f"{cb.code}/{cb.cores}", code=2)
    assert "already spliced" in out.output
    out = run("fibre", "add-cable", "X", "--edges", "1,2", "--cores", "48", "--tubes", "4x10",
              "--a-closure", clo, "--z-closure", clo, code=2)
    assert "4x10" in out.output and "48 cores" in out.output
    out = run("fibre", "add-cable", "X", "--edges", "1", "--cores", "12", "--tubes", "1x12",
              "--colours", "RAL", "--a-closure", clo, "--z-closure", clo, code=2)
    assert "unknown colour standard 'RAL'" in out.output
    run("trace", "no-such-link", code=2)
    run("trace", code=2)
    assert counts(engine) == before
    # break the layer: the check names each violation and exits 1
    with transaction(engine) as s:
        s.delete(s.get(Splice, sp.id))
        f = s.scalar(select(Fibre).where(Fibre.state == "dark"))
        f.colour = "pink"
    out = json.loads(run("fibre", "check", "--json", code=1).stdout)
    kinds = {v["check"] for v in out["violations"]}
    assert {"circuit_continuous", "fibre_colour"} <= kinds


def test_cli_design_cut_sheet_and_schematic(cli, tmp_path) -> None:
    run, engine, pid = cli
    again = json.loads(run("fibre", "design", "--plan", str(pid), "--json").stdout)
    assert again["cables_created"] == 0 and again["circuits_kept"] == again["circuits"]
    run("fibre", "design", "--plan", "999", code=2)
    with reader(engine) as s:
        cable = s.scalar(select(FibreCable).where(FibreCable.id.in_(
            select(Fibre.cable_id).where(Fibre.state == "in_use"))).order_by(FibreCable.id))
        clo = s.scalar(select(Closure).where(Closure.kind == "branch").order_by(Closure.id))
        code, clo_code = cable.code, clo.code
    cut = json.loads(run("fibre", "cut", "--cable", code, "--json").stdout)
    assert cut["failed"]["cables"][0]["code"] == code and cut["failed"]["circuits"]
    assert {c["link"] for c in cut["failed"]["circuits"]} == {
        r["name"] for r in cut["failed"]["links"]}
    run("fibre", "cut", "--cable", "NO-SUCH-CABLE", code=2)
    xlsx, pdf, png = tmp_path / "s.xlsx", tmp_path / "s.pdf", tmp_path / "c.png"
    run("fibre", "sheet", clo_code, "--out", str(xlsx))
    run("fibre", "sheet", clo_code, "--out", str(pdf))
    run("fibre", "schematic", code, "--out", str(png))
    assert xlsx.stat().st_size > 0 and pdf.read_bytes()[:4] == b"%PDF" and png.stat().st_size
    out = run("fibre", "sheet", clo_code, "--out", str(tmp_path / "s.docx"), code=2)
    assert ".pdf or .xlsx" in out.output and not (tmp_path / "s.docx").exists()
    sheet = json.loads(run("fibre", "sheet", clo_code, "--json").stdout)
    assert sheet["closure"] == clo_code and sheet["splices"]


def test_assign_by_hand_and_patches_to_device_interfaces(fresh) -> None:
    from fonet.fibre.design import design
    from fonet.fibre.trace import trace_circuit
    from fonet.store.models import Device, Interface

    engine, _, pid = fresh
    with transaction(engine) as s:
        link = s.scalar(select(Link).where(Link.plan_id == pid, Link.name.like("%:AC:%"))
                        .order_by(Link.id))
        circ = s.scalar(select(Circuit).where(Circuit.link_id == link.id))
        strands = {1: [], 2: []}
        for strand, fid in s.execute(select(CircuitFibre.strand, CircuitFibre.fibre_id)
                                     .where(CircuitFibre.circuit_id == circ.id)
                                     .order_by(CircuitFibre.strand, CircuitFibre.seq)):
            f = s.get(Fibre, fid)
            strands[strand].append((f.cable_id, f.number))
        s.delete(circ)
        name = link.name
    # the same fibres, out of order: not a continuous path, refused
    with pytest.raises(InputError, match="no splice joins|not on a port"), \
            transaction(engine) as s:
        edit.assign(s, name, [strands[1][::-1], strands[2]])
    with transaction(engine) as s:
        assert edit.assign(s, name, [strands[1], strands[2]]).id
    with reader(engine) as s:
        assert check(s) == []
    # a device at each end: a re-design keeps the circuit and patches its ports to them
    with transaction(engine) as s:
        link = s.scalar(select(Link).where(Link.name == name))
        for end, site in (("a", link.a_site_id), ("z", link.z_site_id)):
            dev = Device(name=f"dev-{end}", host="127.0.0.1", site_id=site)
            s.add(dev)
            s.flush()
            iface = Interface(device_id=dev.id, if_index=1, name=f"ge-{end}")
            s.add(iface)
            s.flush()
            setattr(link, f"{end}_interface_id", iface.id)
    with transaction(engine) as s:
        design(s, pid)
    with reader(engine) as s:
        tr = trace_circuit(s, s.scalar(select(Link).where(Link.name == name)))
    for st in tr["strands"]:
        assert st["hops"][0]["interface"] == "dev-a:ge-a"
        assert st["hops"][-1]["interface"] == "dev-z:ge-z"
