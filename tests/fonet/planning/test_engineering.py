"""Cable sizing, optical loss and the bill of materials, against calculations done by hand.

Every expected figure is written as the sum a planner would do on paper from the default
profile (fonet/planning/default_profile.yaml), whose values are pinned first:

- cable: demand x (1 + 0.5 spare), rounded up to 12 / 24 / 48 / 96 / 144 cores, or several
  144-core cables beyond that;
- cost per metre: method (aerial 4500, underground 25000, existing duct 5000) plus the core-count
  supplement (12: -500, 24: 0, 48: +1500, 96: +4000, 144: +6500);
- loss: km x 0.35 dB (1310 nm) or 0.25 dB (1550 nm) + splices x 0.1 dB + 2 connectors x 0.5 dB,
  against a transceiver budget (min Tx - Rx sensitivity) with a 3 dB margin;
- a splice at every 4000 m drum end and one in each closure passed.
"""

from __future__ import annotations

import math

import pytest

from fonet.planning.bill import build_ledger, figures
from fonet.planning.engineering import (
    PlannedSpan,
    check_loss,
    path_loss_db,
    place_joints,
    size_and_cost,
    splices_on_path,
)
from fonet.planning.profile import Profile, load_profile


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


def span(edge_id: int, length_m: float, method: str, cores: int) -> PlannedSpan:
    return PlannedSpan(u=edge_id, v=edge_id + 1, edge_id=edge_id, length_m=length_m,
                       method=method, role="access", cores_needed=cores)


def test_the_profile_values_the_hand_calculations_use(profile: Profile) -> None:
    assert profile.demand.spare_fraction == 0.5
    assert profile.demand.core_sizes == [12, 24, 48, 96, 144]
    assert profile.methods.cost_idr_per_m == {"aerial": 4500, "underground": 25000,
                                              "existing_duct": 5000}
    assert profile.methods.cable_cost_idr_per_m_by_cores == {12: -500, 24: 0, 48: 1500,
                                                             96: 4000, 144: 6500}
    o = profile.optics
    assert o.attenuation_db_per_km == {"1310": 0.35, "1550": 0.25}
    assert (o.splice_loss_db, o.connector_loss_db, o.connectors_per_path, o.margin_db) == (
        0.1, 0.5, 2, 3.0)
    hw = profile.hardware
    assert (hw.drum_length_m, hw.poles_per_km_aerial, hw.handhole_spacing_m) == (4000, 32, 250)
    assert (hw.pole_cost_idr, hw.handhole_cost_idr, hw.closure_cost_idr,
            hw.termination_cost_idr) == (150_000, 2_500_000, 1_200_000, 1_500_000)


@pytest.mark.parametrize(("cores", "size", "count"), [
    (0, 12, 1),     # nothing carried: still one cable, the smallest (need max(1, 0) = 1)
    (1, 12, 1),     # ceil(1 x 1.5) = 2 -> 12
    (8, 12, 1),     # 8 x 1.5 = 12 -> fills a 12-core cable exactly
    (9, 24, 1),     # ceil(9 x 1.5) = ceil(13.5) = 14 -> 24
    (16, 24, 1),    # 16 x 1.5 = 24 -> 24 exactly
    (17, 48, 1),    # ceil(25.5) = 26 -> 48
    (32, 48, 1),    # 48 -> 48
    (33, 96, 1),    # ceil(49.5) = 50 -> 96
    (64, 96, 1),    # 96 -> 96
    (65, 144, 1),   # ceil(97.5) = 98 -> 144
    (96, 144, 1),   # 144 -> 144, the largest size, full
    (97, 144, 2),   # ceil(145.5) = 146 > 144 -> ceil(146 / 144) = 2 cables of 144
    (192, 144, 2),  # 288 = 2 x 144 exactly
    (193, 144, 3),  # ceil(289.5) = 290 -> ceil(290 / 144) = 3 cables
])
def test_cable_size_rounds_demand_plus_spare_up(profile: Profile, cores: int, size: int,
                                                count: int) -> None:
    assert profile.cable_size(cores) == (size, count)


