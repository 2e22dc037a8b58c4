"""The masterplan atlas and the A3 sheet, checked as a print shop and a GIS reviewer would."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import matplotlib
import pikepdf
import pytest
import shapely
from matplotlib.collections import PathCollection
from matplotlib.text import Text
from typer.testing import CliRunner

from fonet.planning.result import PlanResult
from gis.export import export_plan
from gis.export import labels as lb
from gis.export.atlas_pages import kecamatan_page
from gis.export.mapdraw import PDF_RC
from gis.export.printmap import render_map
from tests.gis.test_export_paths import cli


@pytest.fixture(scope="module")
def atlas(planned, tmp_path_factory) -> dict:
    eng, plan_id, _ = planned
    out = tmp_path_factory.mktemp("atlas") / "annex.pdf"
    return export_plan(eng, plan_id, "atlas", out)


@pytest.fixture(scope="module")
def atlas_text(atlas) -> list[str]:
    """The text of every page (pdftotext; pages split on form feeds)."""
    pdf = atlas["files"][0]
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def _pages(pdf: str) -> int:
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


def test_atlas_has_a_page_per_kecamatan(atlas, atlas_text, plan_layers):
    pdf = atlas["files"][0]
    names = sorted(plan_layers.layers["kecamatan"].sort_values("code")["name"])
    assert len(names) == 18
    assert _pages(pdf) == 3 + 18 == len(atlas_text)
    kec_pages = [p for p in atlas_text if re.search(r"^\s*Kecamatan \w+", p)]
    assert len(kec_pages) == 18
    titles = sorted(re.search(r"^\s*Kecamatan (\w+)", p).group(1) for p in kec_pages)
    assert titles == names
    for n, page in enumerate(atlas_text, start=1):
        assert f"Halaman {n} dari 21" in page, n
    for page in kec_pages:
        assert "Situs terlayani" in page and "Daftar material (akses)" in page
        assert "Perkiraan biaya" in page and "Rp " in page


def test_contents_point_at_the_right_pages(atlas_text, plan_layers):
    toc = atlas_text[1]
    assert "Daftar isi" in toc
    for n, page in enumerate(atlas_text[3:], start=4):
        name = re.search(r"^\s*Kecamatan (\w+)", page).group(1)
        assert re.search(rf"Kecamatan {name}\s+{n}\b", toc), (name, n)
    schematic = atlas_text[2]
    assert "Skema ring tulang punggung" in schematic
    assert "Ring 3" in schematic and "Ring 4" not in schematic
    # every hop of every ring is labelled with its length, plus one total per ring
    hops = sum(len(r.legs_m) for r in plan_layers.summary.rings)
    assert len(re.findall(r"\d+,\d km", schematic)) == hops + 3


def test_atlas_kecamatan_page_lists_its_sites(atlas_text, plan_layers):
    sites = plan_layers.layers["sites"]
    page = next(p for p in atlas_text if re.search(r"^\s*Kecamatan Pacet\b", p))
    code = plan_layers.layers["kecamatan"].set_index("name").loc["Pacet", "code"]
    served = sites[(sites["plan_kecamatan_code"] == code) & (sites["plan_role"] != "none")]
    assert len(served) > 10
    for name in served["name"]:
        short = re.sub(r"^Kantor (Desa|Kelurahan|Kecamatan) ", "", name)
        assert short in page, short


def test_atlas_embeds_only_truetype_fonts(atlas):
    out = subprocess.run(["pdffonts", atlas["files"][0]], capture_output=True, text=True,
                         check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert "TrueType" in row, row
        assert "Type 3" not in row
        emb = row.split()[-5]
        assert emb == "yes", row


def test_atlas_identifies_as_pdfa_2b(atlas):
    with pikepdf.open(atlas["files"][0]) as pdf:
        assert len(pdf.pages) == 21
        intents = pdf.Root.OutputIntents
        assert intents[0].S == pikepdf.Name.GTS_PDFA1
        assert intents[0].DestOutputProfile.N == 3
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == str(pdf.docinfo["/Title"])
        assert not pdf.is_encrypted and "/ID" in pdf.trailer
        with pdf.open_outline() as outline:
            assert len(outline.root) == 21
            assert outline.root[3].title.startswith("Kecamatan ")


def test_single_kecamatan_page(planned, tmp_path):
    eng, plan_id, path = planned
    out = tmp_path / "pacet.pdf"
    result = CliRunner().invoke(cli(), ["export", "-f", "atlas", "--kecamatan", "pacet", "-o",
                                        str(out)], env={"FONET_DB_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    assert _pages(str(out)) == 1
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Kecamatan Pacet" in text and "Halaman 1 dari 1" in text


def _boxes(fig):  # noqa: ANN202
    """Kecamatan label boxes and hub/POP marker boxes of every map axes, from the renderer."""
    renderer = fig.canvas.get_renderer()
    labels, markers = [], []
    for ax in fig.axes:
        for t in ax.texts:
            if isinstance(t, Text) and t.get_gid() == "kecamatan-label":
                labels.append((t.get_text(), t.get_window_extent(renderer)))
        for c in ax.collections:
            if isinstance(c, PathCollection) and c.get_gid() in ("hub-marker", "pop-marker"):
                px = renderer.points_to_pixels(1.0)
                half_lw = c.get_linewidths()[0] / 2
                for (x, y), s in zip(c.get_offset_transform().transform(c.get_offsets()),
                                     [c.get_sizes()[0]] * len(c.get_offsets()), strict=True):
                    half = (s ** 0.5 / 2 + half_lw) * px
                    markers.append((x - half, y - half, x + half, y + half))
    return labels, markers


def _intersects(box, m) -> bool:  # noqa: ANN001
    return min(box.x1, m[2]) > max(box.x0, m[0]) and min(box.y1, m[3]) > max(box.y0, m[1])


def test_no_hub_marker_covers_a_kecamatan_name(plan_layers):
    with matplotlib.rc_context(PDF_RC):
        fig = render_map(plan_layers, "id")
        fig.canvas.draw()
        labels, markers = _boxes(fig)
    matplotlib.pyplot.close(fig)
    assert len(labels) == 18 and len(markers) == 19
    for name, box in labels:
        for m in markers:
            assert not _intersects(box, m), (name, m)
    for i, (a, ba) in enumerate(labels):
        for b, bb in labels[i + 1:]:
            assert not _intersects(ba, (bb.x0, bb.y0, bb.x1, bb.y1)), (a, b)


def test_no_hub_marker_covers_the_name_on_kecamatan_pages(plan_layers):
    from fonet.geo import UTM49S

    L = {k: v.to_crs(UTM49S) for k, v in plan_layers.layers.items()}
    for code in ("35.16.11", "35.16.13", "35.16.18"):  # Trowulan, Gedeg, Mojosari (crowded)
        with matplotlib.rc_context(PDF_RC):
            fig = kecamatan_page(plan_layers, L, code, "id", 1, 1)
            fig.canvas.draw()
            labels, markers = _boxes(fig)
        matplotlib.pyplot.close(fig)
        assert len(labels) == 1 and markers
        for m in markers:
            assert not _intersects(labels[0][1], m), (code, m)


def test_kecamatan_borders_are_drawn_once(plan_layers):
    from fonet.geo import UTM49S

    fig = render_map(plan_layers, "id")
    lines = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "kecamatan-border"]
    matplotlib.pyplot.close(fig)
    drawn = [shapely.LineString(ln.get_xydata()) for ln in lines]
    total = sum(g.length for g in drawn)
    # long chains, so the dash pattern runs on along a border
    assert len(drawn) < 60 and total / len(drawn) > 5000
    # no line lies over another one
    for i, g in enumerate(drawn):
        others = shapely.union_all(drawn[:i] + drawn[i + 1:]).buffer(5.0)
        assert g.intersection(others).length < 100, i
    # each inner border once: half the kecamatan outlines, less the regency boundary
    kec = plan_layers.layers["kecamatan"].to_crs(UTM49S)
    outer = plan_layers.layers["boundary"].to_crs(UTM49S).geometry.iloc[0].boundary.length
    once = (kec.geometry.boundary.length.sum() - outer) / 2
    assert total == pytest.approx(once, rel=0.03)


def test_sheet_subtitle_sources_and_furniture(planned, tmp_path):
    eng, plan_id, _ = planned
    out = tmp_path / "sheet.pdf"
    export_plan(eng, plan_id, "pdf", out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "Rencana induk serat optik ke 322 kantor desa/kelurahan dan kecamatan" in flat
    assert "OPD" not in flat and "Sekolah" not in flat  # the plan has neither
    for word in ("Peta lokasi", "Provinsi Jawa Timur", "Penafian", "Pengesahan",
                 "Disusun oleh", "Diperiksa oleh", "Disetujui oleh"):
        assert word in flat, word
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "Type 3" not in fonts and "TrueType" in fonts


def test_subtitle_says_what_the_plan_contains():
    class P:
        summary = PlanResult(offices_connected=322, opd_connected=12, schools_connected=1234)

    assert lb.subtitle(P(), "id") == ("Rencana induk serat optik ke 322 kantor desa/kelurahan "
                                      "dan kecamatan, 12 kantor OPD dan 1.234 sekolah")
    P.summary = PlanResult(offices_connected=322, opd_connected=0, schools_connected=0)
    assert "OPD" not in lb.subtitle(P(), "en") and "322" in lb.subtitle(P(), "en")


def test_locator_outline_is_shipped_and_holds_the_regency(plan_layers):
    from shapely.geometry import shape

    from gis.export.printmap_parts import _locator_shapes

    feats = _locator_shapes()
    province = shape(next(f for f in feats if f["properties"]["level"] == "province")["geometry"])
    regency = plan_layers.layers["boundary"].geometry.iloc[0]
    assert province.buffer(0.02).contains(regency)
    assert Path(__file__).parents[2].joinpath("gis/export/jatim_outline.json").stat().st_size \
        < 50_000
