"""Telemetry records, counter rates and link health (no SNMP here)."""

from fonet.telemetry.health import (
    LINK_STATES,
    EndpointReading,
    HealthThresholds,
    LinkHealth,
    evaluate_link,
)
from fonet.telemetry.rates import InterfaceRates, compute_rates, counter_delta
from fonet.telemetry.samples import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    DevicePoll,
    DeviceTarget,
    InterfaceSample,
    PollMeta,
    TargetError,
)

__all__ = [
    "AUTH_PROTOCOLS",
    "LINK_STATES",
    "PRIV_PROTOCOLS",
    "DevicePoll",
    "DeviceTarget",
    "EndpointReading",
    "HealthThresholds",
    "InterfaceRates",
    "InterfaceSample",
    "LinkHealth",
    "PollMeta",
    "TargetError",
    "compute_rates",
    "counter_delta",
    "evaluate_link",
]
