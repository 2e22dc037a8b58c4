"""Words and colours shared by every export: one legend for the GeoPackage, KML and the print.

Field names and category values stay the same in every language (so files can be joined and
re-read); labels shown to a reader come from :func:`text` in Indonesian (``id``, the default) or
English (``en``).
"""

from __future__ import annotations

from typing import Any

from fonet.coverage import STATUSES as COVERAGE_STATUSES
from fonet.errors import InputError

LANGS = ("id", "en")

STATUSES = tuple(s.value for s in COVERAGE_STATUSES)
"""Coverage status of a village or site (see :mod:`fonet.coverage`): its fibre is built,
planned, or absent from the plan."""

STATUS_COLORS = {"built": "#4dac26", "planned": "#fee391", "not_covered": "#f1a7a7"}
STATUS_EDGE = "#8c8c8c"
# Ring, hub, POP and access colours stay apart for readers with deutan, protan or tritan colour
# vision (tests/gis/test_palette.py simulates them with colorspacious): the rings take the
# Okabe-Ito colours (see styles.RING_COLORS), the core POP is a black star, a hub a white
# square outlined in black, access cables indigo.
BACKBONE_COLOR = "#d55e00"
ACCESS_COLOR = "#332288"
POP_COLOR = "#000000"
HUB_COLOR = "#ffffff"
HUB_EDGE = "#000000"
OFFICE_COLOR = "#222222"
KECAMATAN_EDGE = "#4d4d4d"
BOUNDARY_EDGE = "#000000"