def test_cable_size_follows_the_profile_spare(profile: Profile) -> None:
    no_spare = profile.model_copy(update={"demand": profile.demand.model_copy(
        update={"spare_fraction": 0.0})})
    assert no_spare.cable_size(12) == (12, 1)   # 12 x 1.0 = 12
    assert no_spare.cable_size(13) == (24, 1)   # 13 > 12
    assert no_spare.cable_size(289) == (144, 3)  # ceil(289 / 144) = 3


@pytest.mark.parametrize(("length_m", "method", "cores", "size", "count", "cost_idr"), [
    # 1250 m aerial, 10 cores -> ceil(15) -> 24c: 1250 x (4500 + 0)
    (1250, "aerial", 10, 24, 1, 1250 * (4500 + 0)),
    # 500 m aerial, 4 cores -> 6 -> 12c: 500 x (4500 - 500)
    (500, "aerial", 4, 12, 1, 500 * (4500 - 500)),
    # 300 m new underground duct, 40 cores -> 60 -> 96c: 300 x (25000 + 4000)
    (300, "underground", 40, 96, 1, 300 * (25000 + 4000)),
    # 820.5 m in an existing duct, 20 cores -> 30 -> 48c: 820.5 x (5000 + 1500)
    (820.5, "existing_duct", 20, 48, 1, 820.5 * (5000 + 1500)),
    # 2000 m existing duct, 130 cores -> 195 -> two 144c cables: 2000 x (5000 + 6500) x 2
    (2000, "existing_duct", 130, 144, 2, 2000 * (5000 + 6500) * 2),
])
def test_size_and_cost(profile: Profile, length_m: float, method: str, cores: int, size: int,
                       count: int, cost_idr: float) -> None:
    s = size_and_cost(span(7, length_m, method, cores), profile)
    assert (s.size, s.count) == (size, count)
    assert s.cost_idr == pytest.approx(cost_idr)


@pytest.mark.parametrize(("length_m", "closures", "splices"), [
    (0, 0, 0),
    (3999, 0, 0),       # within one drum: no joint
    (4000, 0, 1),       # 4000 // 4000 = 1 drum end
    (12_300, 3, 6),     # 12300 // 4000 = 3 drum ends + 3 closures
    (25_000, 2, 8),     # 6 drum ends + 2 closures
])
def test_splices_on_path(length_m: float, closures: int, splices: int) -> None:
    assert splices_on_path(length_m, closures, 4000) == splices


@pytest.mark.parametrize(("length_m", "splices", "wavelength_nm", "loss_db"), [
    # 12.3 km x 0.35 + 6 x 0.1 + 2 x 0.5 = 4.305 + 0.6 + 1.0
    (12_300, 6, 1310, 12.3 * 0.35 + 6 * 0.1 + 2 * 0.5),
    # 12.3 km x 0.25 + 6 x 0.1 + 2 x 0.5 = 3.075 + 0.6 + 1.0
    (12_300, 6, 1550, 12.3 * 0.25 + 6 * 0.1 + 2 * 0.5),
    # a patch across a room: connectors only
    (0, 0, 1310, 2 * 0.5),
    (850, 1, 1550, 0.85 * 0.25 + 1 * 0.1 + 2 * 0.5),
])
def test_path_loss(profile: Profile, length_m: float, splices: int, wavelength_nm: int,
                   loss_db: float) -> None:
    assert path_loss_db(length_m, splices, profile.optics, wavelength_nm) == pytest.approx(
        loss_db)


def test_budgets_are_min_tx_less_rx_sensitivity(profile: Profile) -> None:
    t = profile.optics.transceivers
    assert t["1000BASE-LX10"].budget_db == pytest.approx(-9.5 - -19.5)   # 10.0 dB
    assert t["1000BASE-EX"].budget_db == pytest.approx(-1.0 - -22.5)     # 21.5 dB
    assert t["10GBASE-LR"].budget_db == pytest.approx(-8.2 - -14.4)      # 6.2 dB
    assert t["10GBASE-ER"].budget_db == pytest.approx(-4.7 - -15.8)      # 11.1 dB


