"""Latency of the trading hot path: risk check, accept transition and a fill applied.

Usage::

    .venv/bin/python benchmarks/bench_trading.py [--iterations 100000]

Each iteration checks a fresh order against every risk rule (all limits set), moves it
to accepted, fills it and applies the fill to a portfolio. Per-iteration times are taken
with ``perf_counter_ns``; p50 and p99 go to ``benchmarks/results/trading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

import numpy as np

from quantdesk.trading import Accepted, Fill, Filled, Order, Side, transition
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.risk import RiskContext, RiskLimits, Session, TradingHours, check_order

RESULTS = Path(__file__).parent / "results" / "trading.json"
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


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


def _percentiles(name: str, nanoseconds: np.ndarray) -> dict[str, float]:
    p50, p99 = np.percentile(nanoseconds, [50, 99]) / 1_000
    return {f"{name}_p50_us": round(float(p50), 2), f"{name}_p99_us": round(float(p99), 2)}


def main() -> None:
    """Run the benchmark, print and save the percentiles."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=100_000)
    results = run(parser.parse_args().iterations)
    for key, value in results.items():
        print(f"{key:45} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
