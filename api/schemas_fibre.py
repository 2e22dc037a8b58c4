"""Response models of the fibre layer: cables, closures, splice sheets, traces, design, cuts.

They describe the dicts of :mod:`fonet.fibre` and :func:`fonet.noc.impact.cable_cut`; the
trace route declares its model with ``response_model_exclude_unset=True`` so that a hop
keeps only its own kind's members.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import FeatureCollection


class CableOut(BaseModel):
    """A cable of the fibre layer with its fibre counts by state."""

    id: int
    code: str
    role: str | None = Field(description="`backbone` or `access`.")
    cores: int
    tube_layout: str | None
    colour_standard: str | None
    cable_type: str | None
    install_method: str | None
    status: str
    length_m: float
    plan_id: int | None
    fibres_in_use: int
    fibres_spare: int
    fibres_dark: int
    fibres_broken: int


class SchematicFibre(BaseModel):
    """A fibre of a cable: colours, state, circuit, and where it goes at each end."""

    fibre: int
    tube_colour: str | None
    colour: str | None
    state: str
    circuit: str | None = Field(description="The link the fibre carries.")
    a: str | None = Field(description="At the A end: `port N` or the spliced fibre.")
    z: str | None = Field(description="At the Z end: `port N` or the spliced fibre.")


class SchematicTube(BaseModel):
    """A tube and its fibres."""

    tube: int
    fibres: list[SchematicFibre]


class CableSchematic(BaseModel):
    """A cable's fibres by tube, with its two ends."""

    cable: str
    id: int
    cores: int
    tube_layout: str | None
    colour_standard: str | None
    length_m: float
    status: str
    role: str | None
    a_end: str
    z_end: str
    tubes: list[SchematicTube]


class CableDetail(CableOut):
    """A cable with every fibre by tube."""

    schematic: CableSchematic


class ClosureOut(BaseModel):
    """A closure (joint box) with its splice count."""

    id: int
    code: str
    kind: str
    status: str
    trays: int
    splices: int
    route_node_id: int | None
    route_edge_id: int | None
    at_m: float | None
    lon: float | None = None
    lat: float | None = None


class SheetFibre(BaseModel):
    """One side of a splice: the fibre and its colours."""

    cable: str
    fibre: int
    tube: int | None
    tube_colour: str | None
    colour: str | None


class SheetSplice(BaseModel):
    """A row of a splice sheet."""

    model_config = ConfigDict(populate_by_name=True)

    tray: int | None
    splice_id: int
    in_: SheetFibre = Field(alias="in")
    out: SheetFibre
    circuit: str | None
    loss_db: float | None


class SheetCable(BaseModel):
    """A cable ending at the closure, and which of its ends it is."""

    code: str
    cores: int
    tube_layout: str | None
    end: str = Field(description="`A` or `Z`.")


class SpliceSheet(BaseModel):
    """A closure's splice sheet for the field team."""

    closure: str
    kind: str
    status: str
    lon: float
    lat: float
    trays: int
    cables: list[SheetCable]
    splices: list[SheetSplice]


class ClosureDetail(ClosureOut):
    """A closure with its splice sheet."""

    sheet: SpliceSheet


class TraceHop(BaseModel):
    """A hop of a traced strand: a ``port``, a ``fibre`` or a ``splice`` (its own members)."""

    kind: str = Field(description="`port`, `fibre` or `splice`.")
    odf: str | None = None
    port: int | None = None
    site: str | None = None
    patch: str | None = None
    interface: str | None = None
    closure: str | None = None
    closure_id: int | None = None
    closure_kind: str | None = None
    tray: int | None = None
    splice_id: int | None = None
    splice_loss_db: float | None = None
    cable: str | None = None
    cable_id: int | None = None
    fibre: int | None = None
    tube: int | None = None
    tube_colour: str | None = None
    colour: str | None = None
    state: str | None = None
    length_m: float | None = None
    cum_length_m: float
    cum_loss_db: float


