"""One sma_cross backtest on 1,000,000 bars: QuantDesk against vectorbt and backtesting.py.

Usage::

    .venv/bin/python benchmarks/bench_backtest.py [--bars 1000000] [--repeat 5] [--skip-backtesting]

Each library computes its own moving averages and crossovers from the same close prices
(fast 10, slow 50, all-in, no costs); the timed span is "prices in, backtest out". Times
are the best of ``--repeat`` warm runs (backtesting.py runs once: it takes seconds).
QuantDesk's compile cost is measured apart, in fresh processes: once with an empty Numba
cache (cold compile) and once with the cache that run left on disk (what a user sees from
the second process on). Results go to ``benchmarks/results/backtest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FAST, SLOW = 10, 50
RESULTS = Path(__file__).parent / "results" / "backtest.json"


def prices(n: int, seed: int = 42) -> dict[str, np.ndarray]:
    """Build ``n`` one-minute bars of a geometric random walk."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0.0, 0.0005, n))
    return {
        "timestamps": np.datetime64("2020-01-01", "ns").astype(np.int64)
        + np.arange(n, dtype=np.int64) * 60_000_000_000,
        "open": open_,
        "high": np.maximum(open_, close) * (1 + spread),
        "low": np.minimum(open_, close) * (1 - spread),
        "close": close,
        "volume": np.full(n, 1_000.0),
    }


def best_of(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Return the fastest wall time of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def quantdesk_run(data: dict[str, np.ndarray]) -> Callable[[], Any]:
    from quantdesk.backtest import run
    from quantdesk.bars import Bars

    bars = Bars.from_arrays(**data, symbol="BENCH", timeframe="1m")
    return lambda: run("sma_cross", bars, {"fast": FAST, "slow": SLOW})


def vectorbt_run(data: dict[str, np.ndarray]) -> Callable[[], Any]:
    import pandas as pd
    import vectorbt as vbt

    close = pd.Series(data["close"], index=pd.to_datetime(data["timestamps"]))

    def go() -> Any:
        fast, slow = vbt.MA.run(close, FAST), vbt.MA.run(close, SLOW)
        entries, exits = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
        return vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000.0, size=np.inf)

    return go


def backtesting_run(data: dict[str, np.ndarray]) -> Callable[[], Any]:
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    frame = pd.DataFrame(
        {name.title(): data[name] for name in ("open", "high", "low", "close", "volume")},
        index=pd.to_datetime(data["timestamps"]),
    )

    def average(values: Any, period: int) -> Any:
        return pd.Series(values).rolling(period).mean().to_numpy()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(average, self.data.Close, FAST)
            self.slow = self.I(average, self.data.Close, SLOW)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    return lambda: Backtest(frame, SmaCross, cash=10_000_000, finalize_trades=True).run()


def first_call(cache_dir: str, n: int) -> float:
    """Time the first QuantDesk run in a fresh process using ``cache_dir`` as Numba's cache."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    output = subprocess.run(
        [sys.executable, __file__, "--first-call", "--bars", str(n)],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-backtesting", action="store_true")
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = prices(args.bars)
    if args.first_call:
        runner = quantdesk_run(data)
        start = time.perf_counter()
        runner()
        print(time.perf_counter() - start)
        return
    report = measure(data, args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in report.items():
        print(f"{key:>32}: {value:.4g}" if isinstance(value, float) else f"{key:>32}: {value}")


def measure(data: dict[str, np.ndarray], args: argparse.Namespace) -> dict[str, Any]:
    """Run every library and return the timings and ratios."""
    with tempfile.TemporaryDirectory() as cache:
        cold = first_call(cache, 10_000)
        cached = first_call(cache, 10_000)
    ours = quantdesk_run(data)
    ours()
    quantdesk, result = best_of(ours, args.repeat)
    with_metrics, _ = best_of(lambda: ours().metrics, args.repeat)
    theirs = vectorbt_run(data)
    theirs()
    vectorbt, portfolio = best_of(theirs, args.repeat)
    report: dict[str, Any] = {
        "bars": args.bars,
        "cpu_count": os.cpu_count(),
        "quantdesk_s": quantdesk,
        "quantdesk_with_metrics_s": with_metrics,
        "quantdesk_first_call_cold_compile_s": cold,
        "quantdesk_first_call_cached_s": cached,
        "vectorbt_s": vectorbt,
        "quantdesk_over_vectorbt": quantdesk / vectorbt,
        "quantdesk_trades": int(len(result.trades) + len(result.positions)),
        "vectorbt_trades": int(portfolio.trades.count()),
    }
    if not args.skip_backtesting:
        backtesting, _ = best_of(backtesting_run(data), 1)
        report["backtesting_py_s"] = backtesting
        report["backtesting_py_over_quantdesk"] = backtesting / quantdesk
    return report


if __name__ == "__main__":
    main()
