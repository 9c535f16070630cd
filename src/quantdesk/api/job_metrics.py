"""Prometheus metrics of the jobs run in this process: finished counts, durations, queue size.

The job runner reports into ``JobMetrics`` (it is the runner's observer); the queued and
running gauges show the counts the runner last read from the database, which it refreshes
at each recovery sweep, so they describe every worker's jobs, not only this process's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from quantdesk.api.metrics import Metrics

DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
GAUGES = {
    "queued": ("jobs_queued", "Jobs waiting for a worker, across all workers."),
    "running": ("jobs_running", "Jobs being run now, across all workers."),
}


class JobMetrics(Collector):
    """Counts and times finished jobs by kind, and exposes queue gauges at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.finished = Counter(
            "jobs_finished",
            "Jobs that reached a final status in this process, by kind and status.",
            ("kind", "status"),
            registry=metrics.registry,
        )
        self.duration = Histogram(
            "job_duration_seconds",
            "Time from claim to final status of jobs run in this process, by kind.",
            ("kind",),
            buckets=DURATION_BUCKETS,
            registry=metrics.registry,
        )
        self._counts: dict[str, int] = {}
        metrics.register(self)

    def job_finished(self, kind: str, status: str, seconds: float) -> None:
        """Record one job that reached ``status`` after ``seconds``."""
        self.finished.labels(kind, status).inc()
        self.duration.labels(kind).observe(seconds)

    def job_counts(self, counts: Mapping[str, int]) -> None:
        """Remember the latest jobs-per-status figures for the gauges."""
        self._counts = dict(counts)

    def collect(self) -> Iterator[Metric]:
        for status, (name, documentation) in GAUGES.items():
            yield GaugeMetricFamily(name, documentation, value=self._counts.get(status, 0))


def job_metrics(app: FastAPI) -> JobMetrics:
    """The app's job metrics, created on first use so a restarted lifespan reuses them."""
    existing: JobMetrics | None = getattr(app.state, "job_metrics", None)
    if existing is None:
        existing = app.state.job_metrics = JobMetrics(app.state.metrics)
    return existing