def test_access_path_within_the_lx10_budget(profile: Profile) -> None:
    """12.3 km, 3 closures: 6 splices; LX10 (1310 nm, 10 dB): 5.905 + 3 margin = 8.905 <= 10."""
    c = check_loss(12_300, 3, profile, "1000BASE-LX10")
    l1310 = 12.3 * 0.35 + 6 * 0.1 + 2 * 0.5
    l1550 = 12.3 * 0.25 + 6 * 0.1 + 2 * 0.5
    assert (c.loss_1310_db, c.loss_1550_db) == (round(l1310, 3), round(l1550, 3))
    assert (c.loss_1310_db, c.loss_1550_db) == (5.905, 4.675)
    assert c.loss_db == c.loss_1310_db  # LX10 is a 1310 nm class
    assert c.budget_db == 10.0
    assert not c.over_budget and c.fits == "1000BASE-LX10"


def test_margin_exactly_at_the_budget_still_fits(profile: Profile) -> None:
    """16 km, no closure: 4 splices; 16 x 0.35 + 4 x 0.1 + 1.0 = 7.0; 7.0 + 3 = 10.0 = budget."""
    c = check_loss(16_000, 0, profile, "1000BASE-LX10")
    assert c.loss_db == 7.0
    assert not c.over_budget and c.fits == "1000BASE-LX10"


def test_access_path_over_budget_names_the_class_that_fits(profile: Profile) -> None:
    """25 km, 2 closures: 8 splices; 8.75 + 0.8 + 1.0 = 10.55 dB at 1310 nm.

    LX10: 10.55 + 3 = 13.55 > 10 -> over budget; the 1 Gb/s classes by budget: LX10 (10),
    EX (21.5, 1310 nm): 13.55 <= 21.5 -> EX.
    """
    c = check_loss(25_000, 2, profile, "1000BASE-LX10")
    assert c.loss_1310_db == round(25 * 0.35 + 8 * 0.1 + 2 * 0.5, 3) == 10.55
    assert c.loss_1550_db == round(25 * 0.25 + 8 * 0.1 + 2 * 0.5, 3) == 8.05
    assert c.over_budget and c.fits == "1000BASE-EX"


def test_backbone_path_uses_1550_and_may_need_zr(profile: Profile) -> None:
    """30 km, 1 closure: 7 + 1 = 8 splices; ER (1550 nm, 11.1 dB): 7.5 + 0.8 + 1.0 = 9.3 dB.

    9.3 + 3 = 12.3 > 11.1 -> over; the 10 Gb/s classes: LR 1310 nm 10.5 + 0.8 + 1.0 = 12.3,
    + 3 = 15.3 > 6.2; ER no; ZR 12.3 <= 24 -> ZR.
    """
    c = check_loss(30_000, 1, profile, "10GBASE-ER")
    assert c.loss_db == c.loss_1550_db == round(30 * 0.25 + 8 * 0.1 + 2 * 0.5, 3) == 9.3
    assert c.loss_1310_db == round(30 * 0.35 + 8 * 0.1 + 2 * 0.5, 3) == 12.3
    assert c.budget_db == 11.1
    assert c.over_budget and c.fits == "10GBASE-ZR"


def test_short_backbone_path_fits_the_cheapest_class(profile: Profile) -> None:
    """5 km, no closure: 1 splice; ER: 1.25 + 0.1 + 1.0 = 2.35 dB, within 11.1 - 3.

    The least budget of the same rate that fits is LR (1310 nm): 1.75 + 0.1 + 1.0 = 2.85,
    + 3 = 5.85 <= 6.2.
    """
    c = check_loss(5_000, 0, profile, "10GBASE-ER")
    assert (c.loss_1310_db, c.loss_1550_db) == (2.85, 2.35)
    assert not c.over_budget and c.fits == "10GBASE-LR"


