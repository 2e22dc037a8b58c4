"""Counter-rate maths for collectors (the pure code lives in :mod:`fonet.telemetry`)."""

from fonet.telemetry.rates import InterfaceRates, compute_rates, counter_delta

__all__ = ["InterfaceRates", "compute_rates", "counter_delta"]
