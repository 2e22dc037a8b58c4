"""The planning profile: every parameter of a plan, in one file with cited defaults."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fonet.errors import InputError
from fonet.store.models import INSTALL_METHODS, SITE_KINDS

DEFAULT_PROFILE = Path(__file__).with_name("default_profile.yaml")
KNOWN_CORE_SIZES = (2, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 144, 192, 216, 288)
"""Core counts cable makers sell; a profile naming another size is refused."""

Cost = Field(ge=0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Demand(_Strict):
    """How many cores each site needs, and the spare on top."""

    cores_per_site: dict[str, int]
    spare_fraction: float = Field(ge=0, le=5)
    backbone_cores_per_hub: int = Field(ge=1)
    core_sizes: list[int]

    @field_validator("cores_per_site")
    @classmethod
    def _kinds(cls, v: dict[str, int]) -> dict[str, int]:
        for kind, cores in v.items():
            if kind not in SITE_KINDS:
                raise ValueError(f"unknown site kind {kind!r}")
            if cores < 0:
                raise ValueError(f"negative core count for {kind}")
        return v

    @field_validator("core_sizes")
    @classmethod
    def _sizes(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("at least one core size is needed")
        for size in v:
            if size not in KNOWN_CORE_SIZES:
                raise ValueError(f"unknown core size {size}; known: {list(KNOWN_CORE_SIZES)}")
        return sorted(v)


class Methods(_Strict):
    """Install methods and their costs.

    ``cost_idr_per_m`` is the all-in cost per metre of a new 24-core cable laid by each method;
    ``cable_cost_idr_per_m_by_cores`` the difference for other sizes (it may be negative, but
    no size laid by any method may cost less than nothing). ``overlay_cost_idr_per_m`` is a new
    cable pulled or lashed along a built route (no trench, no new poles); ``reuse_cost_idr_per_m``
    the splicing and testing of spare cores of a built cable.
    """

    cost_idr_per_m: dict[str, float]
    cable_cost_idr_per_m_by_cores: dict[int, float]
    allowed_by_road_class: dict[str, list[str]]
    overlay_cost_idr_per_m: float = Field(default=3000.0, ge=0)
    reuse_cost_idr_per_m: float = Field(default=50.0, ge=0)

    @field_validator("cost_idr_per_m")
    @classmethod
    def _costs(cls, v: dict[str, float]) -> dict[str, float]:
        for method, cost in v.items():
            if method not in INSTALL_METHODS:
                raise ValueError(f"unknown install method {method!r}; known: {INSTALL_METHODS}")
            if cost < 0:
                raise ValueError(f"negative cost for {method}: {cost}")
        missing = set(INSTALL_METHODS) - set(v)
        if missing:
            raise ValueError(f"no cost for {sorted(missing)}")
        return v

    @field_validator("allowed_by_road_class")
    @classmethod
    def _allowed(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for road, methods in v.items():
            bad = [m for m in methods if m not in INSTALL_METHODS]
            if bad or not methods:
                raise ValueError(f"road class {road}: unknown or no install methods {bad}")
        return v


class Hardware(_Strict):
    """Poles, handholes, closures and terminations."""

    poles_per_km_aerial: float = Cost
    pole_cost_idr: float = Cost
    handhole_spacing_m: float = Field(gt=0)
    handhole_cost_idr: float = Cost
    drum_length_m: float = Field(gt=0)
    closure_cost_idr: float = Cost
    termination_cost_idr: float = Cost


class Transceiver(_Strict):
    """An optical transceiver class."""

    tx_min_dbm: float
    rx_sensitivity_dbm: float
    wavelength_nm: int
    cost_idr: float = Field(default=0.0, ge=0)
    """Price of one transceiver (a link takes two)."""

    @model_validator(mode="after")
    def _sane(self) -> Transceiver:
        if self.wavelength_nm not in (1310, 1550):
            raise ValueError(f"wavelength_nm {self.wavelength_nm}: planning knows 1310 and 1550")
        if self.budget_db <= 0:
            raise ValueError(f"no power budget: tx_min_dbm {self.tx_min_dbm} is not above "
                             f"rx_sensitivity_dbm {self.rx_sensitivity_dbm}")
        return self

    @property
    def budget_db(self) -> float:
        """Power budget: minimum launch power minus receiver sensitivity."""
        return self.tx_min_dbm - self.rx_sensitivity_dbm


class Optics(_Strict):
    """Loss parameters and transceiver classes."""

    attenuation_db_per_km: dict[str, float]
    splice_loss_db: float = Field(ge=0)
    connector_loss_db: float = Field(ge=0)
    connectors_per_path: int = Field(ge=0)
    margin_db: float = Field(ge=0)
    transceivers: dict[str, Transceiver]
    access_transceiver: str
    backbone_transceiver: str
    telkom_max_link_loss_db: float = Field(gt=0)

    @model_validator(mode="after")
    def _known(self) -> Optics:
        for role in ("access_transceiver", "backbone_transceiver"):
            if getattr(self, role) not in self.transceivers:
                raise ValueError(f"{role} {getattr(self, role)!r} is not in transceivers")
        for wl, att in self.attenuation_db_per_km.items():
            if att < 0:
                raise ValueError(f"negative attenuation at {wl} nm")
        missing = {"1310", "1550"} - set(self.attenuation_db_per_km)
        if missing:
            raise ValueError(f"attenuation_db_per_km has no value for {sorted(missing)} nm")
        return self


class Topology(_Strict):
    """Shape of the plan."""

    max_hubs_per_ring: int = Field(ge=1)
    include_schools: bool
    steiner_time_limit_s: float | None = Field(default=None, gt=0)
    phase_count: int = Field(ge=1)


class Otdr(_Strict):
    """How optical distance (an OTDR's) maps onto the route: cable overlength and slack.

    Defaults and their sources are in ``default_profile.yaml``; profiles stored before this
    section existed take these defaults.
    """

    overlength_factor: float = Field(default=1.02, ge=1.0, le=1.5)
    overlength_uncertainty: float = Field(default=0.01, ge=0, le=0.5)
    slack_loop_m: float = Field(default=20.0, ge=0)
    slack_loop_uncertainty_m: float = Field(default=5.0, ge=0)
    site_slack_m: float = Field(default=10.0, ge=0)
    instrument_accuracy_m: float = Field(default=1.0, ge=0)
    instrument_accuracy_fraction: float = Field(default=2.5e-5, ge=0, le=0.01)


class FibreRules(_Strict):
    """How the fibre layer is designed from a plan (``fonet fibre design``)."""

    spare_fraction: float = Field(default=0.25, ge=0, le=1)
    """Share of each cable's fibres kept spare (for restoration), at least ``spare_min``."""
    spare_min: int = Field(default=2, ge=0)
    fibres_per_tube: int = Field(default=12, ge=1)
    splices_per_tray: int = Field(default=12, ge=1)
    colour_standard: str = "TIA-598"
    cable_type_by_method: dict[str, str] = Field(default_factory=lambda: {
        "aerial": "ADSS", "underground": "duct", "existing_duct": "duct"})

    def spares(self, cores: int) -> int:
        """Fibres a cable of ``cores`` keeps spare."""
        return min(cores, max(self.spare_min, math.ceil(cores * self.spare_fraction)))


class Profile(_Strict):
    """A complete planning profile (see ``default_profile.yaml`` for every field's source)."""

    name: str
    demand: Demand
    methods: Methods
    hardware: Hardware
    optics: Optics
    topology: Topology
    otdr: Otdr = Field(default_factory=Otdr)
    fibre: FibreRules = Field(default_factory=FibreRules)

    @model_validator(mode="after")
    def _core_costs(self) -> Profile:
        unknown = set(self.methods.cable_cost_idr_per_m_by_cores) - set(self.demand.core_sizes)
        if unknown:
            raise ValueError(f"cable costs for core sizes not in demand.core_sizes: {unknown}")
        missing = set(self.demand.core_sizes) - set(self.methods.cable_cost_idr_per_m_by_cores)
        if missing:
            raise ValueError(f"no cable cost for core sizes {sorted(missing)}")
        for method in self.methods.cost_idr_per_m:
            for size in self.demand.core_sizes:
                cost = self.method_cost(method, size)
                if cost < 0:
                    raise ValueError(
                        f"a {size}-core cable laid {method} would cost {cost:g} IDR/m: "
                        f"methods.cost_idr_per_m.{method} plus "
                        f"methods.cable_cost_idr_per_m_by_cores.{size} must not be negative")
        for size in self.demand.core_sizes:
            overlay = (self.methods.overlay_cost_idr_per_m
                       + self.methods.cable_cost_idr_per_m_by_cores[size])
            if overlay < 0:
                raise ValueError(f"an overlaid {size}-core cable would cost {overlay:g} IDR/m")
        return self

    def cable_size(self, cores: int) -> tuple[int, int]:
        """Return ``(size, count)`` of the cable for ``cores`` plus spare.

        The smallest size that holds them, or as many cables of the largest size as needed.
        """
        need = max(1, math.ceil(cores * (1 + self.demand.spare_fraction)))
        for size in self.demand.core_sizes:
            if size >= need:
                return size, 1
        largest = self.demand.core_sizes[-1]
        return largest, math.ceil(need / largest)

    def method_cost(self, method: str, size: int) -> float:
        """Cost per metre of a cable of ``size`` cores laid by ``method``."""
        return (self.methods.cost_idr_per_m[method]
                + self.methods.cable_cost_idr_per_m_by_cores[size])


def load_profile(path: Path | str | None = None) -> Profile:
    """Read and check a planning profile (the default one when ``path`` is ``None``).

    Raises
    ------
    InputError
        Naming the file and the field at fault (missing fields, negative costs, unknown core
        sizes, unknown methods or transceivers, malformed YAML).
    """
    path = Path(path) if path is not None else DEFAULT_PROFILE
    if not path.is_file():
        raise InputError(str(path), "profile file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"malformed YAML: {exc}") from None
    return profile_from_dict(doc, str(path))


def profile_from_dict(doc: Any, source: str = "profile") -> Profile:
    """Check a profile given as a mapping; see :func:`load_profile`."""
    if not isinstance(doc, dict):
        raise InputError(source, "a profile is a mapping of sections")
    try:
        return Profile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "missing field" if err["type"] == "missing" else err["msg"]
            problems.append((where, msg.removeprefix("Value error, ")))
        first_where, first_msg = problems[0]
        more = "; ".join(f"{w}: {m}" for w, m in problems[1:])
        text = f"{first_msg} ({len(problems)} problem(s) in all{': ' + more if more else ''})"
        raise InputError(source, text, field=first_where) from None


def profile_with_overrides(overrides: dict[str, Any] | None,
                           source: str = "body.profile") -> Profile:
    """Return the built-in profile with ``overrides`` merged in section by section, checked.

    Parameters
    ----------
    overrides
        Part of a profile (e.g. ``{"costs": {"cable_idr_per_m": 9000}}``); nested mappings
        are merged, other values replace; ``None`` or empty gives the built-in profile.
    source
        What to name in the error when the result is not a valid profile.
    """
    profile = load_profile()
    if not overrides:
        return profile
    return profile_from_dict(_merged(profile.model_dump(mode="json"), overrides), source)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else v
    return out