_TEXT: dict[str, dict[str, str]] = {
    "title": {"id": "Rencana Jaringan Serat Optik Kabupaten Mojokerto",
              "en": "Fibre-Optic Network Plan, Mojokerto Regency"},
    "subtitle_offices": {"id": "Rencana induk serat optik ke {n} kantor desa/kelurahan dan "
                                 "kecamatan",
                         "en": "Fibre masterplan for {n} village and kecamatan offices"},
    "subtitle_opd": {"id": "{n} kantor OPD", "en": "{n} OPD offices"},
    "subtitle_schools": {"id": "{n} sekolah", "en": "{n} schools"},
    "and": {"id": "dan", "en": "and"},
    "built": {"id": "Terbangun", "en": "Built"},
    "planned": {"id": "Direncanakan", "en": "Planned"},
    "not_covered": {"id": "Belum terjangkau", "en": "Not covered"},
    "backbone": {"id": "Kabel tulang punggung (ring)", "en": "Backbone cable (ring)"},
    "access": {"id": "Kabel akses", "en": "Access cable"},
    "phase": {"id": "tahap", "en": "phase"},
    "pop": {"id": "POP inti", "en": "Core POP"},
    "hub": {"id": "Hub kecamatan", "en": "Kecamatan hub"},
    "access_site": {"id": "Kantor terlayani", "en": "Served office"},
    "unserved_site": {"id": "Situs di luar rencana", "en": "Site outside the plan"},
    "village_office": {"id": "Kantor desa/kelurahan", "en": "Village office"},
    "boundary": {"id": "Batas kabupaten", "en": "Regency boundary"},
    "kecamatan_border": {"id": "Batas kecamatan", "en": "Kecamatan boundary"},
    "village_border": {"id": "Batas desa/kelurahan", "en": "Village boundary"},
    "kota": {"id": "KOTA MOJOKERTO", "en": "MOJOKERTO CITY"},
    "legend": {"id": "Legenda", "en": "Legend"},
    "coverage": {"id": "Cakupan desa/kelurahan", "en": "Village coverage"},
    "network": {"id": "Jaringan", "en": "Network"},
    "statistics": {"id": "Statistik rencana", "en": "Plan statistics"},
    "per_kecamatan": {"id": "Rincian per kecamatan", "en": "By kecamatan"},
    "scale": {"id": "Skala", "en": "Scale"},
    "north": {"id": "U", "en": "N"},
    "sources": {"id": "Sumber data", "en": "Data sources"},
    "projection": {"id": "Proyeksi: WGS 84 / UTM zona 49S (EPSG:32749)",
                   "en": "Projection: WGS 84 / UTM zone 49S (EPSG:32749)"},
    "printed": {"id": "Dicetak", "en": "Printed"},
    "plan": {"id": "Rencana", "en": "Plan"},
    "plan_date": {"id": "dihitung", "en": "computed"},
    "villages": {"id": "Desa/kelurahan", "en": "Villages"},
    "offices": {"id": "Kantor desa & kecamatan terlayani",
                "en": "Village & kecamatan offices served"},
    "opd": {"id": "Kantor OPD terlayani", "en": "OPD offices served"},
    "schools": {"id": "Sekolah terlayani", "en": "Schools served"},
    "hubs": {"id": "Hub / ring", "en": "Hubs / rings"},
    "route_km": {"id": "Panjang jalur", "en": "Route length"},
    "cable_km": {"id": "Panjang kabel", "en": "Cable length"},
    "cost": {"id": "Perkiraan biaya", "en": "Estimated cost"},
    "max_loss": {"id": "Redaman jalur terbesar", "en": "Highest path loss"},
    "over_budget": {"id": "Situs melebihi anggaran redaman", "en": "Sites over loss budget"},
    "kecamatan": {"id": "Kecamatan", "en": "Kecamatan"},
    "desa": {"id": "Desa", "en": "Vill."},
    "cable": {"id": "Kabel km", "en": "Cable km"},
    "cost_short": {"id": "Biaya (Rp jt)", "en": "Cost (IDR m)"},
    "total": {"id": "Jumlah", "en": "Total"},
    "backbone_row": {"id": "Tulang punggung", "en": "Backbone"},
    "billion": {"id": "miliar", "en": "billion"},
    "src_boundaries": {
        "id": "Batas & kode wilayah: Kemendagri 2025 (cahyadsn/wilayah_boundaries, MIT); "
              "kode BPS 2018 (kodewilayah)",
        "en": "Boundaries & area codes: Kemendagri 2025 (cahyadsn/wilayah_boundaries, MIT); "
              "BPS 2018 codes (kodewilayah)"},
    "src_schools": {"id": "Sekolah: Kemdikbud (Dapodik) 2019", "en": "Schools: Kemdikbud 2019"},
    "src_roads": {"id": "Jalan: © kontributor OpenStreetMap (ODbL)",
                  "en": "Roads: © OpenStreetMap contributors (ODbL)"},
    "src_corridors": {"id": "Jalur kabel: koridor antar-desa (perkiraan)",
                      "en": "Cable routes: inter-village corridors (approximate)"},
    "src_sites": {"id": "Lokasi kantor: perkiraan, sebelum survei lapangan",
                  "en": "Office locations: approximate until surveyed"},
    "src_plan": {"id": "Perencanaan: fonet", "en": "Planning: fonet"},
    "total_note": {"id": "Jumlah kabel dan biaya termasuk tulang punggung",
                   "en": "Cable and cost totals include the backbone"},
    "rings_table": {"id": "Ring tulang punggung", "en": "Backbone rings"},
    "cores": {"id": "Inti", "en": "Cores"},
    "notes": {"id": "Keterangan", "en": "Notes"},
    "note_built": {"id": "Terbangun: seluruh serat dari hub ke kantor desa sudah terbangun.",
                   "en": "Built: all fibre from the hub to the village office is in place."},
    "note_planned": {"id": "Direncanakan: kantor desa dijangkau rencana ini, serat belum "
                           "(seluruhnya) terbangun.",
                     "en": "Planned: the plan reaches the village office; its fibre is not "
                           "(all) built yet."},
    "note_not_covered": {"id": "Belum terjangkau: rencana ini tidak menjangkau kantor desa.",
                         "en": "Not covered: the plan does not reach the village office."},
    "note_over": {"id": "Melebihi anggaran redaman", "en": "Over the loss budget"},
    "note_approx": {"id": "Lokasi kantor dan jalur kabel bersifat perkiraan; wajib survei "
                          "lapangan sebelum pelaksanaan.",
                    "en": "Office locations and cable routes are approximate; survey before "
                          "construction."},
    "yes": {"id": "ya", "en": "yes"},
    "no": {"id": "tidak", "en": "no"},
    "hub_of": {"id": "Hub", "en": "Hub"},
    "path": {"id": "Panjang jalur dari hub", "en": "Path from hub"},
    "loss": {"id": "Redaman", "en": "Loss"},
    "status": {"id": "Status", "en": "Status"},
    "code": {"id": "Kode", "en": "Code"},
    "ring": {"id": "Ring", "en": "Ring"},
    "rings_folder": {"id": "Tulang punggung", "en": "Backbone"},
    "villages_folder": {"id": "Desa/kelurahan", "en": "Villages"},
    "sites_folder": {"id": "Kantor dan situs", "en": "Offices and sites"},
    "access_folder": {"id": "Kabel akses", "en": "Access cables"},
    "kecamatan_folder": {"id": "Kecamatan", "en": "Kecamatan"},
    "area_km2": {"id": "Luas (km²)", "en": "Area (km²)"},
    "length_km": {"id": "Panjang (km)", "en": "Length (km)"},
    "length_m": {"id": "Panjang (m)", "en": "Length (m)"},
    "path_m": {"id": "Panjang jalur dari hub (m)", "en": "Path from hub (m)"},
    "hubs_count": {"id": "Jumlah hub", "en": "Hubs"},
    "cost_idr": {"id": "Biaya (Rp)", "en": "Cost (IDR)"},
    "role": {"id": "Peran", "en": "Role"},
    "rings_of": {"id": "Ring", "en": "Rings"},
    "kind": {"id": "Jenis", "en": "Kind"},
    "install_method": {"id": "Cara pemasangan", "en": "Installation"},
    "m_aerial": {"id": "udara (tiang)", "en": "aerial (poles)"},
    "m_underground": {"id": "tanam langsung", "en": "underground"},
    "m_existing_duct": {"id": "duct eksisting", "en": "existing duct"},
    "k_core_pop": {"id": "POP inti", "en": "core POP"},
    "k_hub": {"id": "hub", "en": "hub"},
    "k_kecamatan_office": {"id": "kantor kecamatan", "en": "kecamatan office"},
    "k_village_office": {"id": "kantor desa/kelurahan", "en": "village office"},
    "k_opd": {"id": "kantor OPD", "en": "OPD office"},
    "k_school": {"id": "sekolah", "en": "school"},
    "k_closure": {"id": "closure", "en": "closure"},
    "k_other": {"id": "lainnya", "en": "other"},
    "approval": {"id": "Pengesahan", "en": "Approval"},
    "prepared_by": {"id": "Disusun oleh", "en": "Prepared by"},
    "checked_by": {"id": "Diperiksa oleh", "en": "Checked by"},
    "approved_by": {"id": "Disetujui oleh", "en": "Approved by"},
    "name_sign_date": {"id": "Nama, tanda tangan, tanggal", "en": "Name, signature, date"},
    "disclaimer_title": {"id": "Penafian", "en": "Disclaimer"},
    "disclaimer": {
        "id": "Peta ini adalah lampiran perencanaan, bukan gambar pelaksanaan. Lokasi kantor, "
              "jalur kabel, panjang, redaman dan biaya adalah perkiraan dari data publik dan "
              "wajib diverifikasi dengan survei lapangan sebelum pengadaan atau konstruksi. "
              "Batas wilayah bukan rujukan hukum.",
        "en": "This map is a planning annex, not a construction drawing. Office locations, "
              "cable routes, lengths, losses and costs are estimates from public data and must "
              "be verified by field survey before procurement or construction. Boundaries are "
              "not a legal reference."},
    "locator": {"id": "Peta lokasi", "en": "Location"},
    "page_of": {"id": "Halaman {n} dari {total}", "en": "Page {n} of {total}"},
    "contents": {"id": "Daftar isi", "en": "Contents"},
    "atlas": {"id": "Atlas lampiran rencana induk", "en": "Masterplan annex atlas"},
    "overview": {"id": "Peta ikhtisar A3", "en": "A3 overview map"},
    "overview_note": {"id": "Seluruh kabupaten: cakupan, ring, hub, statistik dan tabel per "
                            "kecamatan",
                      "en": "The whole regency: coverage, rings, hubs, statistics and the "
                            "table by kecamatan"},
    "contents_note": {"id": "Halaman ini", "en": "This page"},
    "ring_schematic": {"id": "Skema ring tulang punggung", "en": "Backbone ring schematic"},
    "ring_schematic_note": {"id": "POP inti, hub tiap ring dan panjang setiap lompatan",
                            "en": "The core POP, each ring's hubs and the length of every hop"},
    "ring_note": {"id": "Skema, tidak berskala: urutan hub searah jarum jam dari POP inti; "
                        "panjang lompatan mengikuti jalur kabel.",
                  "en": "Schematic, not to scale: hubs clockwise from the core POP; hop lengths "
                        "follow the cable route."},
    "kec_note": {"id": "{v} desa/kelurahan, {s} situs terlayani, hub {h}",
                 "en": "{v} villages, {s} sites served, hub {h}"},
    "sites_table": {"id": "Situs terlayani", "en": "Sites served"},
    "name": {"id": "Nama", "en": "Name"},
    "budget": {"id": "Anggaran", "en": "Budget"},
    "over_short": {"id": "Lebih?", "en": "Over?"},
    "bom_title": {"id": "Daftar material (akses)", "en": "Bill of materials (access)"},
    "item": {"id": "Uraian", "en": "Item"},
    "cable_word": {"id": "Kabel", "en": "Cable"},
    "amount": {"id": "Jumlah", "en": "Amount"},
    "poles": {"id": "Tiang", "en": "Poles"},
    "handholes": {"id": "Handhole", "en": "Handholes"},
    "closures": {"id": "Closure sambungan", "en": "Splice closures"},
    "terminations": {"id": "Terminasi", "en": "Terminations"},
    "cable_cost": {"id": "Biaya kabel", "en": "Cable cost"},
    "hardware_cost": {"id": "Biaya perangkat keras", "en": "Hardware cost"},
    "province": {"id": "Provinsi Jawa Timur", "en": "East Java Province"},
}

