"""Latency of the trading hot path: risk check, accept transition and a fill applied; and
from a deployment's signal to the paper broker's acceptance, through the real runner.

Usage::

    .venv/bin/python benchmarks/bench_trading.py [--iterations 100000] [--signals 10000]

Each iteration checks a fresh order against every risk rule (all limits set), moves it
to accepted, fills it and applies the fill to a portfolio. Per-iteration times are taken
with ``perf_counter_ns``.

The signal path runs a paper deployment on an SQLite file: ``sma_cross`` (2 over 3) on
closes that alternate, so every replayed bar signals an entry or an exit, each going through
the runner, the risk checks and the order service to the paper broker. Every observation of
``quantdesk_signal_to_accept_seconds`` (signal computed to order accepted) is kept exactly.
p50 and p99 of both go to ``benchmarks/results/trading.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

import numpy as np

from quantdesk.bars import Bars
from quantdesk.db.base import Base
from quantdesk.marketdata.feeds.replay import ReplayFeed
from quantdesk.ports.market_data import LiveFeed
from quantdesk.runtime import Runtime, build_broker_factory, build_runtime
from quantdesk.services import deployment_runner, deployments, market_data, trading_metrics, users
from quantdesk.services.deployment_runner import DeploymentRunner
from quantdesk.services.deployments import DeploymentRequest, FeedSpec, SizingSpec
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.settings import Settings
from quantdesk.trading import Accepted, Fill, Filled, Order, Side, transition
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.risk import RiskContext, RiskLimits, Session, TradingHours, check_order

RESULTS = Path(__file__).parent / "results" / "trading.json"
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
WARM_UP = 4  # bars before sma_cross 2/3 on alternating closes signals on every bar


def _context() -> RiskContext:
    limits = RiskLimits(
        max_order_value=Decimal(1_000_000),
        max_position_value=Decimal(10_000_000),
        max_gross_exposure=Decimal(100_000_000),
        max_open_orders=100,
        max_orders_per_minute=1_000,
        daily_loss_limit=Decimal(10_000),
        allowed_symbols=frozenset({"AAPL", "MSFT"}),
        trading_hours=TradingHours(
            timezone="America/New_York", sessions=(Session(start=clock(9, 30), end=clock(16)),)
        ),
    )
    recent = tuple(NOW for _ in range(20))
    return RiskContext(limits=limits, now=NOW, price=Decimal("190.10"), recent_orders=recent)


def run(iterations: int) -> dict[str, float]:
    """Time ``iterations`` rounds of check, accept and fill; return percentiles in µs."""
    context, book = _context(), Portfolio(Decimal(10_000_000))
    risk, accept, fill = (np.empty(iterations) for _ in range(3))
    for i in range(iterations):
        order = Order(client_order_id=f"o{i}", symbol="AAPL", side=Side.BUY, quantity=Decimal(10))
        start = time.perf_counter_ns()
        check_order(order, context)
        checked = time.perf_counter_ns()
        order = transition(order, Accepted(at=NOW))
        accepted = time.perf_counter_ns()
        execution = Fill(
            f"f{i}", order.client_order_id, "AAPL", Side.BUY, Decimal(10), Decimal("190.10"), NOW
        )
        order = transition(order, Filled(execution))
        book.apply_fill(execution)
        filled = time.perf_counter_ns()
        risk[i], accept[i], fill[i] = checked - start, accepted - checked, filled - accepted
    path = risk + accept
    return {
        "iterations": iterations,
        "cpu_count": os.cpu_count() or 0,
        **_percentiles("check_order", risk),
        **_percentiles("transition_accept", accept),
        **_percentiles("check_order_plus_transition", path),
        **_percentiles("fill_transition_plus_portfolio", fill),
        **_percentiles("total", path + fill),
    }


class _Recorder:
    """Keeps every observation of the histogram it stands in for, and passes it on."""

    def __init__(self, histogram: object) -> None:
        self.histogram = histogram
        self.seconds: list[float] = []

    def observe(self, amount: float) -> None:
        self.seconds.append(amount)
        self.histogram.observe(amount)  # type: ignore[attr-defined]


def run_signals(signals: int) -> dict[str, float]:
    """Replay bars enough for ``signals`` orders through a paper deployment; percentiles."""
    # the runner's histogram, wrapped so that every observation is kept exactly
    recorder = _Recorder(trading_metrics.SIGNAL_TO_ACCEPT)
    setattr(deployment_runner, "SIGNAL_TO_ACCEPT", recorder)  # noqa: B010
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_replay(Path(folder), signals))
    seconds = np.array(recorder.seconds)
    return {"signals": len(seconds), **_percentiles("signal_to_accept", seconds * 1e9)}


async def _replay(folder: Path, signals: int) -> None:
    url = f"sqlite+aiosqlite:///{(folder / 'bench.db').as_posix()}"
    settings = Settings(env="test", var_dir=folder, database_url=url, run_jobs_in_api=False)
    runtime = build_runtime(settings)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    engine = TradingEngine(runtime.context, build_broker_factory(settings, runtime.context))
    runner = DeploymentRunner(runtime.context, engine, _replay_feed)
    try:
        deployment_id = await _deploy(runtime, runner, signals + WARM_UP)
        await runner.wait(deployment_id)
    finally:
        await runner.close()
        await engine.close()
        await runtime.close()


async def _deploy(runtime: Runtime, runner: DeploymentRunner, count: int) -> int:
    closes = np.where(np.arange(count) % 2 == 0, 100.0, 101.0)
    stamps = np.datetime64("2024-01-02T00:00") + np.arange(count) * np.timedelta64(1, "m")
    bars = Bars.from_arrays(
        stamps, closes, closes + 0.5, closes - 0.5, closes, np.full(count, 1e6),
        symbol="BENCH", timeframe="1m",
    )  # fmt: skip
    request = DeploymentRequest(
        symbols=["BENCH"], timeframe="1m", strategy_type="sma_cross",
        parameters={"fast": 2, "slow": 3}, feed=FeedSpec("replay", 1e12),
        sizing=SizingSpec(quantity=Decimal(1)),
    )  # fmt: skip
    async with runtime.context() as ctx:
        ctx.actor = await users.create_user(ctx, email="bench@example.com", password="x" * 12)
        await market_data.store_bars(ctx, "BENCH", bars)
        row = await deployments.create_deployment(ctx, request)
        await runner.start(ctx, row.id)
    return row.id


def _replay_feed(spec: FeedSpec, history: Mapping[str, Bars]) -> LiveFeed:
    return ReplayFeed(history, speed=spec.speed, live_time=False)


def _percentiles(name: str, nanoseconds: np.ndarray) -> dict[str, float]:
    p50, p99 = np.percentile(nanoseconds, [50, 99]) / 1_000
    return {f"{name}_p50_us": round(float(p50), 2), f"{name}_p99_us": round(float(p99), 2)}


def main() -> None:
    """Run the benchmark, print and save the percentiles."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--signals", type=int, default=10_000)
    arguments = parser.parse_args()
    results = run(arguments.iterations) | run_signals(arguments.signals)
    for key, value in results.items():
        print(f"{key:45} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
