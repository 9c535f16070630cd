"""Latency of the paper broker: submit to accepted, and a bar that fills the resting orders.

Usage::

    .venv/bin/python benchmarks/bench_paper_broker.py [--orders 100000]

Each order is a fresh market order; ``submit`` is awaited inside one running event loop
(it does no I/O, so it never yields) and timed with ``perf_counter_ns``. Every 1,000 orders
a bar fills what rests, so the book stays as small as in live use; the bar's time per order
is reported too, after a warm-up bar that compiles the fill kernels. p50 and p99 go to
``benchmarks/results/paper_broker.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from quantdesk.backtest import Commission, Slippage
from quantdesk.brokers.paper import PaperBroker
from quantdesk.trading import Order, Side
from quantdesk.trading.fills import Bar, FillRules

RESULTS = Path(__file__).parent / "results" / "paper_broker.json"
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
BATCH = 1_000


async def run(orders: int) -> dict[str, float]:
    """Submit ``orders`` market orders, filling them in batches; return percentiles in µs."""
    rules = FillRules(commission=Commission(fraction=0.0005), slippage=Slippage(bps=2))
    broker = PaperBroker(rules, cash=Decimal(10**12), clock=lambda: NOW)
    await broker.connect()
    accept, per_fill = np.empty(orders), []
    bar = Bar.of(190.0, 191.0, 189.0, 190.5)
    quantity = Decimal(10)
    await broker.submit(
        Order(client_order_id="warm", symbol="AAPL", side=Side.BUY, quantity=quantity)
    )
    broker.on_bar("AAPL", bar, at=NOW)  # compiles the fill kernels before timing
    for i in range(orders):
        order = Order(client_order_id=f"o{i}", symbol="AAPL", side=Side.BUY, quantity=quantity)
        start = time.perf_counter_ns()
        await broker.submit(order)
        accept[i] = time.perf_counter_ns() - start
        if (i + 1) % BATCH == 0:
            start = time.perf_counter_ns()
            broker.on_bar("AAPL", bar, at=NOW)
            per_fill.append((time.perf_counter_ns() - start) / BATCH)
    await broker.close()
    return {
        "orders": orders,
        "cpu_count": os.cpu_count() or 0,
        **_percentiles("submit_to_accepted", accept),
        **_percentiles("bar_fill_per_order", np.asarray(per_fill)),
    }


def _percentiles(name: str, nanoseconds: np.ndarray) -> dict[str, float]:
    p50, p99 = np.percentile(nanoseconds, [50, 99]) / 1_000
    return {f"{name}_p50_us": round(float(p50), 2), f"{name}_p99_us": round(float(p99), 2)}


def main() -> None:
    """Run the benchmark, print and save the percentiles."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    results = asyncio.run(run(parser.parse_args().orders))
    for key, value in results.items():
        print(f"{key:35} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
