"""Prometheus metrics of the trading service: latency and broker health."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "BROKER_CONNECTED",
    "BROKER_LAST_RECONCILIATION",
    "BROKER_UNMATCHED_ORDERS",
    "FILLS_APPLIED",
    "RECONCILIATION_DIFFERENCES",
    "REGISTRY",
    "SIGNAL_TO_ACCEPT",
    "SUBMIT_LATENCY",
]

# The trading engine is process-wide; the app adds this registry to the one it exposes.
REGISTRY = CollectorRegistry(auto_describe=True)

SUBMIT_LATENCY = Histogram(
    "quantdesk_order_submit_seconds",
    "Time from a signal or request to the broker's acknowledgement, risk checks included.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
    registry=REGISTRY,
)
SIGNAL_TO_ACCEPT = Histogram(
    "quantdesk_signal_to_accept_seconds",
    "Time from a deployment's signal on a bar, through the risk checks, to the broker "
    "accepting its order (in-process target: under 1 ms at p99 on the paper broker).",
    buckets=(
        0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0,
    ),
    registry=REGISTRY,
)  # fmt: skip
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
BROKER_UNMATCHED_ORDERS = Gauge(
    "quantdesk_broker_unmatched_orders",
    "Orders the last reconciliation could not match: stored ones still new or unknown, and "
    "ones the broker holds that are not stored.",
    ["user_id", "mode", "broker"],
    registry=REGISTRY,
)
BROKER_LAST_RECONCILIATION = Gauge(
    "quantdesk_broker_last_reconciliation_timestamp_seconds",
    "When the broker's book was last reconciled with the stored one (Unix time).",
    ["user_id", "mode", "broker"],
    registry=REGISTRY,
)
RECONCILIATION_DIFFERENCES = Counter(
    "quantdesk_reconciliation_differences_total",
    "Differences reconciliation found between the stored book and the broker's, by kind.",
    ["broker", "kind"],
    registry=REGISTRY,
)
