"""Response model of OTDR locating: the break's span, point, nearest place and uncertainty.

It describes :func:`fonet.otdr.locate_break`'s dict; the route declares it with
``response_model_exclude_unset=True`` so that ``otdr`` stays out when no trace was sent.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fonet.planning.profile import Otdr


class SpanAt(BaseModel):
    """The span the break is on and where along it."""

    span_id: int
    route_edge_id: int
    order: int
    of: int
    length_m: float
    offset_m: float


class LonLat(BaseModel):
    """A point (EPSG:4326)."""

    lon: float
    lat: float


class Nearest(BaseModel):
    """The nearest closure or route node to the break."""

    kind: str = Field(description="`route_node` or `closure (KIND)`.")
    node_id: int | None
    lon: float
    lat: float
    route_distance_m: float
    direction: str = Field(description="`ahead`, `behind` or `here`.")


class Uncertainty(BaseModel):
    """The parts of the uncertainty, in metres of route."""

    instrument_m: float
    overlength_m: float
    slack_loops_m: float


class OtdrTrace(BaseModel):
    """The OTDR trace sent: wavelength, index, pulse, resolution and end of fibre."""

    wavelength_nm: float | None
    index: float | None
    pulse_width_ns: float | None
    resolution_m: float
    end_of_fibre_m: float
    checksum_ok: bool | None


class SnmpSection(BaseModel):
    """The section the SNMP evidence points to, and whether the OTDR point falls in it."""

    kind: str
    spans: list[int]
    route_edges: list[int]
    length_m: float
    explains: list[str]
    agrees: bool
    message: str | None = None


class BreakOut(BaseModel):
    """A break located from an OTDR trace or distance."""

    model_config = ConfigDict(populate_by_name=True)

    path: str
    link: str | None
    plan_id: int | None
    from_: str = Field(alias="from")
    to: str
    optical_distance_m: float
    route_distance_m: float
    span: SpanAt
    span_id: int
    point: LonLat
    nearest: Nearest
    nearest_m: float
    uncertainty_m: float
    uncertainty: Uncertainty
    closures_passed: int
    closures_on_path: int
    path_route_m: float
    path_optical_m: float
    settings: Otdr
    otdr: OtdrTrace | None = Field(default=None, description="Only when a trace was sent.")
    snmp_section: SnmpSection | None