class TraceStrand(BaseModel):
    """One strand (1 or 2) of a circuit, hop by hop."""

    strand: int
    hops: list[TraceHop]


class FibreProblem(BaseModel):
    """A check of the fibre layer that failed."""

    check: str
    object: str
    message: str


class PlanLoss(BaseModel):
    """The plan's own loss figure for the link."""

    transceiver: str
    loss_1310_db: float | None
    loss_1550_db: float | None
    loss_db: float | None


class TraceOut(BaseModel):
    """A link's circuit traced fibre by fibre, with its loss against the budget."""

    link: str
    circuit_id: int
    status: str
    transceiver: str
    wavelength_nm: int
    strands: list[TraceStrand]
    length_m: float
    splices: int
    connectors: int
    loss_1310_db: float
    loss_1550_db: float
    loss_db: float
    budget_db: float
    over_budget: bool
    complete: bool
    problems: list[FibreProblem]
    plan_loss: PlanLoss | None


class TraceSummary(BaseModel):
    """The trace's figures carried by its GeoJSON."""

    link: str
    length_m: float
    splices: int
    loss_db: float
    budget_db: float
    transceiver: str
    complete: bool


class TraceGeoJSON(FeatureCollection):
    """Strand 1 of a trace: fibres (lines) and splices (points), each with ``seq``."""

    trace: TraceSummary


class DesignOut(BaseModel):
    """What a design run of the fibre layer did."""

    plan_id: int
    cables: int
    cables_created: int
    cables_kept: int
    cables_removed: int
    closures: int
    odfs: int
    fibres: int
    splices: int
    circuits: int
    circuits_kept: int
    links_without_fibre: list[str]
    unassigned: list[dict[str, Any]] = Field(description="Links no fibre pair was found for, "
                                                         "with the cable short of fibres.")
    cables_short_of_spares: list[str]


class SpliceOut(BaseModel):
    """A splice made in a closure."""

    id: int
    closure_id: int
    tray: int | None
    loss_db: float | None


class ImpactSite(BaseModel):
    """A site of the plan."""

    code: str
    name: str
    kind: str
    role: str | None
    kecamatan_code: str | None
    kecamatan: str | None


class ImpactLink(BaseModel):
    """A failed link and the route edges it rides."""

    name: str
    kind: str
    spans: int
    route_edges: list[int]


class ImpactSpan(BaseModel):
    """A failed span."""

    span_id: int
    route_edge_id: int
    role: str | None
    length_m: float


class CutCable(BaseModel):
    """A cable cut."""

    code: str
    id: int
    cores: int


class SpareFibre(BaseModel):
    """A spare fibre that could take a broken circuit over."""

    fibre: int
    tube: int | None
    tube_colour: str | None
    colour: str | None


class RestoreCable(BaseModel):
    """A cable of a broken circuit's path and its spare fibres."""

    cable: str
    cut: bool
    spare: list[SpareFibre]


class BrokenCircuit(BaseModel):
    """A circuit with a fibre on a cut cable and how it could be restored."""

    link: str
    link_id: int
    cut_cables: list[str]
    restore: list[RestoreCable]
    restorable: bool


class CutFailed(BaseModel):
    """What fails when the cable is cut."""

    links: list[ImpactLink]
    sites: list[ImpactSite]
    spans: list[ImpactSpan]
    route_edges: list[int]
    cables: list[CutCable]
    circuits: list[BrokenCircuit]


class KecamatanCount(BaseModel):
    """Sites cut off in one kecamatan."""

    kecamatan: str | None
    sites: int
    by_kind: dict[str, int]


class CutOff(BaseModel):
    """The sites cut off, counted by kind and kecamatan."""

    sites: list[ImpactSite]
    count: int
    by_kind: dict[str, int]
    by_kecamatan: dict[str, KecamatanCount]


class CableCutOut(BaseModel):
    """What-if: the circuits a cut of the cable breaks and the sites they cut off."""

    plan_id: int
    pop: str
    failed: CutFailed
    cut_off: CutOff
