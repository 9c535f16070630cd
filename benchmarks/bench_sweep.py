"""A 1,000-combination sma_cross sweep on 100,000 bars: QuantDesk's ``sweep`` against vectorbt.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--bars 100000] [--skip-vectorbt]

The grid is fast 5..100 step 5 x slow 20..510 step 10 (20 x 50 = 1,000 combinations) on
the close prices of ``bench_backtest.prices``, all-in, no costs, filled at the signal's
close in both libraries so their total returns can be compared combination by combination.
QuantDesk refuses the 81 combinations with fast >= slow and runs 919; vectorbt runs all
1,000 with its own vectorised API (``MA.run`` over the parameter product, then
``Portfolio.from_signals``), so times are also given per combination.

Each library runs in its own process, so peak memory (``ru_maxrss``: the whole process,
interpreter and libraries included) is not mixed between them. QuantDesk's first-call
cost is measured apart in fresh processes: with an empty Numba cache (cold compile) and
with the cache that run left on disk. Results go to ``benchmarks/results/sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_backtest import prices

FASTS = list(range(5, 101, 5))
SLOWS = list(range(20, 511, 10))
RESULTS = Path(__file__).parent / "results" / "sweep.json"


def peak_mib() -> float:
    """Return this process's peak resident memory in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quantdesk_sweep(n: int) -> dict[str, Any]:
    """Time the full grid with QuantDesk after a small warm-up sweep."""
    from quantdesk.backtest.sweep import sweep
    from quantdesk.bars import Bars

    bars = Bars.from_arrays(**prices(n), symbol="BENCH", timeframe="1m")
    sweep("sma_cross", bars[:2_000], {"fast": [5, 10], "slow": [20]}, fill="close")
    before = peak_mib()
    start = time.perf_counter()
    result = sweep("sma_cross", bars, {"fast": FASTS, "slow": SLOWS}, fill="close")
    seconds = time.perf_counter() - start
    table = result.table
    return {
        "seconds": seconds,
        "combinations": len(table),
        "skipped": result.skipped,
        "peak_mib": peak_mib(),
        "peak_before_sweep_mib": before,
        "best": result.best,
        "total_returns": {
            f"{f}/{s}": r
            for f, s, r in zip(table["fast"], table["slow"], table["total_return"], strict=True)
        },
    }


def vectorbt_sweep(n: int) -> dict[str, Any]:
    """Time the full grid with vectorbt's vectorised indicator and portfolio."""
    import pandas as pd
    import vectorbt as vbt

    def run(close: pd.Series, fast_windows: Any, slow_windows: Any) -> np.ndarray:
        fast = vbt.MA.run(close, window=fast_windows, short_name="fast")
        slow = vbt.MA.run(close, window=slow_windows, short_name="slow")
        entries, exits = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
        portfolio = vbt.Portfolio.from_signals(
            close, entries, exits, init_cash=10_000.0, size=np.inf
        )
        portfolio.sharpe_ratio()
        returns: np.ndarray = portfolio.total_return().to_numpy()
        return returns

    data = prices(n)
    close = pd.Series(data["close"], index=pd.to_datetime(data["timestamps"]))
    fast_windows = np.repeat(FASTS, len(SLOWS))
    slow_windows = np.tile(SLOWS, len(FASTS))
    run(close[:2_000], [5, 10], [20, 20])  # compile vectorbt's kernels before timing
    before = peak_mib()
    start = time.perf_counter()
    returns = run(close, fast_windows, slow_windows)
    seconds = time.perf_counter() - start
    pairs = zip(fast_windows, slow_windows, returns, strict=True)
    return {
        "seconds": seconds,
        "combinations": len(returns),
        "peak_mib": peak_mib(),
        "peak_before_sweep_mib": before,
        "total_returns": {f"{f}/{s}": float(r) for f, s, r in pairs},
    }


def first_call(cache_dir: str) -> float:
    """Time a first small sweep in a fresh process using ``cache_dir`` as Numba's cache."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    command = [sys.executable, __file__, "--first-call"]
    output = subprocess.run(
        command, env=environment, check=True, capture_output=True, text=True
    ).stdout
    return float(output.strip().splitlines()[-1])


def child(library: str, n: int) -> dict[str, Any]:
    """Run one library's sweep in a fresh process and return what it printed."""
    command = [sys.executable, __file__, "--library", library, "--bars", str(n)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--skip-vectorbt", action="store_true")
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_call:
        from quantdesk.backtest.sweep import sweep
        from quantdesk.bars import Bars

        bars = Bars.from_arrays(**prices(5_000), symbol="BENCH", timeframe="1m")
        start = time.perf_counter()
        sweep("sma_cross", bars, {"fast": [5, 10], "slow": [20, 40]}, workers=1)
        print(time.perf_counter() - start)
        return
    if args.library:
        runner = quantdesk_sweep if args.library == "quantdesk" else vectorbt_sweep
        print(json.dumps(runner(args.bars)))
        return
    report = measure(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in report.items():
        print(f"{key:>40}: {value:.4g}" if isinstance(value, float) else f"{key:>40}: {value}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run each library in its own process and return timings, memory and ratios."""
    with tempfile.TemporaryDirectory() as cache:
        cold = first_call(cache)
        cached = first_call(cache)
    load = os.getloadavg()[0]
    ours = child("quantdesk", args.bars)
    report: dict[str, Any] = {
        "bars": args.bars,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load,
        "quantdesk_s": ours["seconds"],
        "quantdesk_combinations": ours["combinations"],
        "quantdesk_skipped": ours["skipped"],
        "quantdesk_ms_per_combination": 1e3 * ours["seconds"] / ours["combinations"],
        "quantdesk_peak_mib": ours["peak_mib"],
        "quantdesk_peak_before_sweep_mib": ours["peak_before_sweep_mib"],
        "quantdesk_first_call_cold_compile_s": cold,
        "quantdesk_first_call_cached_s": cached,
        "quantdesk_best": ours["best"],
    }
    if not args.skip_vectorbt:
        theirs = child("vectorbt", args.bars)
        common = set(ours["total_returns"]) & set(theirs["total_returns"])
        gap = max(abs(ours["total_returns"][k] - theirs["total_returns"][k]) for k in common)
        per_theirs = theirs["seconds"] / theirs["combinations"]
        report |= {
            "vectorbt_s": theirs["seconds"],
            "vectorbt_combinations": theirs["combinations"],
            "vectorbt_peak_mib": theirs["peak_mib"],
            "vectorbt_peak_before_sweep_mib": theirs["peak_before_sweep_mib"],
            "quantdesk_over_vectorbt": ours["seconds"] / theirs["seconds"],
            "quantdesk_over_vectorbt_per_combination": (
                report["quantdesk_ms_per_combination"] / 1e3 / per_theirs
            ),
            "max_total_return_difference": gap,
        }
    return report


if __name__ == "__main__":
    main()
