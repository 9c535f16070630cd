"""Prometheus metrics of the trading service: latency and broker health."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["BROKER_CONNECTED", "FILLS_APPLIED", "REGISTRY", "SUBMIT_LATENCY", "UNMATCHED_ORDERS"]

# The trading engine is process-wide; the app adds this registry to the one it exposes.
REGISTRY = CollectorRegistry(auto_describe=True)

SUBMIT_LATENCY = Histogram(
    "quantdesk_order_submit_seconds",
    "Time from a signal or request to the broker's acknowledgement, risk checks included.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
    registry=REGISTRY,
)
FILLS_APPLIED = Counter(
    "quantdesk_fills_applied_total",
    "Fills booked; a fill reported twice counts once.",
    registry=REGISTRY,
)
BROKER_CONNECTED = Gauge(
    "quantdesk_broker_connected",
    "1 when the broker connection is up.",
    ["broker"],
    registry=REGISTRY,
)
UNMATCHED_ORDERS = Gauge(
    "quantdesk_unmatched_orders",
    "Orders the last reconciliation could not match.",
    registry=REGISTRY,
)
