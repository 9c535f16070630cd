"""Every registered indicator that TA-Lib has, timed against TA-Lib on 1,000,000 bars.

Usage::

    .venv/bin/python benchmarks/bench_indicators.py [--bars 1000000] [--repeat 21] [--only sma,ema]

Both libraries get the same float64 arrays and the registry's default parameters (TA-Lib's
names and defaults). After a warm-up call each, QuantDesk and TA-Lib run alternately
``--repeat`` times; the table shows the median of each and their ratio (QuantDesk / TA-Lib;
below 1 is faster), the largest relative difference of the outputs, and the target (1.0x
for sma, ema, rsi and atr, 1.2x for the rest). The first call's cost (Numba compile, or
loading the compiled code from Numba's on-disk cache) is measured apart, in fresh processes:
once with an empty cache directory (cold) and once with the cache that run left behind.
Results go to ``benchmarks/results/indicators.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np
import talib

from quantdesk.indicators import available
from quantdesk.indicators.registry import IndicatorSpec

RESULTS = Path(__file__).parent / "results" / "indicators.json"
STRICT = {"sma", "ema", "rsi", "atr"}
FIRST_CALL = """
import json, sys, time
start = time.perf_counter()
import numpy as np
from quantdesk.indicators import available, compute
imported = time.perf_counter() - start
rng = np.random.default_rng(0)
close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
data = {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
        "volume": np.full(500, 1e3), "timestamps": np.arange(500, dtype=np.int64) * 60 * 10**9}
times = {}
for spec in available():
    start = time.perf_counter()
    compute(spec.name, data)
    times[spec.name] = time.perf_counter() - start
print(json.dumps({"import": imported, "calls": times}))
"""


def market(n: int, seed: int = 42) -> dict[str, np.ndarray]:
    """Build ``n`` bars of a geometric random walk with calm and stormy stretches."""
    rng = np.random.default_rng(seed)
    sigma = np.repeat(rng.choice([0.001, 0.003, 0.01], size=n // 500 + 1), 500)[:n]
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, sigma)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0.0, sigma * 0.5))
    return {
        "timestamps": np.arange(n, dtype=np.int64) * 60_000_000_000,
        "open": open_,
        "high": np.maximum(open_, close) * (1 + spread),
        "low": np.minimum(open_, close) * (1 - spread),
        "close": close,
        "volume": np.round(rng.lognormal(8.0, 0.5, n)),
    }


def calls(spec: IndicatorSpec, data: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """Return zero-argument calls of QuantDesk's and TA-Lib's version with the same inputs."""
    inputs = [data[name] for name in spec.inputs]
    params = {parameter.name: parameter.default for parameter in spec.parameters}
    theirs = getattr(talib, spec.name.upper())
    return (lambda: spec.function(*inputs, **params)), (lambda: theirs(*inputs, **params))


def outputs(result: Any) -> list[np.ndarray]:
    return list(result) if isinstance(result, tuple) else [result]


def largest_difference(ours: Any, theirs: Any) -> float:
    """Largest relative difference where both have a value (NaN positions must agree)."""
    worst = 0.0
    for mine, reference in zip(outputs(ours), outputs(theirs), strict=True):
        if not np.array_equal(np.isnan(mine), np.isnan(reference)):
            return float("inf")
        valid = ~np.isnan(reference) & (reference != 0)
        if valid.any():
            relative = np.abs(mine[valid] - reference[valid]) / np.abs(reference[valid])
            worst = max(worst, float(relative.max()))
    return worst


def time_pair(ours: Any, theirs: Any, repeat: int) -> tuple[float, float]:
    """Median seconds of each, run alternately so both see the same machine load."""
    ours(), theirs()
    mine, reference = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        mine.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs()
        reference.append(time.perf_counter() - start)
    return float(np.median(mine)), float(np.median(reference))


def first_calls(cache_dir: str) -> dict[str, Any]:
    """Import and first-call times in a fresh process using ``cache_dir`` as Numba's cache."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    run = subprocess.run(
        [sys.executable, "-c", FIRST_CALL], env=environment, capture_output=True, check=True
    )
    return dict(json.loads(run.stdout))


def measure(
    specs: list[IndicatorSpec], data: dict[str, np.ndarray], repeat: int
) -> list[dict[str, Any]]:
    rows = []
    for spec in specs:
        ours, theirs = calls(spec, data)
        difference = largest_difference(ours(), theirs())
        mine, reference = time_pair(ours, theirs, repeat)
        target = 1.0 if spec.name in STRICT else 1.2
        rows.append(
            {
                "indicator": spec.name,
                "quantdesk_ms": mine * 1e3,
                "talib_ms": reference * 1e3,
                "ratio": mine / reference,
                "target": target,
                "meets_target": mine / reference <= target,
                "max_relative_difference": difference,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], cold: dict[str, Any], warm: dict[str, Any]) -> None:
    print(
        f"{'indicator':<10} {'quantdesk':>10} {'talib':>9} {'ratio':>7} {'target':>7}  "
        f"{'max rel diff':>12}  {'1st call cold':>13} {'cached':>8}"
    )
    for row in rows:
        name = row["indicator"]
        mark = "ok" if row["meets_target"] else "SLOW"
        print(
            f"{name:<10} {row['quantdesk_ms']:>8.2f}ms {row['talib_ms']:>7.2f}ms "
            f"{row['ratio']:>6.2f}x {row['target']:>6.1f}x  {row['max_relative_difference']:>12.1e}"
            f"  {cold['calls'][name] * 1e3:>11.0f}ms {warm['calls'][name] * 1e3:>6.1f}ms  {mark}"
        )
    print(
        f"first calls of all {len(cold['calls'])} indicators: cold compile "
        f"{sum(cold['calls'].values()):.1f}s, from the on-disk cache "
        f"{sum(warm['calls'].values()):.2f}s (import {warm['import']:.2f}s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--only", default="", help="comma-separated indicator names")
    args = parser.parse_args()
    wanted = {name for name in args.only.split(",") if name}
    specs = [s for s in available() if s.talib and (not wanted or s.name in wanted)]
    with tempfile.TemporaryDirectory() as cache_dir:
        cold, warm = first_calls(cache_dir), first_calls(cache_dir)
    rows = measure(specs, market(args.bars), args.repeat)
    print(f"{args.bars:,} bars, median of {args.repeat} alternating runs after a warm-up")
    print_table(rows, cold, warm)
    RESULTS.parent.mkdir(exist_ok=True)
    report = {
        "bars": args.bars,
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "versions": {
            "numpy": np.__version__,
            "numba": numba.__version__,
            "talib": talib.__version__,
        },
        "results": rows,
        "first_call_seconds": {"cold_compile": cold, "cached": warm},
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
