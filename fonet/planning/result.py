"""The typed result of a coverage plan: what ``fonet plan --json`` prints and the store keeps.

:class:`PlanResult` is the one shape of a plan's figures. The planner builds it, the store
keeps it as the plan's ``summary`` (JSON), and the API, the exports and the printed map read it
back with :meth:`PlanResult.of_plan`, never as a dictionary of loose keys.

Words: a site is *connected* by a plan when the plan reaches it (a path from its hub exists).
Whether its fibre is already in service is the village's coverage status, ``built`` or
``planned`` (:mod:`fonet.coverage`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Figures(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BomFigures(_Figures):
    """Bill of materials and cost of a set of spans.

    Attributes
    ----------
    cable_km
        New cable km by ``"<cores>c <method>"`` (reused cores of built cable are not new cable).
    poles, handholes, closures, terminations
        Counts; ``closures`` includes the ``drum_joints`` (a joint where a cable run exceeds
        the drum length) and the branch closures.
    transceivers
        Transceivers by class (two per link).
    cable_cost_idr, hardware_cost_idr, optics_cost_idr, cost_idr
        Costs in rupiah (cost = cable + hardware + optics).
    """

    cable_km: dict[str, float] = Field(default_factory=dict)
    poles: int = 0
    handholes: int = 0
    closures: int = 0
    drum_joints: int = 0
    terminations: int = 0
    transceivers: dict[str, int] = Field(default_factory=dict)
    cable_cost_idr: int = 0
    hardware_cost_idr: int = 0
    optics_cost_idr: int = 0
    cost_idr: int = 0

    @property
    def cable_km_total(self) -> float:
        """Cable km of every size and method."""
        return round(sum(self.cable_km.values()), 3)


class KecamatanFigures(BomFigures):
    """The access network of one kecamatan: its hub, sites served and bill of materials."""

    hub: str
    hub_chosen_by: str
    sites: int


class PopFigures(_Figures):
    """The core POP: site code, name and how it was chosen."""

    code: str
    name: str
    chosen_by: str


class HubFigures(_Figures):
    """One kecamatan's hub."""

    kecamatan: str
    site: str
    name: str
    chosen_by: str
    at_pop: bool = False


class RingFigures(_Figures):
    """One backbone ring: its members from the POP round, length and leg lengths."""

    ring: int
    members: list[str]
    km: float
    legs_m: list[int]


class SpofEdge(_Figures):
    """A route edge the backbone cannot avoid using twice (a bridge)."""

    route_edge_id: int
    u: int
    v: int
    length_m: float


class EntryDrop(_Figures):
    """A building entry of the POP or a hub longer than 0.5 m: a single way in."""

    site: str
    drop_m: int


class HopOverBudget(_Figures):
    """A ring hop whose loss exceeds the backbone transceiver's budget."""

    from_: str = Field(alias="from")
    to: str
    loss_db: float
    budget_db: float
    fits: str | None = None


class DeferredTarget(_Figures):
    """A target site a budgeted phase leaves for later, with its marginal cost now."""

    code: str
    kind: str
    priority: float
    marginal_cost_idr: int | None
    """Cost of adding it alone to this phase's network (None: unreachable)."""


class Selection(_Figures):
    """How a budgeted phase chose its targets."""

    method: str
    """``greedy`` (priority per marginal rupiah, then pruned to the budget) or ``exact``."""
    optimal: bool = False
    """Whether the choice was proven optimal (exact mode only)."""
    priority_served: float = 0.0
    priority_total: float = 0.0


class PlanResult(_Figures):
    """The figures of one coverage plan (see the README for each field).

    ``*_connected`` counts sites the plan reaches; ``*_total`` the sites it should reach.
    """

    plan_id: int = 0
    name: str = ""
    regency_code: str | None = None
    villages_total: int = 0
    villages_connected: int = 0
    offices_total: int = 0
    offices_connected: int = 0
    opd_total: int = 0
    opd_connected: int = 0
    schools_connected: int = 0
    pop: PopFigures | None = None
    hubs: list[HubFigures] = Field(default_factory=list)
    rings: list[RingFigures] = Field(default_factory=list)
    backbone_two_edge_connected: bool = False
    single_points_of_failure: list[SpofEdge] = Field(default_factory=list)
    single_entry_drops: list[EntryDrop] = Field(default_factory=list)
    unreachable_sites: list[str] = Field(default_factory=list)
    route_km: float = 0.0
    route_edges_used: int = 0
    cable_km: float = 0.0
    cost_idr: int = 0
    bill_of_materials: BomFigures = Field(default_factory=BomFigures)
    backbone: BomFigures = Field(default_factory=BomFigures)
    per_kecamatan: dict[str, KecamatanFigures] = Field(default_factory=dict)
    max_loss_db: float | None = None
    sites_over_budget: list[str] = Field(default_factory=list)
    ring_hops_over_budget: list[HopOverBudget] = Field(default_factory=list)
    phases: dict[str, int] = Field(default_factory=dict)
    per_phase: dict[str, BomFigures] = Field(default_factory=dict)
    """Bill of materials per build phase; rows add up to ``bill_of_materials``."""
    unit_prices: dict[str, float] = Field(default_factory=dict)
    links_by_transceiver: dict[str, int] = Field(default_factory=dict)
    reused_km: float = 0.0
    """Route km where the plan uses spare cores of built cable."""
    overlaid_km: float = 0.0
    """Route km where the plan lays new cable along built cable (no trench, no poles)."""
    new_km: float = 0.0
    """Route km of new cable on routes with no built cable."""
    existing_single_points: list[SpofEdge] = Field(default_factory=list)
    """Route edges of the built network whose cut splits it (its bridges)."""
    targets: list[str] = Field(default_factory=list)
    """Site kinds a targeted (extension) plan serves; empty for a full coverage plan."""
    targets_total: int = 0
    targets_connected: int = 0
    budget_idr: int | None = None
    year: int | None = None
    selection: Selection | None = None
    targets_deferred: list[DeferredTarget] = Field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the plain JSON object (``fonet plan --json``, the stored summary, the API)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def of_plan(cls, summary: dict[str, Any] | None) -> PlanResult:
        """Read a stored plan's ``summary`` back into its typed figures."""
        return cls.model_validate(summary or {})