INSTALL_METHODS = ("aerial", "underground", "existing_duct")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise :class:`InputError`."""
    if lang not in LANGS:
        raise InputError("--lang", f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def text(key: str, lang: str = "id") -> str:
    """Return the label ``key`` in ``lang`` (``id`` or ``en``)."""
    return _TEXT[key][lang]


def install_method(method: str | None, lang: str = "id") -> str:
    """Return a span's install method in words (the stored value if it has no translation)."""
    key = f"m_{method}"
    return _TEXT[key][lang] if key in _TEXT else str(method or "–")


def site_kind(kind: str | None, lang: str = "id") -> str:
    """Return a site's kind in words (the stored value if it has no translation)."""
    key = f"k_{kind}"
    return _TEXT[key][lang] if key in _TEXT else str(kind or "–")


def subtitle(pl: Any, lang: str = "id") -> str:
    """Say what the plan connects, as its summary counts: offices, then OPD and schools if any.

    Parameters
    ----------
    pl
        A :class:`gis.export.layers.PlanLayers` (only its ``summary`` is read).
    """
    s = pl.summary
    parts = [text("subtitle_offices", lang).format(n=number(s.offices_connected, 0, lang))]
    if s.opd_connected:
        parts.append(text("subtitle_opd", lang).format(n=number(s.opd_connected, 0, lang)))
    if s.schools_connected:
        parts.append(text("subtitle_schools", lang).format(
            n=number(s.schools_connected, 0, lang)))
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {text('and', lang)} " + parts[-1]


def span_label(role: str, phase: int | None, lang: str = "id") -> str:
    """Legend label of the spans of one role and build phase."""
    base = text("backbone" if role == "backbone" else "access", lang)
    return base if phase is None else f"{base}, {text('phase', lang)} {phase}"


def phase_shade(color: str, phase: int | None, phases: int) -> str:
    """Lighten ``color`` for later build phases (phase 1 keeps the full colour)."""
    if not phase or phases <= 1:
        return color
    k = 0.55 * (phase - 1) / max(phases - 1, 1)
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * k):02x}" for c in rgb)


def idr(value: float, lang: str = "id") -> str:
    """Format an amount in rupiah for a reader: ``Rp 6,58 miliar`` / ``IDR 6.58 billion``."""
    billions = value / 1e9
    if lang == "id":
        return f"Rp {billions:,.2f} {text('billion', lang)}".replace(",", "_").replace(
            ".", ",").replace("_", ".")
    return f"IDR {billions:,.2f} {text('billion', lang)}"


def number(value: float, digits: int = 0, lang: str = "id") -> str:
    """Format a number with the language's separators (``1.234,5`` in Indonesian)."""
    s = f"{value:,.{digits}f}"
    if lang == "id":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s
