"""Storing and loading bars through the service, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from quantdesk.bars import Bars
from quantdesk.db.base import Base
from quantdesk.db.models import Bar, Instrument
from quantdesk.db.repositories import bars as bars_repository
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import market_data
from quantdesk.services.market_data import ImportSummary
from quantdesk.settings import Settings
from tests.fixtures.apps import settings_with
from tests.fixtures.market_files import daily_bars, hourly_bars


async def store(
    runtime: Runtime, bars: Bars, symbol: str = "TEST", **options: object
) -> ImportSummary:
    async with runtime.context() as ctx:
        return await market_data.store_bars(ctx, symbol, bars, **options)  # type: ignore[arg-type]


async def load(runtime: Runtime, symbol: str, timeframe: str, **options: object) -> Bars:
    async with runtime.context() as ctx:
        return await market_data.load_bars(ctx, symbol, timeframe, **options)  # type: ignore[arg-type]


async def bar_count(runtime: Runtime) -> int:
    async with runtime.context() as ctx:
        return int(await ctx.session.scalar(select(func.count()).select_from(Bar)) or 0)


def assert_same(left: Bars, right: Bars) -> None:
    for name, values in left.columns.items():
        np.testing.assert_array_equal(values, right.columns[name], err_msg=name)


def with_close(bars: Bars, index: int, close: float) -> Bars:
    columns = {name: values.copy() for name, values in bars.columns.items()}
    columns["close"][index] = close
    columns["high"][index] = max(columns["high"][index], close)
    columns["low"][index] = min(columns["low"][index], close)
    return Bars.from_arrays(*columns.values(), timeframe=bars.timeframe)


async def test_store_bars_round_trip_exact(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bars_repository, "WRITE_CHUNK_ROWS", 7)
    bars = hourly_bars(50)
    seen: list[tuple[int, int]] = []
    async with runtime.context() as ctx:
        summary = await market_data.store_bars(
            ctx, "test", bars, progress=lambda d, t: seen.append((d, t))
        )
    assert (summary.symbol, summary.rows, summary.inserted, summary.updated) == ("TEST", 50, 50, 0)
    assert summary.first == datetime(2024, 1, 1, tzinfo=UTC)
    assert seen[-1] == (50, 50)
    loaded = await load(runtime, "test", "1h")
    assert (loaded.symbol, loaded.timeframe) == ("TEST", "1h")
    assert_same(loaded, bars)


async def test_store_bars_same_bars_twice_changes_nothing(runtime: Runtime) -> None:
    bars = daily_bars(20)
    await store(runtime, bars)
    again = await store(runtime, bars)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 20)
    assert await bar_count(runtime) == 20


async def test_store_bars_overlapping_batches_merge(runtime: Runtime) -> None:
    bars = daily_bars(10)
    await store(runtime, bars[:6])
    second = with_close(bars[4:], 0, float(bars.close[4]) * 1.01)
    summary = await store(runtime, second)
    assert (summary.inserted, summary.updated, summary.unchanged) == (4, 1, 1)
    loaded = await load(runtime, "TEST", "1d")
    assert len(loaded) == 10
    assert loaded.close[4] == second.close[0]
    np.testing.assert_array_equal(loaded.close[5:], bars.close[5:])


async def test_store_bars_invalid_bars_write_nothing(runtime: Runtime) -> None:
    bad = with_close(daily_bars(5), 2, float("nan"))
    with pytest.raises(ValidationError) as error:
        await store(runtime, bad)
    assert error.value.details[0]["row"] == 2
    assert await bar_count(runtime) == 0
    async with runtime.context() as ctx:
        assert await ctx.session.scalar(select(func.count()).select_from(Instrument)) == 0


async def test_store_bars_failure_later_in_unit_of_work_rolls_back(runtime: Runtime) -> None:
    async def store_then_fail() -> None:
        async with runtime.context() as ctx:
            await market_data.store_bars(ctx, "TEST", daily_bars(5))
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        await store_then_fail()
    assert await bar_count(runtime) == 0


async def test_store_bars_unknown_instrument_without_create_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        await store(runtime, daily_bars(3), create_instrument=False)


async def test_load_bars_window_and_limit(runtime: Runtime) -> None:
    bars = daily_bars(10)
    await store(runtime, bars)
    inside = await load(runtime, "TEST", "1d", start=datetime(2024, 1, 3), end=datetime(2024, 1, 5))
    assert inside.timestamps.tolist() == bars.timestamps[2:5].tolist()
    latest = await load(runtime, "TEST", "1d", limit=3)
    assert latest.timestamps.tolist() == bars.timestamps[-3:].tolist()
    forward = await load(runtime, "TEST", "1d", start=datetime(2024, 1, 2), limit=3)
    assert forward.timestamps.tolist() == bars.timestamps[1:4].tolist()


async def test_load_bars_coarser_timeframe_resampled_from_stored(runtime: Runtime) -> None:
    bars = hourly_bars(24 * 5)
    await store(runtime, bars)
    daily = await load(runtime, "TEST", "1d")
    assert_same(daily, bars.resample("1d"))
    assert daily.timeframe == "1d"
    middle = await load(runtime, "TEST", "1d", start=datetime(2024, 1, 2, 13, tzinfo=UTC), limit=2)
    assert_same(middle, bars.resample("1d")[1:3])


async def test_load_bars_no_divisor_stored_not_found(runtime: Runtime) -> None:
    await store(runtime, daily_bars(3))
    with pytest.raises(NotFoundError, match="TEST at 1h"):
        await load(runtime, "TEST", "1h")
    with pytest.raises(NotFoundError, match="NOPE"):
        await load(runtime, "NOPE", "1d")


async def test_load_bars_symbol_on_two_exchanges_needs_exchange(runtime: Runtime) -> None:
    await store(runtime, daily_bars(3, seed=1), exchange="NYSE")
    await store(runtime, daily_bars(3, seed=2), exchange="LSE")
    with pytest.raises(ValidationError, match="several exchanges"):
        await load(runtime, "TEST", "1d")
    london = await load(runtime, "TEST", "1d", exchange="lse")
    np.testing.assert_array_equal(london.close, daily_bars(3, seed=2).close)


async def test_load_bars_reads_rows_written_by_the_orm(runtime: Runtime) -> None:
    moment = datetime(2024, 2, 1, 9, 30, 0, 123456, tzinfo=UTC)
    async with runtime.context() as ctx:
        instrument = Instrument(symbol="ORM", exchange="")
        ctx.session.add(instrument)
        await ctx.session.flush()
        ctx.session.add(
            Bar(
                instrument_id=instrument.id,
                timeframe="1m",
                ts=moment,
                open=1,
                high=2,
                low=0.5,
                close=1.5,
            )
        )
    loaded = await load(runtime, "ORM", "1m")
    assert loaded.timestamps.tolist() == [int(moment.timestamp()) * 10**9 + 123_456_000]
    again = await store(runtime, loaded, symbol="ORM")
    assert again.unchanged == 1


async def test_store_bars_rows_appearing_after_the_check_still_merge(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars = daily_bars(6)
    await store(runtime, bars[:3])
    counts = iter([0, 6])  # as if another writer added the first rows after the check

    async def count(*_args: object) -> int:
        return next(counts)

    monkeypatch.setattr(bars_repository.BarRepository, "count", count)
    await store(runtime, with_close(bars, 0, float(bars.close[0]) * 1.05))
    monkeypatch.undo()
    loaded = await load(runtime, "TEST", "1d")
    assert len(loaded) == 6
    assert loaded.close[0] == pytest.approx(bars.close[0] * 1.05)


async def test_load_bars_in_unit_of_work_sees_its_own_unsaved_bars(runtime: Runtime) -> None:
    bars = daily_bars(7)
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, "TEST", bars[:3])
        await market_data.store_bars(ctx, "TEST", bars[3:])
        loaded = await market_data.load_bars(ctx, "TEST", "1d")
    assert_same(loaded, bars)


async def test_load_bars_sees_bars_committed_meanwhile(runtime: Runtime) -> None:
    bars = daily_bars(10)
    await store(runtime, bars[:5])
    async with runtime.context() as reader:
        before = await market_data.load_bars(reader, "TEST", "1d")
        await store(runtime, bars[5:])
        after = await market_data.load_bars(reader, "TEST", "1d")
    assert (len(before), len(after)) == (5, 10)
    assert_same(after, bars)


async def test_load_bars_window_without_stored_bars_is_empty(runtime: Runtime) -> None:
    await store(runtime, daily_bars(5))
    loaded = await load(runtime, "TEST", "1d", start=datetime(2025, 1, 1, tzinfo=UTC))
    assert (len(loaded), loaded.timeframe, loaded.symbol) == (0, "1d", "TEST")


async def test_load_bars_in_memory_sqlite_round_trip(settings: Settings, tmp_path: Path) -> None:
    memory = build_runtime(settings_with(settings, database_url="sqlite+aiosqlite://"))
    try:
        async with memory.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        bars = hourly_bars(30)
        await store(memory, bars)
        assert_same(await load(memory, "TEST", "1h"), bars)
    finally:
        await memory.close()
