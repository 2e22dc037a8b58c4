"""Observed telemetry, kept apart from the planned inventory and joined at read time.

Counters are stored as decimal text: Counter64 values exceed the signed 64-bit integers of
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from fonet.store.models import Base, utcnow


class Counter(TypeDecorator):
    """An unsigned 64-bit counter, stored as decimal text."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> str | None:  # noqa: D102
        return None if value is None else str(int(value))

    def process_result_value(self, value: str | None, dialect: Any) -> int | None:  # noqa: D102
        return None if value is None else int(value)


class InterfaceSample(Base):
    """One poll of one interface: raw counters, levels, and the rates since the poll before."""

    __tablename__ = "interface_sample"
    __table_args__ = (Index("ix_interface_sample_if_time", "interface_id", "polled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interface_id: Mapped[int] = mapped_column(ForeignKey("interface.id", ondelete="CASCADE"))
    polled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    sys_uptime_cs: Mapped[int | None] = mapped_column(Counter)
    oper: Mapped[str | None] = mapped_column(String(16))
    admin: Mapped[str | None] = mapped_column(String(16))
    in_octets: Mapped[int | None] = mapped_column(Counter)
    out_octets: Mapped[int | None] = mapped_column(Counter)
    counter_bits: Mapped[int] = mapped_column(Integer, default=64)
    in_errors: Mapped[int | None] = mapped_column(Counter)
    out_errors: Mapped[int | None] = mapped_column(Counter)
    last_change_cs: Mapped[int | None] = mapped_column(Counter)
    discontinuity_cs: Mapped[int | None] = mapped_column(Counter)
    rx_power_dbm: Mapped[float | None] = mapped_column(Float)
    tx_power_dbm: Mapped[float | None] = mapped_column(Float)
    in_rate_bps: Mapped[float | None] = mapped_column(Float)
    out_rate_bps: Mapped[float | None] = mapped_column(Float)
    in_errors_per_s: Mapped[float | None] = mapped_column(Float)
    out_errors_per_s: Mapped[float | None] = mapped_column(Float)


class InterfaceRollup(Base):
    """Five-minute summary of an interface's samples, kept after the samples are pruned."""

    __tablename__ = "interface_rollup"

    interface_id: Mapped[int] = mapped_column(
        ForeignKey("interface.id", ondelete="CASCADE"), primary_key=True
    )
    bucket_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    in_rate_bps_avg: Mapped[float | None] = mapped_column(Float)
    in_rate_bps_max: Mapped[float | None] = mapped_column(Float)
    out_rate_bps_avg: Mapped[float | None] = mapped_column(Float)
    out_rate_bps_max: Mapped[float | None] = mapped_column(Float)
    errors_per_s_max: Mapped[float | None] = mapped_column(Float)
    rx_power_dbm_min: Mapped[float | None] = mapped_column(Float)
    rx_power_dbm_avg: Mapped[float | None] = mapped_column(Float)
    oper_down_samples: Mapped[int] = mapped_column(Integer, default=0)


class DeviceStatus(Base):
    """The outcome of a device's latest poll."""

    __tablename__ = "device_status"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    reachable: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(512))
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Polls failed in a row."""


class LinkState(Base):
    """The live state of a link: ``up``, ``down``, ``degraded`` or ``unknown``, with reasons."""

    __tablename__ = "link_state"

    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"),
                                         primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    """When the link entered this state."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkStateChange(Base):
    """History of link state changes."""

    __tablename__ = "link_state_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class Alarm(Base):
    """One alarm per event: raised, maybe acknowledged, cleared with its duration.

    ``key`` identifies the condition (e.g. ``link_down:P1:AC:VO-35.16.01.2001``): while an
    alarm with a key is open, the same condition raises nothing new. ``parent_id`` points at the
    root-cause alarm this one is grouped under.
    """

    __tablename__ = "alarm"
    __table_args__ = (Index("ix_alarm_key_open", "key", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    """``link_down``, ``rx_low``, ``error_rate``, ``flapping``, ``device_unreachable``."""
    severity: Mapped[str] = mapped_column(String(16))
    """``critical``, ``major``, ``minor`` or ``warning``."""
    object_type: Mapped[str] = mapped_column(String(16))
    object_name: Mapped[str] = mapped_column(String(256))
    message: Mapped[str] = mapped_column(String(1024))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ack_comment: Mapped[str | None] = mapped_column(String(1024))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("alarm.id", ondelete="SET NULL"),
                                                  index=True)


class DevicePollCycle(Base):
    """Which polling cycle a device's stored poll belongs to (several collectors).

    The primary key makes a second poll of a device in one cycle impossible to store, whoever
    polls it; rows older than the sample retention are pruned.
    """

    __tablename__ = "device_poll_cycle"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    cycle_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True,
                                                  index=True)
    polled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collector: Mapped[str] = mapped_column(String(128))


class EvaluatedCycle(Base):
    """One row per cycle whose link states and alarms were evaluated (several collectors)."""

    __tablename__ = "evaluated_cycle"

    cycle_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    interval_s: Mapped[float] = mapped_column(Float)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collector: Mapped[str] = mapped_column(String(128))
    devices: Mapped[int] = mapped_column(Integer, default=0)
    """Devices whose polls of this cycle were stored when it was evaluated."""
    link_changes: Mapped[int] = mapped_column(Integer, default=0)


class PollerCollector(Base):
    """A running ``fonet collectors run --distributed`` process and the groups it serves."""

    __tablename__ = "poller_collector"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    """``host:pid``."""
    host: Mapped[str] = mapped_column(String(256))
    pid: Mapped[int] = mapped_column(Integer)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    interval_s: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    """Last heartbeat; a collector unseen for a while is taken for dead."""
