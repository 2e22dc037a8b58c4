"""Prometheus exposition of per-interface and per-device metrics (prometheus_client)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from fonet.telemetry import LINK_STATES

OPER_VALUES = {"up": 1, "down": 2, "testing": 3, "unknown": 4, "dormant": 5, "notPresent": 6,
               "lowerLayerDown": 7}
"""IF-MIB ifOperStatus numbers, so dashboards can reuse their usual value mappings."""


class Metrics:
    """Gauges updated from each recorded poll and each link state change."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["device", "interface"]
        r = self.registry
        self.device_up = Gauge("fonet_device_up", "1 when the device answered its last poll",
                               ["device"], registry=r)
        self.poll_seconds = Gauge("fonet_device_poll_seconds", "Duration of the last poll",
                                  ["device"], registry=r)
        self.oper = Gauge("fonet_interface_oper_status", "ifOperStatus (1 up, 2 down, ...)",
                          labels, registry=r)
        self.in_bps = Gauge("fonet_interface_in_bits_per_second", "Inbound rate", labels,
                            registry=r)
        self.out_bps = Gauge("fonet_interface_out_bits_per_second", "Outbound rate", labels,
                             registry=r)
        self.errors = Gauge("fonet_interface_in_errors_per_second", "Inbound error rate",
                            labels, registry=r)
        self.rx = Gauge("fonet_interface_rx_power_dbm", "Received optical power", labels,
                        registry=r)
        self.tx = Gauge("fonet_interface_tx_power_dbm", "Transmitted optical power", labels,
                        registry=r)
        self.link = Gauge("fonet_link_state", "1 for the link's current state", ["link", "state"],
                          registry=r)

    def observe_poll(self, result: dict[str, Any]) -> None:
        """Update the gauges from the dictionary :func:`fonet.monitoring.record_poll` returns."""
        dev = result["name"]
        self.device_up.labels(dev).set(1 if result["reachable"] else 0)
        self.poll_seconds.labels(dev).set(result["seconds"])
        for i in result["interfaces"]:
            name = i["name"] or str(i["if_index"])
            if i["oper"] in OPER_VALUES:
                self.oper.labels(dev, name).set(OPER_VALUES[i["oper"]])
            for gauge, key in ((self.in_bps, "in_bps"), (self.out_bps, "out_bps"),
                               (self.errors, "in_errors_per_s"), (self.rx, "rx_dbm"),
                               (self.tx, "tx_dbm")):
                if i[key] is not None:
                    gauge.labels(dev, name).set(i[key])

    def observe_link(self, link: str, state: str) -> None:
        """Set the link's state gauge (one series per possible state)."""
        for s in LINK_STATES:
            self.link.labels(link, s).set(1 if s == state else 0)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Expose ``/metrics`` over HTTP on ``addr:port`` (loopback by default)."""
        start_http_server(port, addr=addr, registry=self.registry)
