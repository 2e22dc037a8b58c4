"""A cable cut in the what-if, the splice sheet and cable schematic, and a re-design that keeps
what is built."""

from __future__ import annotations

import subprocess
from collections import defaultdict

from openpyxl import load_workbook
from sqlalchemy import select

from fonet.fibre.design import design
from fonet.fibre.restore import locate_cables
from fonet.fibre.sheets import cable_schematic, splice_sheet
from fonet.noc.impact import cable_cut
from fonet.noc.topology import load_topology
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import reader, transaction
from fonet.store.fibre import (
    CableSegment,
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    Splice,
)
from fonet.store.models import Link
from gis.export.fibre_docs import write_schematic, write_splice_sheet


def _circuits_on(s, cable_id: int) -> set[str]:
    """Links with a fibre on the cable, straight from the tables."""
    return set(s.scalars(select(Link.name).join(Circuit, Circuit.link_id == Link.id)
                         .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                         .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                         .where(Fibre.cable_id == cable_id)))


def test_cutting_one_cable_breaks_exactly_its_circuits(designed) -> None:
    engine, _, plan, _ = designed
    with reader(engine) as s:
        # a trench holding two cables that both carry circuits
        by_edge: dict[int, set[int]] = defaultdict(set)
        for edge, cable in s.execute(select(CableSegment.route_edge_id, CableSegment.cable_id)):
            by_edge[edge].add(cable)
        shared = None
        for edge, cables in sorted(by_edge.items()):
            carrying = [c for c in sorted(cables) if _circuits_on(s, c)]
            if len(carrying) >= 2 and _circuits_on(s, carrying[0]) != _circuits_on(
                    s, carrying[1]):
                shared = (edge, carrying[0], carrying[1])
                break
        assert shared is not None
        _, cut, neighbour = shared
        expected = _circuits_on(s, cut)
        topo = load_topology(s, plan["plan_id"])
        out = cable_cut(s, topo, [cut], redundancy=False)
        names = {c["link"] for c in out["failed"]["circuits"]}
        assert names == expected
        assert {row["name"] for row in out["failed"]["links"]} == expected
        assert not (_circuits_on(s, neighbour) - expected) & names
        code = s.get(FibreCable, cut).code
        for c in out["failed"]["circuits"]:
            assert c["cut_cables"] == [code]
            on_cut = [r for r in c["restore"] if r["cut"]]
            assert len(on_cut) == 1
            spare_numbers = {f["fibre"] for f in on_cut[0]["spare"]}
            states = dict(s.execute(select(Fibre.number, Fibre.state)
                                    .where(Fibre.cable_id == cut)).all())
            assert spare_numbers == {n for n, st in states.items() if st == "spare"}
            assert all("colour" in f and "tube_colour" in f for f in on_cut[0]["spare"])


def test_splice_sheet_of_a_closure_with_two_cables(designed, tmp_path) -> None:
    engine, _, _, _ = designed
    with reader(engine) as s:
        clo = s.scalars(select(Closure).where(Closure.kind == "branch")
                        .order_by(Closure.id)).first()
        cables = s.scalars(select(FibreCable).where(
            (FibreCable.a_closure_id == clo.id) | (FibreCable.z_closure_id == clo.id))).all()
        assert len(cables) >= 3  # one in, two or more out
        n_splices = len(s.scalars(select(Splice).where(Splice.closure_id == clo.id)).all())
        sheet = splice_sheet(s, clo.code)
        sch = cable_schematic(s, cables[0].code)
    assert len(sheet["splices"]) == n_splices > 0
    for row in sheet["splices"]:
        for side in ("in", "out"):
            assert row[side]["colour"] and row[side]["tube_colour"]
        assert row["in"]["cable"] != row["out"]["cable"] and row["circuit"]
    xlsx = write_splice_sheet(sheet, tmp_path / "sheet.xlsx")
    pdf = write_splice_sheet(sheet, tmp_path / "sheet.pdf")
    ws = load_workbook(xlsx).active
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True)]
    assert len(rows) == n_splices
    for row, spl in zip(rows, sheet["splices"], strict=True):
        assert row[1] == spl["in"]["cable"] and row[4] == spl["in"]["colour"]
        assert row[5] == spl["out"]["cable"] and row[8] == spl["out"]["colour"]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert clo.code in text and sheet["splices"][0]["in"]["cable"] in text
    png = write_schematic(sch, tmp_path / "cable.png")
    assert png.stat().st_size > 1000
    assert sum(len(t["fibres"]) for t in sch["tubes"]) == cables[0].cores


def test_redesign_after_a_plan_change_keeps_what_is_built(fresh) -> None:
    engine, _, pid = fresh
    with transaction(engine) as s:
        built = s.scalars(select(FibreCable).where(FibreCable.role == "access")
                          .order_by(FibreCable.id)).first()
        built.status = "built"
        for end in (built.a_closure_id, built.z_closure_id):
            if end is not None:
                s.get(Closure, end).status = "built"
        fibres = dict(s.execute(select(Fibre.number, Fibre.id)
                                .where(Fibre.cable_id == built.id)).all())
        built_circ = s.scalar(select(Circuit).join(CircuitFibre,
                                                   CircuitFibre.circuit_id == Circuit.id)
                              .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                              .where(Fibre.cable_id == built.id))
        built_circ.status = "built"
        code, cid = built.code, built.id
    with transaction(engine) as s:
        plan2 = run_plan(s, load_profile(), include_schools=True, name="with schools")
    with transaction(engine) as s:
        result = design(s, plan2.plan_id).to_json()
    assert result["cables_removed"] > 0 or result["cables_created"] > 0
    assert result["unassigned"] == []
    with reader(engine) as s:
        kept = s.get(FibreCable, cid)
        assert kept is not None and kept.code == code and kept.status == "built"
        assert dict(s.execute(select(Fibre.number, Fibre.id)
                              .where(Fibre.cable_id == cid)).all()) == fibres
        assert s.get(Circuit, built_circ.id) is not None
        links = s.scalars(select(Link).where(Link.plan_id == plan2.plan_id)).all()
        assert s.scalar(select(Circuit.id).where(
            Circuit.link_id.in_([lk.id for lk in links])).limit(1)) is not None


def test_locate_tells_apart_two_cables_in_one_trench(designed) -> None:
    engine, _, _, _ = designed
    with reader(engine) as s:
        by_edge: dict[int, set[int]] = defaultdict(set)
        for edge, cable in s.execute(select(CableSegment.route_edge_id, CableSegment.cable_id)):
            by_edge[edge].add(cable)
        for _, cables in sorted(by_edge.items()):
            carrying = {c: _circuits_on(s, c) for c in sorted(cables)}
            pair = [c for c, links in carrying.items() if links]
            if len(pair) >= 2 and not carrying[pair[0]] <= carrying[pair[1]]:
                break
        cut, other = pair[0], pair[1]
        ids = dict(s.execute(select(Link.name, Link.id)).all())
        down = {ids[n] for n in _circuits_on(s, cut)}
        up = {ids[n] for n in _circuits_on(s, other)} - down
        out = locate_cables(s, down, up)
        best = {c["cable_id"] for c in out["candidates"]
                if c["explains_every_down_link"] and not c["contradicted_by"]}
        assert cut in best and out["candidates"][0]["cable_id"] in best
        assert out["unexplained"] == []
        ranked = {c["cable_id"]: c for c in out["candidates"]}
        if other in ranked and up:
            assert ranked[other]["contradicted_by"]
