"""The BPS 2018 ↔ Kemendagri code crosswalk for the regency's kecamatan and villages.

The bridge table maps each BPS code to a Kemendagri code, but it predates some changes: a
village that moved to another kecamatan keeps its old Kemendagri code there. A bridge entry is
therefore accepted only when its Kemendagri code lies in the kecamatan that the BPS kecamatan
maps to; the others are matched by name within that kecamatan, and reported.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fonet.errors import InputError
from gis.fetch_parse import BoundaryRow
from gis.fetch_schools import norm_name

NAME_SIMILARITY = 0.75
"""Minimum :class:`difflib.SequenceMatcher` ratio for a bridge entry to count as the same name
(BPS and Kemendagri spell some villages differently: GEDEK / Gedeg, PARINGAN / Parengan)."""


@dataclass
class Crosswalk:
    """Result of :func:`build_crosswalk`.

    Attributes
    ----------
    village_bps
        BPS 2018 village code by Kemendagri village code.
    village_bps_name
        BPS 2018 village name by Kemendagri village code ("" when BPS names none).
    kecamatan_bps
        BPS 2018 kecamatan code by Kemendagri kecamatan code.
    by_name
        Human-readable notes on villages matched by name, not by the bridge's code.
    no_bps
        Villages no BPS 2018 entry matches (formed or renamed after 2018): they carry no BPS
        code (``None``), noted as ``"<code> <name>"``.
    """

    village_bps: dict[str, str | None] = field(default_factory=dict)
    village_bps_name: dict[str, str] = field(default_factory=dict)
    kecamatan_bps: dict[str, str] = field(default_factory=dict)
    by_name: list[str] = field(default_factory=list)
    no_bps: list[str] = field(default_factory=list)


def _similar(a: str, b: str) -> bool:
    a, b = norm_name(a), norm_name(b)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def _split_bridge(bridge: list[tuple[int, str, str]], kec_codes: set[str],
                  bps_prefix: str) -> tuple[dict[str, str], list[tuple[int, str, str]]]:
    """Separate the bridge's kecamatan entries from its village entries.

    Parameters
    ----------
    bridge
        ``(line, bps_code, kemendagri_code)`` rows of the bridge.
    kec_codes
        The regency's Kemendagri kecamatan codes.
    bps_prefix
        The regency's 4-digit BPS code.

    Returns
    -------
    kec_map : dict
        Kemendagri kecamatan code by BPS kecamatan code (7-digit BPS codes that map to a
        kecamatan of the regency).
    village_rows : list of (int, str, str)
        The rows with a 10-digit BPS village code of the regency, in file order.
    """
    kec_map: dict[str, str] = {}  # BPS kecamatan -> Kemendagri kecamatan
    village_rows: list[tuple[int, str, str]] = []
    for line, bps, dagri in bridge:
        if len(bps) == 7 and dagri in kec_codes:
            kec_map[bps] = dagri
        elif len(bps) == 10 and bps.startswith(bps_prefix):
            village_rows.append((line, bps, dagri))
    return kec_map, village_rows


def _match_villages(villages: list[BoundaryRow], village_rows: list[tuple[int, str, str]],
                    kec_map: dict[str, str], bps_name: dict[str, str],
                    by_name: list[str]) -> tuple[dict[str, str], set[str]]:
    """Assign BPS village codes to Kemendagri villages, most trusted evidence first.

    Parameters
    ----------
    villages
        The regency's Kemendagri villages.
    village_rows
        The bridge's village rows, from :func:`_split_bridge`.
    kec_map
        Kemendagri kecamatan code by BPS kecamatan code.
    bps_name
        BPS 2018 name by BPS code.
    by_name
        Notes on villages matched by name; appended to.

    Returns
    -------
    assigned : dict
        BPS code by Kemendagri village code (villages left unmatched are absent).
    used : set of str
        The BPS codes assigned.
    """
    by_code = {v.code: v for v in villages}
    assigned: dict[str, str] = {}  # Kemendagri -> BPS
    used: set[str] = set()

    def take(dagri: str, bps: str) -> None:
        assigned[dagri] = bps
        used.add(bps)

    def kec_ok(bps: str, dagri: str) -> bool:
        expected = kec_map.get(bps[:7])
        return expected is None or dagri.startswith(expected + ".")

    # 1. the bridge's code, in the right kecamatan, with a similar name
    for _, bps, dagri in village_rows:
        v = by_code.get(dagri)
        if (v is not None and dagri not in assigned and bps not in used and kec_ok(bps, dagri)
                and _similar(v.name, bps_name.get(bps, ""))):
            take(dagri, bps)
    # 2. the same name in the kecamatan the BPS code says
    for _, bps, dagri in village_rows:
        if bps in used or not bps_name.get(bps):
            continue
        cands = [v for v in villages if v.code not in assigned and kec_ok(bps, v.code)
                 and norm_name(v.name) == norm_name(bps_name[bps])]
        if len(cands) == 1:
            take(cands[0].code, bps)
            by_name.append(f"{cands[0].name}: BPS {bps} -> {cands[0].code} matched by name "
                           f"(the bridge gives {dagri or 'no code'})")
    # 3. the bridge's code in the right kecamatan, whatever the spelling
    for _, bps, dagri in village_rows:
        if dagri in by_code and dagri not in assigned and bps not in used and kec_ok(bps, dagri):
            take(dagri, bps)
    return assigned, used


def _kecamatan_bps(kecamatan: list[BoundaryRow], villages: list[BoundaryRow],
                   kec_map: dict[str, str], village_bps: dict[str, str | None],
                   bridge_path: Path) -> dict[str, str]:
    """Give every Kemendagri kecamatan its BPS code, from the bridge or from its villages.

    Parameters
    ----------
    kecamatan, villages
        Rows of the regency from the boundary dumps.
    kec_map
        Kemendagri kecamatan code by BPS kecamatan code, from the bridge.
    village_bps
        BPS village code by Kemendagri village code.
    bridge_path
        The bridge file (for messages).

    Returns
    -------
    dict
        BPS kecamatan code by Kemendagri kecamatan code, in the order of ``kecamatan``; a
        kecamatan missing from the bridge takes the code most of its villages carry.

    Raises
    ------
    InputError
        When a kecamatan has neither a bridge entry nor villages, or two kecamatan get the
        same BPS code.
    """
    out: dict[str, str] = {}
    reverse = {dagri: bps for bps, dagri in kec_map.items()}
    for k in kecamatan:
        if k.code in reverse:
            out[k.code] = reverse[k.code]
            continue
        prefixes = Counter(bps[:7] for v in villages
                           if v.code.startswith(k.code + ".") and (bps := village_bps[v.code]))
        if not prefixes:
            raise InputError(str(bridge_path), "kecamatan has no BPS code and no villages",
                             feature=k.code)
        out[k.code] = prefixes.most_common(1)[0][0]
    dup = Counter(out.values())
    for code, bps in out.items():
        if dup[bps] > 1:
            raise InputError(str(bridge_path), f"BPS kecamatan {bps} maps to more than one "
                                               "Kemendagri kecamatan", feature=code)
    return out


def _match_left_by_name(villages: list[BoundaryRow], assigned: dict[str, str], used: set[str],
                        kec_map: dict[str, str], bps_name: dict[str, str], bps_prefix: str,
                        by_name: list[str]) -> None:
    """Match villages the bridge left without a code to BPS villages of similar name.

    A BPS village code of the regency that no village took, whose BPS kecamatan maps to the
    village's kecamatan and whose name is similar (:data:`NAME_SIMILARITY`), is taken when it is
    the only such candidate; each match is noted in ``by_name``.
    """
    free = [bps for bps in bps_name if len(bps) == 10 and bps.startswith(bps_prefix)
            and bps not in used]
    for v in villages:
        if v.code in assigned:
            continue
        kec = v.code[:8]
        cands = [bps for bps in free if bps not in used and kec_map.get(bps[:7]) == kec
                 and _similar(v.name, bps_name[bps])]
        if len(cands) == 1:
            assigned[v.code] = cands[0]
            used.add(cands[0])
            by_name.append(f"{v.name}: BPS {cands[0]} {bps_name[cands[0]]} -> {v.code} matched "
                           "by name (not in the bridge)")


def build_crosswalk(villages: list[BoundaryRow], kecamatan: list[BoundaryRow],
                    bridge: list[tuple[int, str, str]], names: list[tuple[int, str, str]],
                    bridge_path: Path, bps_prefix: str) -> Crosswalk:
    """Match every Kemendagri village and kecamatan to its BPS 2018 code.

    Parameters
    ----------
    villages, kecamatan
        Rows of the regency from the boundary dumps.
    bridge
        ``(line, bps_code, kemendagri_code)`` rows of ``bps-to-dagri.tsv`` for the regency.
    names
        ``(line, bps_code, name)`` rows of ``bps-20181.tsv`` for the regency.
    bridge_path
        The bridge file (for messages).
    bps_prefix
        The regency's 4-digit BPS code.

    Returns
    -------
    Crosswalk

    Raises
    ------
    InputError
        When a Kemendagri kecamatan gets no BPS code, naming it. A village no BPS 2018 entry
        matches gets none (see :attr:`Crosswalk.no_bps`).
    """
    bps_name = {code: name for _, code, name in names}
    kec_map, village_rows = _split_bridge(bridge, {k.code for k in kecamatan}, bps_prefix)
    cw = Crosswalk()
    assigned, used = _match_villages(villages, village_rows, kec_map, bps_name, cw.by_name)
    _match_left_by_name(villages, assigned, used, kec_map, bps_name, bps_prefix, cw.by_name)
    missing = [v for v in villages if v.code not in assigned]
    for v in villages:
        bps = assigned.get(v.code)
        cw.village_bps[v.code] = bps
        cw.village_bps_name[v.code] = bps_name.get(bps, "") if bps else ""
    cw.no_bps = [f"{v.code} {v.name}" for v in missing]
    cw.kecamatan_bps = _kecamatan_bps(kecamatan, villages, kec_map, cw.village_bps, bridge_path)
    return cw
