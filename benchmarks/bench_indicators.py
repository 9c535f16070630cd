"""Every registered indicator that TA-Lib has, timed against TA-Lib on 1,000,000 bars.

Usage::

    .venv/bin/python benchmarks/bench_indicators.py [--bars 1000000] [--repeat 41]
        [--only sma,ema] [--cpu 1] [--max-load 1.0 --wait 600]

Both libraries get the same float64 arrays and the registry's default parameters (TA-Lib's
names and defaults). After a warm-up call each, QuantDesk and TA-Lib run alternately
``--repeat`` times, which of the two goes first alternating too, so both see the same
machine. Each call is timed twice: CPU time of the calling thread (what the table and the
targets use: time the scheduler gave to other processes does not count) and wall time.
The table shows the median and the minimum of each and the ratio of the medians
(QuantDesk / TA-Lib; below 1 is faster), the largest relative difference of the outputs,
and the target (1.0x for sma, ema, rsi and atr, 1.2x for the rest). BLAS and OpenMP pools
are held to one thread; ``--cpu`` pins the process to one core. The load average is
recorded before and after; ``--max-load`` waits (up to ``--wait`` seconds) for a quieter
machine first. The first call's cost is measured apart, in fresh processes: once with an
empty Numba cache directory (compilation) and once with the cache that run left behind
(loading compiled code). Results go to ``benchmarks/results/indicators.json``.
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

THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
for _name in THREAD_LIMITS:
    os.environ.setdefault(_name, "1")  # before NumPy loads its BLAS

import numba  # noqa: E402
import numpy as np  # noqa: E402
import talib  # noqa: E402

from quantdesk.indicators import available  # noqa: E402
from quantdesk.indicators.registry import IndicatorSpec  # noqa: E402

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


def timed(call: Any) -> tuple[float, float]:
    """Run ``call`` once; return (thread CPU seconds, wall seconds)."""
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    call()
    return (time.thread_time_ns() - cpu) / 1e9, (time.perf_counter_ns() - wall) / 1e9


def time_pair(ours: Any, theirs: Any, repeat: int) -> dict[str, np.ndarray]:
    """Seconds of each call, run alternately (and first in turn) after a warm-up."""
    ours(), theirs()
    samples: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
    for turn in range(repeat):
        order = (("ours", ours), ("theirs", theirs))
        for name, call in order if turn % 2 == 0 else order[::-1]:
            samples[name].append(timed(call))
    return {name: np.array(values) for name, values in samples.items()}


def summary(seconds: np.ndarray) -> dict[str, float]:
    """Median and minimum in milliseconds, CPU time (column 0) and wall time (column 1)."""
    return {
        "cpu_median_ms": float(np.median(seconds[:, 0])) * 1e3,
        "cpu_min_ms": float(seconds[:, 0].min()) * 1e3,
        "wall_median_ms": float(np.median(seconds[:, 1])) * 1e3,
        "wall_min_ms": float(seconds[:, 1].min()) * 1e3,
    }


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
    """Time and compare every indicator in ``specs``; one result row each."""
    rows = []
    for spec in specs:
        ours, theirs = calls(spec, data)
        difference = largest_difference(ours(), theirs())
        samples = time_pair(ours, theirs, repeat)
        mine, reference = summary(samples["ours"]), summary(samples["theirs"])
        ratio = mine["cpu_median_ms"] / reference["cpu_median_ms"]
        target = 1.0 if spec.name in STRICT else 1.2
        rows.append(
            {
                "indicator": spec.name,
                "quantdesk": mine,
                "talib": reference,
                "ratio": ratio,
                "ratio_of_minimums": mine["cpu_min_ms"] / reference["cpu_min_ms"],
                "ratio_wall": mine["wall_median_ms"] / reference["wall_median_ms"],
                "target": target,
                "meets_target": ratio <= target,
                "max_relative_difference": difference,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], cold: dict[str, Any], warm: dict[str, Any]) -> None:
    """Print one line per indicator and the first-call totals."""
    print(
        f"{'indicator':<10} {'quantdesk':>9} {'min':>6} {'talib':>7} {'min':>6} {'ratio':>6}"
        f" {'of min':>6} {'wall':>6} {'target':>6}  {'max rel diff':>12}"
        f"  {'compile':>8} {'cached':>7}"
    )
    for row in rows:
        name, mine, reference = row["indicator"], row["quantdesk"], row["talib"]
        print(
            f"{name:<10} {mine['cpu_median_ms']:>7.2f}ms {mine['cpu_min_ms']:>6.2f}"
            f" {reference['cpu_median_ms']:>5.2f}ms {reference['cpu_min_ms']:>6.2f}"
            f" {row['ratio']:>5.2f}x {row['ratio_of_minimums']:>5.2f}x {row['ratio_wall']:>5.2f}x"
            f" {row['target']:>5.1f}x  {row['max_relative_difference']:>12.1e}"
            f"  {cold['calls'][name] * 1e3:>6.0f}ms {warm['calls'][name] * 1e3:>5.1f}ms"
            f"  {'ok' if row['meets_target'] else 'SLOW'}"
        )
    print(
        f"first calls of all {len(cold['calls'])} indicators: compile "
        f"{sum(cold['calls'].values()):.1f}s, from the on-disk cache "
        f"{sum(warm['calls'].values()):.2f}s (import {warm['import']:.2f}s)"
    )


def wait_for_quiet(max_load: float | None, wait: float) -> None:
    """Sleep until the 1-minute load average is at most ``max_load`` or ``wait`` runs out."""
    deadline = time.monotonic() + wait
    while max_load is not None and os.getloadavg()[0] > max_load:
        if time.monotonic() >= deadline:
            print(f"load still {os.getloadavg()[0]:.2f} after {wait:.0f}s; measuring anyway")
            return
        time.sleep(5)


def arguments() -> argparse.Namespace:
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--only", default="", help="comma-separated indicator names")
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this core")
    parser.add_argument("--max-load", type=float, default=None, help="wait for this load")
    parser.add_argument("--wait", type=float, default=600.0, help="longest wait, seconds")
    return parser.parse_args()


def main() -> None:
    """Measure, print and write the results."""
    args = arguments()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    wanted = {name for name in args.only.split(",") if name}
    specs = [s for s in available() if s.talib and (not wanted or s.name in wanted)]
    with tempfile.TemporaryDirectory() as cache_dir:
        cold, warm = first_calls(cache_dir), first_calls(cache_dir)
    wait_for_quiet(args.max_load, args.wait)
    load_before = os.getloadavg()
    rows = measure(specs, market(args.bars), args.repeat)
    load_after = os.getloadavg()
    print(
        f"{args.bars:,} bars, median of {args.repeat} alternating runs after a warm-up, "
        f"thread CPU time; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print_table(rows, cold, warm)
    report = {
        "bars": args.bars,
        "repeat": args.repeat,
        "clock": "thread CPU time (ratio, target); wall time alongside",
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "pinned_cpu": args.cpu,
            "thread_limits": {name: os.environ[name] for name in THREAD_LIMITS},
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "versions": {
            "numpy": np.__version__,
            "numba": numba.__version__,
            "talib": talib.__version__,
        },
        "results": rows,
        "first_call_seconds": {"cold_compile": cold, "cached": warm},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
