"""The store's tables: the planned inventory of the regency's fibre network.

Geometries are kept as WKB in EPSG:4326 (lon/lat), so the same schema works on SQLite and on
PostgreSQL without a spatial extension; lengths are stored in metres, computed in UTM 49S or
geodesically when the row is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SITE_KINDS = (
    "core_pop",
    "hub",
    "kecamatan_office",
    "village_office",
    "opd",
    "school",
    "puskesmas",
    "rsud",
    "closure",
    "odf",
    "other",
)
SCHOOL_LEVELS = ("SD", "SMP", "SMA", "SMK", "SLB")
"""School levels (``attrs["level"]`` of a ``school`` site)."""
LOCATION_SOURCES = ("surveyed", "imported", "approximate")
EDGE_KINDS = ("road", "corridor", "drop", "cable")
"""``cable``: a built cable's own line where it leaves the road and corridor graph."""
INSTALL_METHODS = ("aerial", "underground", "existing_duct")
INVENTORY_STATUSES = ("planned", "under_construction", "built", "decommissioned")
AREA_LEVELS = ("regency", "kecamatan", "village")


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of every fonet table."""

    metadata = MetaData(naming_convention=NAMING)


class Area(Base):
    """An administrative area: the regency, a kecamatan or a village (desa / kelurahan)."""

    __tablename__ = "area"
    __table_args__ = (CheckConstraint(_in("level", AREA_LEVELS), name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    """Kemendagri code, e.g. ``35.16.01.2001``."""
    code_bps: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    village_type: Mapped[str | None] = mapped_column(String(16))
    """``desa`` or ``kelurahan`` for villages."""
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    area_km2: Mapped[float | None] = mapped_column(Float)
    inner_lon: Mapped[float | None] = mapped_column(Float)
    inner_lat: Mapped[float | None] = mapped_column(Float)
    geometry_wkb: Mapped[bytes] = mapped_column(LargeBinary)


class Site(Base):
    """A place the network serves or passes through (office, POP, school, closure, ...)."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(_in("kind", SITE_KINDS), name="kind"),
        CheckConstraint(_in("location_source", LOCATION_SOURCES), name="location_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    village_code: Mapped[str | None] = mapped_column(String(32), index=True)
    village_code_bps: Mapped[str | None] = mapped_column(String(16))
    kecamatan_code: Mapped[str | None] = mapped_column(String(32), index=True)
    kecamatan_code_bps: Mapped[str | None] = mapped_column(String(16))
    location_source: Mapped[str] = mapped_column(String(16))
    snap_m: Mapped[float | None] = mapped_column(Float)
    """Length of the drop edge joining the site to the route graph."""
    connected: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Already served by fibre in service (an extension phase does not target it)."""
    capacity_mbps: Mapped[float | None] = mapped_column(Float)
    """Bandwidth the site has or needs, Mb/s."""
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RouteNode(Base):
    """A node of the route graph: a junction, a corridor point, or a site's own node."""

    __tablename__ = "route_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    """``road``, ``corridor`` or ``site``."""
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ref: Mapped[str | None] = mapped_column(String(64))
    """Where the node comes from: an OSM node id, a village code, a border pair."""
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), unique=True
    )


class RouteEdge(Base):
    """A corridor a cable may follow, between two route nodes."""

    __tablename__ = "route_edge"
    __table_args__ = (CheckConstraint(_in("kind", EDGE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    u: Mapped[int] = mapped_column(ForeignKey("route_node.id", ondelete="CASCADE"), index=True)
    v: Mapped[int] = mapped_column(ForeignKey("route_node.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    length_m: Mapped[float] = mapped_column(Float)
    road_class: Mapped[str | None] = mapped_column(String(32))
    install_methods: Mapped[str] = mapped_column(String(64))
    """Comma-separated subset of :data:`INSTALL_METHODS`."""
    name: Mapped[str | None] = mapped_column(String(256))
    ref: Mapped[str | None] = mapped_column(String(256))
    """Where the edge comes from: OSM way ids, a village pair, a site code."""
    geometry_wkb: Mapped[bytes] = mapped_column(LargeBinary)


class Plan(Base):
    """A stored planning scenario: its profile and the spans it plans."""

    __tablename__ = "plan"
    __table_args__ = (Index("uq_plan_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    """Unique among plans."""
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the plan was archived (deleted through the API); archived plans are kept."""

    spans: Mapped[list[Span]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True
    )


class Span(Base):
    """Fibre cable laid along one route edge (planned or real)."""

    __tablename__ = "span"
    __table_args__ = (
        CheckConstraint(_in("status", INVENTORY_STATUSES), name="status"),
        CheckConstraint(_in("install_method", INSTALL_METHODS), name="install_method"),
        CheckConstraint("cores > 0", name="cores"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    route_edge_id: Mapped[int] = mapped_column(ForeignKey("route_edge.id"), index=True)
    a_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    z_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    length_m: Mapped[float] = mapped_column(Float)
    cores: Mapped[int] = mapped_column(Integer)
    install_method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="planned")
    role: Mapped[str | None] = mapped_column(String(16))
    """``backbone`` or ``access`` in a plan."""
    phase: Mapped[int | None] = mapped_column(Integer)
    cost_idr: Mapped[float | None] = mapped_column(Float)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    plan: Mapped[Plan | None] = relationship(back_populates="spans")


class Device(Base):
    """A managed network element (switch, router, OLT) polled over SNMP.

    Credentials live in :class:`DeviceSecret`, apart from the inventory.
    """

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    host: Mapped[str] = mapped_column(String(256))
    port: Mapped[int] = mapped_column(Integer, default=161)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    snmp_version: Mapped[str] = mapped_column(String(4), default="2c")
    v3_user: Mapped[str | None] = mapped_column(String(128))
    auth_proto: Mapped[str | None] = mapped_column(String(16))
    priv_proto: Mapped[str | None] = mapped_column(String(16))
    profiles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Why these profiles: the detection rule that matched, or "--profile" when given.
    detected_by: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Poller group: the collectors started with ``--groups`` naming it poll the device.
    poller_group: Mapped[str] = mapped_column(String(64), default="default",
                                              server_default="default", index=True)

    interfaces: Mapped[list[Interface]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class DeviceSecret(Base):
    """SNMP credentials of a device, sealed (Fernet tokens, see :mod:`fonet.secrets`).

    Never printed, logged or returned; only :mod:`fonet.devices` seals and opens them.
    """

    __tablename__ = "device_secret"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    community: Mapped[str | None] = mapped_column(Text)
    auth_key: Mapped[str | None] = mapped_column(Text)
    priv_key: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"DeviceSecret(device_id={self.device_id!r})"


class Interface(Base):
    """An interface of a device, as discovered from IF-MIB."""

    __tablename__ = "interface"
    __table_args__ = (UniqueConstraint("device_id", "if_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    if_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(128))
    descr: Mapped[str | None] = mapped_column(String(256))
    alias: Mapped[str | None] = mapped_column(String(256))
    high_speed_mbps: Mapped[int | None] = mapped_column(Integer)

    device: Mapped[Device] = relationship(back_populates="interfaces")


class Link(Base):
    """A logical circuit between two interfaces, riding an ordered list of spans."""

    __tablename__ = "link"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    a_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    z_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    a_interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface.id", ondelete="SET NULL")
    )
    z_interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(24), default="planned")

    spans: Mapped[list[LinkSpan]] = relationship(
        order_by="LinkSpan.seq", cascade="all, delete-orphan", passive_deletes=True
    )


class LinkSpan(Base):
    """One span of a link's path, in order from the A end."""

    __tablename__ = "link_span"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("link.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    span_id: Mapped[int] = mapped_column(ForeignKey("span.id", ondelete="CASCADE"), index=True)


class PlanSite(Base):
    """How a plan serves one site: its role, hub, path lengths, optical loss and phase."""

    __tablename__ = "plan_site"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    """``pop``, ``hub`` or ``access``."""
    hub_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    kecamatan_code: Mapped[str | None] = mapped_column(String(32), index=True)
    connected: Mapped[bool] = mapped_column(default=True)
    path_m: Mapped[float | None] = mapped_column(Float)
    """Cable path length from the hub to the site."""
    path_to_pop_m: Mapped[float | None] = mapped_column(Float)
    loss_1310_db: Mapped[float | None] = mapped_column(Float)
    loss_1550_db: Mapped[float | None] = mapped_column(Float)
    loss_to_pop_db: Mapped[float | None] = mapped_column(Float)
    over_budget: Mapped[bool] = mapped_column(default=False)
    phase: Mapped[int | None] = mapped_column(Integer)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProvinceScenario(Base):
    """A province planned at once: one plan per regency and a provincial backbone.

    The backbone joins the regency POPs; its rings and single points of failure are in
    ``summary``.
    """

    __tablename__ = "province_scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    """Kemendagri province code, e.g. ``35``."""
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProvincePlan(Base):
    """The plan of one regency in a provincial scenario."""

    __tablename__ = "province_plan"

    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("province_scenario.id", ondelete="CASCADE"), primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)


# the observed-telemetry tables share the metadata (imported last: they refer to the above)
from fonet.store import access as _access  # noqa: E402, F401
from fonet.store import fibre as _fibre  # noqa: E402, F401
from fonet.store import observed as _observed  # noqa: E402, F401
from fonet.store import service as _service  # noqa: E402, F401