def test_path_beyond_every_class_fits_none(profile: Profile) -> None:
    """100 km at 1550 nm: 25 + 25 x 0.1 + 1.0 = 28.5 dB, + 3 = 31.5 > ZX's 24 dB."""
    c = check_loss(100_000, 0, profile, "1000BASE-ZX")
    assert c.loss_1550_db == round(100 * 0.25 + 25 * 0.1 + 2 * 0.5, 3) == 28.5
    assert c.over_budget and c.fits is None


def test_bill_of_materials(profile: Profile) -> None:
    """Four cables on three route edges::

        edge 1 (aerial, 4500 m):        24c (12 cores) and 12c (6 cores), side by side
        edge 2 (underground, 600 m):    96c (50 cores)
        edge 3 (existing duct, 9000 m): 2 x 144c (100 cores)
    """
    spans = [size_and_cost(s, profile) for s in (
        span(1, 4500, "aerial", 12), span(1, 4500, "aerial", 6),
        span(2, 600, "underground", 50), span(3, 9000, "existing_duct", 100))]
    for s in spans:
        s.kecamatan_code = "35.16.01"
    assert [(s.size, s.count) for s in spans] == [(24, 1), (12, 1), (96, 1), (144, 2)]
    # a joint at every drum end of every cable, each span its own run: 4500 // 4000 = 1 on
    # each of the two aerial cables, 0 underground, 9000 // 4000 = 2 on each duct cable
    assert place_joints([[s] for s in spans], profile.hardware.drum_length_m) == 1 + 1 + 0 + 4
    kec = ("35.16.01", 1)
    bom = figures(build_ledger(spans, profile, branch_closures=[kec] * 5,
                               terminations=[kec] * 7))
    assert bom.cable_km == {"24c aerial": 4.5, "12c aerial": 4.5, "96c underground": 0.6,
                            "144c existing_duct": 2 * 9.0}
    # poles once per aerial edge, however many cables: 4.5 km x 32 = 144
    assert bom.poles == math.ceil(4.5 * 32) == 144
    # one handhole per 250 m of new duct: ceil(600 / 250) = ceil(2.4) = 3
    assert bom.handholes == 3
    # closures: the 6 drum joints plus 5 branches
    assert bom.drum_joints == 6 and bom.closures == 6 + 5 == 11
    assert bom.terminations == 7
    cable = (4500 * (4500 + 0) + 4500 * (4500 - 500) + 600 * (25000 + 4000)
             + 9000 * (5000 + 6500) * 2)
    assert cable == 262_650_000
    assert bom.cable_cost_idr == cable
    hardware = 144 * 150_000 + 3 * 2_500_000 + 11 * 1_200_000 + 7 * 1_500_000
    assert hardware == 52_800_000
    assert bom.hardware_cost_idr == hardware
    assert bom.optics_cost_idr == 0
    assert bom.cost_idr == cable + hardware == 315_450_000


def test_bill_rows_add_up_to_the_total(profile: Profile) -> None:
    """Two kecamatan and the backbone share edges: every column of the rows sums to the total."""
    a, b, c = span(1, 4500, "aerial", 12), span(1, 4500, "aerial", 6), span(2, 700, "aerial", 4)
    a.kecamatan_code, b.kecamatan_code, c.role = "35.16.01", "35.16.02", "backbone"
    spans = [size_and_cost(s, profile) for s in (a, b, c)]
    items = build_ledger(spans, profile, terminations=[("35.16.01", 1), ("backbone", 1)])
    total = figures(items)
    rows = [figures(items, lambda it, k=k: it.scope == k)
            for k in ("35.16.01", "35.16.02", "backbone")]
    for col in ("poles", "closures", "terminations", "cable_cost_idr", "hardware_cost_idr",
                "cost_idr"):
        assert sum(getattr(r, col) for r in rows) == getattr(total, col), col
    # the shared aerial edge's poles are counted once: ceil((4.5 + 0.7) x 32) = 167
    assert total.poles == math.ceil(5.2 * 32) == 167


def test_bill_of_materials_of_nothing(profile: Profile) -> None:
    bom = figures(build_ledger([], profile))
    assert (bom.poles, bom.handholes, bom.closures, bom.cost_idr) == (0, 0, 0, 0)
    assert bom.cable_km == {}
