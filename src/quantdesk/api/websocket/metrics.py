"""Prometheus metrics of the WebSocket hub: clients, events sent and dropped, latency.

Connections report once per flushed batch, not per event, so metrics cost little at
thousands of events per second. ``ws_delivery_latency_seconds`` is the age of each batch's
oldest event when the batch is handed to the socket: publish time (the envelope's ``ts``)
to send, batching delay included.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator

from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from quantdesk.api.metrics import Metrics

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class WebSocketMetrics(Collector):
    """Counters the hub's connections record into, and the connected-clients gauge."""

    def __init__(self, metrics: Metrics, clients: Callable[[], int]) -> None:
        self.sent = Counter(
            "ws_messages_sent", "Events sent to WebSocket clients.", registry=metrics.registry
        )
        self.dropped = Counter(
            "ws_messages_dropped",
            "Events not sent to a WebSocket client, by reason (superseded quote, closed).",
            ("reason",),
            registry=metrics.registry,
        )
        self.disconnects = Counter(
            "ws_disconnects",
            "WebSocket connections ended, by reason.",
            ("reason",),
            registry=metrics.registry,
        )
        self.latency = Histogram(
            "ws_delivery_latency_seconds",
            "Publish-to-send time of the oldest event of each batch sent to a client.",
            buckets=LATENCY_BUCKETS,
            registry=metrics.registry,
        )
        self._clients = clients
        metrics.register(self)

    def flushed(self, sent: int, oldest_ns: int, dropped: Tally[str]) -> None:
        """Record one batch: its size, its oldest event's age, and what was dropped for it."""
        self.sent.inc(sent)
        self.latency.observe(max(time.time_ns() - oldest_ns, 0) / 1e9)
        for reason, count in dropped.items():
            self.dropped.labels(reason).inc(count)

    def disconnected(self, reason: str) -> None:
        """Count one ended connection."""
        self.disconnects.labels(reason).inc()

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "ws_clients", "WebSocket clients connected to this process.", value=self._clients()
        )


def websocket_metrics(app: FastAPI, clients: Callable[[], int]) -> WebSocketMetrics:
    """The app's WebSocket metrics, created on first use so a restarted lifespan reuses them."""
    existing: WebSocketMetrics | None = getattr(app.state, "ws_metrics", None)
    if existing is None:
        existing = app.state.ws_metrics = WebSocketMetrics(app.state.metrics, clients)
    return existing
