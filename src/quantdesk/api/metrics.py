"""Prometheus metrics of one application, scraped at ``/health/metrics``.

Each app owns a ``CollectorRegistry`` rather than the process-wide default, so several apps
(tests, an embedded worker) never collide. Two ways to add a metric:

- an event you count or time (a job finished, an order filled): declare it in
  ``Metrics.__init__`` with ``registry=self.registry`` and record it where it happens;
- a figure that already lives somewhere (pool size, connected WebSocket clients): pass
  ``Metrics.register`` a ``Collector`` that reads it at scrape time.

When ``PROMETHEUS_MULTIPROC_DIR`` is set (several Uvicorn workers), counters and histograms
are written to files in that directory by ``prometheus_client`` and ``render`` merges every
worker's; live collectors then report the scraped worker only, and process metrics are left
out because they would describe one worker among many.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
POOL_GAUGES = {
    "size": ("db_pool_size", "Connections the database pool keeps open."),
    "checkedout": ("db_pool_checked_out", "Database connections in use by a request or job."),
    "checkedin": ("db_pool_checked_in", "Idle connections in the database pool."),
    "overflow": ("db_pool_overflow", "Database connections beyond the pool size (may be < 0)."),
}


class Metrics:
    """The registry and metric objects one application records into."""

    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._live: list[Collector] = [AppInfoCollector(version)]
        if not self.multiprocess:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        self.registry.register(self._live[0])

    def register(self, collector: Collector) -> None:
        """Add a collector that reads live figures at scrape time."""
        self._live.append(collector)
        self.registry.register(collector)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and record how long it took."""
        method = method if method in KNOWN_METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.request_duration.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric, merged across workers if needed."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]  # unannotated upstream
        for collector in self._live:
            merged.register(collector)
        return generate_latest(merged)


class AppInfoCollector(Collector):
    """``quantdesk_info{version=...} 1``, so dashboards can mark upgrades."""

    def __init__(self, version: str) -> None:
        self._version = version

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("quantdesk", "The running QuantDesk version.")
        info.add_metric([], {"version": self._version})
        yield info


class DatabasePoolCollector(Collector):
    """Database pool gauges, read at scrape time from whatever ``figures`` returns."""

    def __init__(self, figures: Callable[[], Mapping[str, Any] | None]) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self._figures() or {}
        for key, (name, documentation) in POOL_GAUGES.items():
            value = figures.get(key)
            if isinstance(value, int | float):
                yield GaugeMetricFamily(name, documentation, value=value)
