"""The market-data path on 1,000,000 bars: import rows per second and load-to-Bars seconds.

Usage::

    .venv/bin/python benchmarks/bench_data.py [--bars 1000000] [--repeat 3] [--skip-postgres]

For each database it stores ``--bars`` one-minute synthetic bars through
``services.market_data.store_bars`` in one unit of work (commit included), stores them again
(every bar unchanged), then times ``load_bars`` of the whole series back into ``Bars``
(best of ``--repeat``, wall clock and this process's CPU time, which stays honest on a
shared machine). SQLite runs on a fresh file in a temporary directory; PostgreSQL on a
``<database>_bench`` database created next to ``TEST_DATABASE_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``) and dropped afterwards. Results go to
``benchmarks/results/data.json`` with the CPU count and the load average at the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from quantdesk.bars import Bars
from quantdesk.db import models  # noqa: F401  (registers every table)
from quantdesk.db.base import Base
from quantdesk.marketdata.synthetic import SyntheticSpec, synthetic_bars
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import market_data
from quantdesk.settings import Settings

RESULTS = Path(__file__).parent / "results" / "data.json"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGETS = {
    "sqlite": {"import_rows_per_s": 100_000, "load_s": 1.0},
    "postgres": {"import_rows_per_s": 200_000, "load_s": 1.0},
}
SECRET = "benchmark-secret-key-long-enough-for-any-environment-0123456789"  # noqa: S105


def bench_bars(count: int) -> Bars:
    """One-minute synthetic bars from 2020-01-01, the same on every run."""
    spec = SyntheticSpec("BENCH", "1m", datetime(2020, 1, 1, tzinfo=UTC), bars=count, seed=42)
    return synthetic_bars(spec)


async def measure(url: str, bars: Bars, repeat: int, var_dir: Path) -> dict[str, float]:
    """Import twice and load ``repeat`` times on the database at ``url``."""
    settings = Settings(env="test", var_dir=var_dir, database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
    runtime = build_runtime(settings)
    try:
        async with runtime.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        first = await timed_store(runtime, bars)
        again = await timed_store(runtime, bars)
        await timed_load(runtime, len(bars))  # compiled readers load their caches once
        loads = [await timed_load(runtime, len(bars)) for _ in range(repeat)]
    finally:
        await runtime.close()
    return {
        "import_s": first,
        "import_rows_per_s": len(bars) / first,
        "reimport_unchanged_rows_per_s": len(bars) / again,
        "load_s": min(wall for wall, _ in loads),
        "load_cpu_s": min(cpu for _, cpu in loads),
    }


async def timed_store(runtime: Runtime, bars: Bars) -> float:
    start = time.perf_counter()
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, "BENCH", bars)
    return time.perf_counter() - start


async def timed_load(runtime: Runtime, expected: int) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    async with runtime.context() as ctx:
        loaded = await market_data.load_bars(ctx, "BENCH", "1m")
    elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu
    if len(loaded) != expected:
        raise RuntimeError(f"loaded {len(loaded)} bars, stored {expected}")
    return elapsed, cpu_elapsed


async def admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


async def postgres(bars: Bars, repeat: int, var_dir: Path) -> dict[str, float]:
    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    name = f"{base.database}_bench"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    await admin(base.render_as_string(hide_password=False), drop, f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        return await measure(url, bars, repeat, var_dir)
    finally:
        await admin(base.render_as_string(hide_password=False), drop)


def report(results: dict[str, Any]) -> None:
    print(f"{results['bars']:,} bars, {results['cpu_count']} CPUs, load {results['load_average']}")
    columns = ("import rows/s", 14), ("target", 9), ("re-import", 12), ("load s", 8)
    columns += ("load cpu s", 11), ("target", 7)
    print(f"{'database':10}" + "".join(f" {name:>{width}}" for name, width in columns))
    for name, figures in results["databases"].items():
        target = TARGETS[name]
        print(
            f"{name:10} {figures['import_rows_per_s']:>14,.0f} {target['import_rows_per_s']:>9,}"
            f" {figures['reimport_unchanged_rows_per_s']:>12,.0f}"
            f" {figures['load_s']:>8.3f} {figures['load_cpu_s']:>11.3f} {target['load_s']:>7.1f}"
        )


async def main(count: int, repeat: int, skip_postgres: bool) -> dict[str, Any]:
    load_average = [round(value, 2) for value in os.getloadavg()]
    bars = bench_bars(count)
    with tempfile.TemporaryDirectory() as directory:
        var_dir = Path(directory)
        databases = {
            "sqlite": await measure(
                f"sqlite+aiosqlite:///{(var_dir / 'bench.db').as_posix()}", bars, repeat, var_dir
            )
        }
        if not skip_postgres:
            databases["postgres"] = await postgres(bars, repeat, var_dir)
    return {
        "bars": count,
        "cpu_count": os.cpu_count(),
        "load_average": load_average,
        "targets": TARGETS,
        "databases": databases,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments.bars, arguments.repeat, arguments.skip_postgres))
    report(outcome)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")
