"""The fibre layer designed from the real regency plan: every link traced end to end.

The expectations come from the plan's own tables (per-site loss in ``plan_site``, the ring
hops' spans), not from the fibre code under test.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from fonet.fibre.design import design
from fonet.fibre.integrity import check
from fonet.fibre.trace import trace_circuit, trace_fibre
from fonet.planning.engineering import check_loss
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
from fonet.store.models import Link, LinkSpan, PlanSite, Span


def _expected_loss(s, link, profile) -> float:
    """The plan's loss budget for the link, read from the plan's own records."""
    spans = s.scalars(select(Span).join(LinkSpan, LinkSpan.span_id == Span.id)
                      .where(LinkSpan.link_id == link.id)).all()
    # a link without spans is an access link to a site standing on its hub's route node: the
    # planner lays no cable along drops of no length (see test_plan_links_ride_contiguous_spans)
    if not spans or spans[0].role == "access":
        ps = s.get(PlanSite, (link.plan_id, link.z_site_id))
        wl = profile.optics.transceivers[ps.attrs["transceiver"]].wavelength_nm
        return ps.loss_1310_db if wl == 1310 else ps.loss_1550_db
    return check_loss(sum(sp.length_m for sp in spans), 0, profile,
                      profile.optics.backbone_transceiver).loss_db


def test_every_link_traces_end_to_end_with_the_plans_loss(designed) -> None:
    engine, _, plan, result = designed
    profile = load_profile()
    assert result["unassigned"] == [] and result["links_without_fibre"] == []
    with reader(engine) as s:
        links = s.scalars(select(Link).where(Link.plan_id == plan["plan_id"])).all()
        assert len(links) == result["circuits"] > 300
        worst = 0.0
        for link in links:
            tr = trace_circuit(s, link)
            assert tr["complete"], (link.name, tr["problems"])
            assert [st["strand"] for st in tr["strands"]] == [1, 2]
            for st in tr["strands"]:
                kinds = [h["kind"] for h in st["hops"]]
                assert kinds[0] == kinds[-1] == "port"
                assert kinds.count("splice") == kinds.count("fibre") - 1 == tr["splices"]
                assert st["hops"][-1]["cum_loss_db"] == round(tr["loss_db"], 3) or abs(
                    st["hops"][-1]["cum_loss_db"] - tr["loss_db"]) < 0.001
            span_m = s.scalar(select(func.coalesce(func.sum(Span.length_m), 0.0))
                              .join(LinkSpan, LinkSpan.span_id == Span.id)
                              .where(LinkSpan.link_id == link.id))
            assert abs(tr["length_m"] - span_m) < 0.05
            diff = abs(tr["loss_db"] - _expected_loss(s, link, profile))
            worst = max(worst, diff)
            assert diff <= 0.01, (link.name, tr["loss_db"])
        assert worst <= 0.01
        # no fibre is used twice, and the checks find nothing wrong
        used = Counter(s.scalars(select(CircuitFibre.fibre_id)))
        assert used and max(used.values()) == 1
        assert sum(used.values()) == s.scalar(select(func.count()).select_from(CircuitFibre))
        assert check(s) == []


def test_cables_cut_at_drum_length_and_branches_rings_on_their_own(designed) -> None:
    engine, _, plan, result = designed
    drum = load_profile().hardware.drum_length_m
    with reader(engine) as s:
        cables = s.scalars(select(FibreCable)).all()
        assert len(cables) == result["cables"]
        assert max(c.length_m for c in cables) <= drum + 0.01
        kinds = Counter(s.scalars(select(Closure.kind)))
        assert kinds["branch"] > 0 and kinds["joint"] > 0
        # a backbone circuit runs only on backbone cables, an access one only on access cables
        rows = s.execute(select(Link.name, FibreCable.role)
                         .join(Circuit, Circuit.link_id == Link.id)
                         .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                         .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                         .join(FibreCable, FibreCable.id == Fibre.cable_id)).all()
        for name, role in rows:
            assert (":BB" in name) == (role == "backbone"), name
        # spares by the profile's rule on every cable that has room
        rules = load_profile().fibre
        spare = Counter(s.scalars(select(Fibre.cable_id).where(Fibre.state == "spare")))
        short = set(result["cables_short_of_spares"])
        for c in cables:
            if c.code not in short:
                assert spare[c.id] == rules.spares(c.cores), c.code
        # every splice joins fibres of two cables ending at its closure
        for sp in s.scalars(select(Splice)).all()[:500]:
            for fid in (sp.a_fibre_id, sp.b_fibre_id):
                cable = s.get(FibreCable, s.get(Fibre, fid).cable_id)
                assert sp.closure_id in (cable.a_closure_id, cable.z_closure_id)
        # segments follow the plan's spans
        assert s.scalar(select(func.count()).select_from(CableSegment)) > len(cables)


def test_trace_by_fibre_names_the_circuit(designed) -> None:
    engine, _, plan, _ = designed
    with reader(engine) as s:
        cf = s.scalars(select(CircuitFibre)).first()
        f = s.get(Fibre, cf.fibre_id)
        cable = s.get(FibreCable, f.cable_id)
        link = s.get(Link, s.get(Circuit, cf.circuit_id).link_id)
        out = trace_fibre(s, cable.code, f.number)
        assert out["circuit"] == link.name and out["state"] == "in_use"
        assert out["trace"]["link"] == link.name
        dark = s.scalar(select(Fibre).where(Fibre.state.in_(("dark", "spare"))))
        assert trace_fibre(s, dark.cable_id, dark.number)["circuit"] is None


def test_rerun_keeps_everything_and_changes_nothing(fresh) -> None:
    engine, _, pid = fresh
    with reader(engine) as s:
        before = sorted(s.execute(select(Circuit.link_id, CircuitFibre.strand, CircuitFibre.seq,
                                         CircuitFibre.fibre_id)
                                  .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)))
        splices = s.scalar(select(func.count()).select_from(Splice))
    with transaction(engine) as s:
        again = design(s, pid).to_json()
    assert again["cables_created"] == again["cables_removed"] == 0
    assert again["circuits_kept"] == again["circuits"]
    with reader(engine) as s:
        after = sorted(s.execute(select(Circuit.link_id, CircuitFibre.strand, CircuitFibre.seq,
                                        CircuitFibre.fibre_id)
                                 .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)))
        assert after == before
        assert s.scalar(select(func.count()).select_from(Splice)) == splices


def test_networkx_view_follows_the_store(designed) -> None:
    from fonet.fibre.graph import fibre_graph

    engine, _, _, result = designed
    with reader(engine) as s:
        g = fibre_graph(s)
        assert g.number_of_edges() == result["cables"]
        assert g.number_of_nodes() == result["closures"] + result["odfs"]
        # each circuit's cables form a walk in the graph from its A ODF to its Z ODF
        rows = s.execute(select(Circuit.id, FibreCable.id)
                         .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                         .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                         .join(FibreCable, FibreCable.id == Fibre.cable_id)
                         .where(CircuitFibre.strand == 1)
                         .order_by(Circuit.id, CircuitFibre.seq)).all()
    ends = {key: (u, v) for u, v, key in g.edges(keys=True)}
    walks: dict[int, list[int]] = {}
    for cid, cable in rows:
        walks.setdefault(cid, []).append(cable)
    for cables in walks.values():
        node = next(n for n in ends[cables[0]] if n[0] == "odf")
        for cable in cables:
            u, v = ends[cable]
            assert node in (u, v)
            node = v if node == u else u
        assert node[0] == "odf"
