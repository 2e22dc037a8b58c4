"""The masterplan atlas: one PDF a print shop accepts.

Pages, all A3 landscape:

1. the A3 overview map (:func:`gis.export.printmap.render_map`);
2. the table of contents;
3. the backbone ring schematic;
4. one page per kecamatan, in the order of their codes.

Every page carries its number ("Halaman 4 dari 21"); the PDF has bookmarks to every page.
Fonts are embedded as TrueType (matplotlib's Type 42, never Type 3). The file identifies
itself as PDF/A-2b (XMP ``pdfaid`` and an sRGB output intent, :func:`mark_pdfa`); no PDF/A
validator is installable on this project's machines (veraPDF is Java and not packaged by
Debian; the PyPI wrappers call veraPDF), so conformance beyond the checks in
tests/gis/test_atlas.py is not verified here.

``kecamatan`` (a name, case-insensitive, or a Kemendagri code) writes that kecamatan's page
alone.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from fonet.errors import InputError  # noqa: E402
from fonet.geo import UTM49S  # noqa: E402
from gis.export import labels as lb  # noqa: E402
from gis.export import mapdraw as md  # noqa: E402
from gis.export.atlas_pages import (  # noqa: E402
    contents_page,
    kecamatan_page,
    page_number,
    ring_schematic_page,
)
from gis.export.files import atomic_files  # noqa: E402
from gis.export.layers import PlanLayers  # noqa: E402
from gis.export.printmap import render_map  # noqa: E402


def resolve_kecamatan(pl: PlanLayers, kecamatan: str) -> str:
    """Return the code of the kecamatan named ``kecamatan`` (name or code, any case).

    Raises
    ------
    InputError
        No kecamatan of the regency has that name or code; the message lists them.
    """
    kec = pl.layers["kecamatan"]
    want = kecamatan.strip().casefold()
    for k in kec.itertuples():
        if want in (str(k.name).casefold(), str(k.code).casefold(),
                    str(k.code_bps or "").casefold()):
            return str(k.code)
    names = ", ".join(sorted(str(n) for n in kec["name"]))
    raise InputError("--kecamatan", f"no kecamatan {kecamatan!r} in the regency; use one of "
                                    f"{names} (or its code)")


def atlas_pages(pl: PlanLayers, lang: str, kecamatan: str | None = None) -> list[str]:
    """Return the titles of the pages the atlas will have, in order (for bookmarks)."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    kec = pl.layers["kecamatan"].sort_values("code")
    if kecamatan is not None:
        code = resolve_kecamatan(pl, kecamatan)
        return [f"{t('kecamatan')} {kec.set_index('code').loc[code, 'name']}"]
    return ([t("overview"), t("contents"), t("ring_schematic")]
            + [f"{t('kecamatan')} {name}" for name in kec["name"]])


def write_atlas(pl: PlanLayers, out: Path, *, lang: str = "id",
                kecamatan: str | None = None) -> list[Path]:
    """Write the atlas of ``pl`` to ``out`` (a ``.pdf``), atomically.

    Parameters
    ----------
    pl
        The plan's layers.
    out
        The PDF file.
    lang
        Language of every page.
    kecamatan
        Write only this kecamatan's page (name or code).

    Returns
    -------
    list of Path
        ``[out]``.

    Raises
    ------
    InputError
        ``kecamatan`` is not a kecamatan of the regency (nothing is written).
    """
    t = lambda key: lb.text(key, lang)  # noqa: E731
    only = resolve_kecamatan(pl, kecamatan) if kecamatan is not None else None
    titles = atlas_pages(pl, lang, kecamatan)
    kec = pl.layers["kecamatan"].sort_values("code")
    L = {k: v.to_crs(UTM49S) for k, v in pl.layers.items()}
    borders = md.kecamatan_borders(L["kecamatan"], L["boundary"])
    total = len(titles)
    buf = io.BytesIO()
    with matplotlib.rc_context(md.PDF_RC):
        with PdfPages(buf, metadata=_info(pl, lang)) as pdf:
            if only is not None:
                _emit(pdf, kecamatan_page(pl, L, only, lang, 1, total, borders=borders))
            else:
                first = 4
                entries = [(1, t("overview"), t("overview_note")),
                           (2, t("contents"), t("contents_note")),
                           (3, t("ring_schematic"), t("ring_schematic_note"))]
                for i, k in enumerate(kec.itertuples()):
                    entries.append((first + i, f"{t('kecamatan')} {k.name}",
                                    t("kec_note").format(v=lb.number(k.villages, 0, lang),
                                                         s=lb.number(k.sites_served or 0, 0,
                                                                     lang),
                                                         h=md.short_name(str(k.hub_name or
                                                                             "–")))))
                overview = render_map(pl, lang)
                page_number(overview, lang, 1, total)
                _emit(pdf, overview)
                _emit(pdf, contents_page(pl, lang, entries, 2, total))
                _emit(pdf, ring_schematic_page(pl, lang, 3, total))
                for i, k in enumerate(kec.itertuples()):
                    _emit(pdf, kecamatan_page(pl, L, str(k.code), lang, first + i, total,
                                              borders=borders))
    data = mark_pdfa(buf.getvalue(), titles, lang)
    with atomic_files([out]) as (tmp,):
        tmp.write_bytes(data)
    return [out]


def _emit(pdf: PdfPages, fig: plt.Figure) -> None:
    try:
        pdf.savefig(fig)
    finally:
        plt.close(fig)


def _info(pl: PlanLayers, lang: str) -> dict[str, object]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"Title": f"{lb.text('title', lang)} – {lb.text('atlas', lang)}",
            "Subject": lb.subtitle(pl, lang), "Creator": "fonet", "Producer": "fonet",
            "Author": "fonet", "CreationDate": now, "ModDate": now}


def mark_pdfa(data: bytes, titles: list[str], lang: str) -> bytes:
    """Add PDF/A-2b identification, an sRGB output intent and one bookmark per page.

    Parameters
    ----------
    data
        The PDF as matplotlib wrote it.
    titles
        One bookmark title per page.
    lang
        The document language (``/Lang``).

    Returns
    -------
    bytes
        The PDF with an XMP metadata stream (``pdfaid:part`` 2, ``conformance`` B) matching the
        document information, an ``/OutputIntents`` entry with an sRGB ICC profile made by
        LittleCMS, ``/Outlines`` and a document ID.
    """
    import pikepdf
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        profile = pdf.make_stream(icc)
        profile["/N"] = 3
        intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                                    OutputConditionIdentifier=pikepdf.String("sRGB"),
                                    Info=pikepdf.String("sRGB IEC61966-2.1"),
                                    DestOutputProfile=profile)
        pdf.Root.OutputIntents = pikepdf.Array([intent])
        pdf.Root.Lang = pikepdf.String("id-ID" if lang == "id" else "en")
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        with pdf.open_outline() as outline:
            outline.root.extend(pikepdf.OutlineItem(title, i)
                                for i, title in enumerate(titles[:len(pdf.pages)]))
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=True, deterministic_id=True)
    return out.getvalue()
