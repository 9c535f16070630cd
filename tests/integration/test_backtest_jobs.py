"""Backtest jobs end to end on a worker pool: bus events, recorded failures, downsampling."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import orjson

from quantdesk.db.models import BacktestRun, User
from quantdesk.db.repositories.backtests import BacktestRunRepository
from quantdesk.runtime import Runtime
from quantdesk.services import backtests, jobs
from quantdesk.services.backtests import BacktestRequest, downsample
from tests.fixtures.backtest_jobs import wave
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import MakeUser

pytest_plugins = ["tests.fixtures.stored_bars", "tests.fixtures.backtest_jobs"]

REQUEST = BacktestRequest(
    strategy_type="sma_cross", parameters={"fast": 3, "slow": 12}, symbols=["WAVE"]
)


async def submit(runtime: Runtime, owner: User, *, drop_bars: bool = False) -> BacktestRun:
    async with runtime.context() as ctx:
        ctx.actor = owner
        state = await backtests.submit(ctx, REQUEST)
        if drop_bars:
            await BacktestRunRepository(ctx.session).clear_inputs(state.run.id)
        return state.run


async def final_run(runtime: Runtime, run_id: int, within: float = 30.0) -> BacktestRun:
    async def poll() -> BacktestRun:
        while True:
            async with runtime.context() as ctx:
                run = await ctx.session.get(BacktestRun, run_id)
                assert run is not None
                if run.status not in backtests.ACTIVE:
                    return run
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), within)


async def test_backtest_job_progress_published_on_bus(
    jobs_runtime: Runtime, make_user: MakeUser, store_daily: StoreDaily
) -> None:
    owner = await make_user()
    await store_daily("WAVE", wave())
    events: list[dict[str, Any]] = []

    async def listen(channel: str) -> None:
        async for _channel, message in jobs_runtime.bus.subscribe(channel):
            events.append(orjson.loads(message)["data"])
            if events[-1]["status"] == "succeeded":
                return

    async with jobs_runtime.context() as ctx:
        ctx.actor = owner
        state = await backtests.submit(ctx, REQUEST)
        assert state.run.job_id is not None
        listener = asyncio.create_task(listen(jobs.channel(state.run.job_id)))
        await asyncio.sleep(0.05)  # subscribed before the commit wakes the runner
    await asyncio.wait_for(listener, 30)
    statuses = [event["status"] for event in events]
    assert "running" in statuses
    assert statuses[-1] == "succeeded"
    assert events[-1]["progress"] == 1.0
    assert all(0.0 <= event["progress"] <= 1.0 for event in events)


async def test_backtest_job_failing_in_worker_records_error(
    jobs_runtime: Runtime, make_user: MakeUser, store_daily: StoreDaily
) -> None:
    owner = await make_user()
    await store_daily("WAVE", wave())
    run = await final_run(jobs_runtime, (await submit(jobs_runtime, owner, drop_bars=True)).id)
    assert run.status == "failed"
    assert run.error is not None
    assert "no stored bars" in run.error
    assert run.metrics == {}
    assert run.trades is None


async def test_backtest_job_succeeded_drops_bar_snapshot(
    jobs_runtime: Runtime, make_user: MakeUser, store_daily: StoreDaily
) -> None:
    owner = await make_user()
    await store_daily("WAVE", wave())
    run = await final_run(jobs_runtime, (await submit(jobs_runtime, owner)).id)
    assert run.status == "succeeded"
    assert run.progress == 1.0
    async with jobs_runtime.context() as ctx:
        stored = await ctx.session.get(BacktestRun, run.id)
        assert stored is not None
        await ctx.session.refresh(stored, ["inputs"])
        assert stored.inputs is None
        assert len(stored.equity_curve["equity"]) == 120  # type: ignore[index]


def test_downsample_keeps_ends_and_extremes() -> None:
    values = np.sin(np.arange(1_000) / 37.0) + np.arange(1_000) / 500
    values[613] = 10.0
    values[271] = -10.0
    keep = downsample(values, 40)
    assert len(keep) <= 40
    assert {0, 999, 613, 271} <= set(keep.tolist())
    assert np.all(np.diff(keep) > 0)


def test_downsample_short_curve_unchanged() -> None:
    assert downsample(np.arange(5.0), 10).tolist() == [0, 1, 2, 3, 4]
