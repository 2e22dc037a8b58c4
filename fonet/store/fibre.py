"""The physical fibre layer: cables, fibres, closures and splices, ODFs and patches, circuits.

A *cable* is one sheath laid along an ordered run of route edges (its *segments*, each a part
of one route edge, usually the whole of it) between two ends, each a closure or an ODF. Its
*fibres* are numbered 1..cores and coloured by tube and position (TIA-598). A *closure* (joint
box) sits at a route node or at a point along a route edge (a drum joint); its *splices* join
two fibres of cables ending there. An *ODF* (patch panel, or an optical termination box at a
served site) has *ports*; a port terminates one fibre and is *patched* to a device interface.
A *circuit* puts one logical :class:`~fonet.store.models.Link` on a fibre pair: strand 1 and
strand 2, each an ordered list of fibres joined by splices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fonet.store.models import INSTALL_METHODS, INVENTORY_STATUSES, Base, _in, utcnow

FIBRE_STATES = ("in_use", "spare", "dark", "broken")
CLOSURE_KINDS = ("branch", "joint")
"""``branch``: where an access tree branches; ``joint``: where a drum of cable ends."""
ODF_KINDS = ("odf", "otb")
"""``odf``: a patch panel at the POP or a hub; ``otb``: a termination box at a served site."""


class FibreCable(Base):
    """A cable sheath between two ends (closure or ODF), laid along route edges."""

    __tablename__ = "fibre_cable"
    __table_args__ = (
        CheckConstraint(_in("status", INVENTORY_STATUSES), name="status"),
        CheckConstraint(_in("install_method", INSTALL_METHODS), name="install_method"),
        CheckConstraint("cores > 0", name="cores"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), index=True)
    """The plan whose design laid it out (kept when the plan is deleted)."""
    role: Mapped[str] = mapped_column(String(16))
    """``backbone`` or ``access``."""
    a_closure_id: Mapped[int | None] = mapped_column(ForeignKey("closure.id"))
    a_odf_id: Mapped[int | None] = mapped_column(ForeignKey("odf.id"))
    z_closure_id: Mapped[int | None] = mapped_column(ForeignKey("closure.id"))
    z_odf_id: Mapped[int | None] = mapped_column(ForeignKey("odf.id"))
    cores: Mapped[int] = mapped_column(Integer)
    tube_layout: Mapped[str] = mapped_column(String(16))
    """Tubes × fibres per tube, e.g. ``4x12``."""
    colour_standard: Mapped[str] = mapped_column(String(16), default="TIA-598")
    cable_type: Mapped[str] = mapped_column(String(32))
    install_method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="planned")
    length_m: Mapped[float] = mapped_column(Float)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CableSegment(Base):
    """The part of one route edge a cable runs along, in order from the cable's A end."""

    __tablename__ = "cable_segment"

    cable_id: Mapped[int] = mapped_column(
        ForeignKey("fibre_cable.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_edge_id: Mapped[int] = mapped_column(ForeignKey("route_edge.id"), index=True)
    span_id: Mapped[int | None] = mapped_column(
        ForeignKey("span.id", ondelete="SET NULL"), index=True)
    from_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    """The edge's end the cable comes from."""
    to_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    start_m: Mapped[float] = mapped_column(Float)
    """Where the cable starts along the edge, in metres from ``from_node_id``."""
    end_m: Mapped[float] = mapped_column(Float)
    """Where the cable leaves the edge, in metres from ``from_node_id``."""


class Fibre(Base):
    """One fibre of a cable: its number, tube and colours, and its state."""

    __tablename__ = "fibre"
    __table_args__ = (
        UniqueConstraint("cable_id", "number"),
        CheckConstraint(_in("state", FIBRE_STATES), name="state"),
        CheckConstraint("number > 0", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("fibre_cable.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    tube: Mapped[int] = mapped_column(Integer)
    tube_colour: Mapped[str] = mapped_column(String(16))
    colour: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="dark")


class Closure(Base):
    """A joint box at a route node or along a route edge, with splice trays."""

    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint(_in("status", INVENTORY_STATUSES), name="status"),
        CheckConstraint(_in("kind", CLOSURE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    route_node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"), index=True)
    route_edge_id: Mapped[int | None] = mapped_column(ForeignKey("route_edge.id"), index=True)
    """Set with ``at_m`` for a closure along an edge rather than at a node."""
    at_m: Mapped[float | None] = mapped_column(Float)
    """Metres from the edge's ``u`` node."""
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    trays: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(24), default="planned")


class Splice(Base):
    """A fusion splice of two fibres in a closure."""

    __tablename__ = "splice"

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int] = mapped_column(
        ForeignKey("closure.id", ondelete="CASCADE"), index=True)
    tray: Mapped[int] = mapped_column(Integer, default=1)
    a_fibre_id: Mapped[int] = mapped_column(
        ForeignKey("fibre.id", ondelete="CASCADE"), index=True)
    b_fibre_id: Mapped[int] = mapped_column(
        ForeignKey("fibre.id", ondelete="CASCADE"), index=True)
    loss_db: Mapped[float] = mapped_column(Float)
    """Planned loss (the profile's splice loss) until measured."""


class Odf(Base):
    """A patch panel (ODF) at the POP or a hub, or a termination box at a served site."""

    __tablename__ = "odf"
    __table_args__ = (
        CheckConstraint(_in("status", INVENTORY_STATUSES), name="status"),
        CheckConstraint(_in("kind", ODF_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    ports: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="planned")


class OdfPort(Base):
    """A port of an ODF; at its back it terminates one fibre."""

    __tablename__ = "odf_port"
    __table_args__ = (UniqueConstraint("odf_id", "number"),
                      UniqueConstraint("fibre_id", "odf_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    odf_id: Mapped[int] = mapped_column(ForeignKey("odf.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    fibre_id: Mapped[int | None] = mapped_column(
        ForeignKey("fibre.id", ondelete="SET NULL"), index=True)
    """The fibre terminated at the back (a fibre ends at most once on each ODF)."""


class Patch(Base):
    """A patch cord from an ODF port to a device interface (or a labelled transceiver)."""

    __tablename__ = "patch"

    id: Mapped[int] = mapped_column(primary_key=True)
    port_id: Mapped[int] = mapped_column(
        ForeignKey("odf_port.id", ondelete="CASCADE"), unique=True)
    interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(128))


class Circuit(Base):
    """A logical link put on a fibre pair."""

    __tablename__ = "circuit"
    __table_args__ = (CheckConstraint(_in("status", INVENTORY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="planned")


class CircuitFibre(Base):
    """One fibre of a circuit's strand (1 or 2), in order from the link's A end."""

    __tablename__ = "circuit_fibre"
    __table_args__ = (CheckConstraint("strand IN (1, 2)", name="strand"),)

    circuit_id: Mapped[int] = mapped_column(
        ForeignKey("circuit.id", ondelete="CASCADE"), primary_key=True)
    strand: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    fibre_id: Mapped[int] = mapped_column(ForeignKey("fibre.id", ondelete="CASCADE"),
                                          unique=True)
    """A fibre is in at most one circuit."""
