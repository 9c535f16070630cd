"""The same job kinds on a Dask LocalCluster: results, chunks, progress and cancellation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from distributed import LocalCluster

from quantdesk.jobs.dask import DaskExecutor
from quantdesk.runtime import Runtime
from quantdesk.services import jobs
from tests.fixtures.job_handlers import JOB_HANDLER_MODULES
from tests.fixtures.jobs import load, make_runner, running, submit, wait_for
from tests.fixtures.users import MakeUser


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dask_executor() -> AsyncIterator[DaskExecutor]:
    """A one-worker, two-thread cluster in this process, shared by the module."""
    async with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        asynchronous=True,
        dashboard_address=None,
    ) as cluster:
        executor = DaskExecutor(cluster, preload=JOB_HANDLER_MODULES)
        await executor.start()
        yield executor
        await executor.shutdown()


async def test_dask_job_succeeds_with_progress(
    runtime: Runtime, dask_executor: DaskExecutor, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.steps", {"steps": 4, "pause": 0.1})
    async with running(make_runner(runtime, dask_executor)):
        midway = await wait_for(runtime, job.id, lambda row: 0 < row.progress < 1)
        done = await wait_for(runtime, job.id)
    assert midway.status == "running"
    assert (done.status, done.result, done.progress) == (
        "succeeded",
        {"steps": 4, "echo": None},
        1.0,
    )


async def test_dask_chunked_job_combines_chunks(
    runtime: Runtime, dask_executor: DaskExecutor, make_user: MakeUser
) -> None:
    payload = {"numbers": list(range(1, 8)), "chunk": 2}
    job = await submit(runtime, await make_user(), "test.sum", payload)
    async with running(make_runner(runtime, dask_executor)):
        done = await wait_for(runtime, job.id)
    assert done.result == {"total": 28, "parts": [3, 7, 11, 7]}


async def test_dask_crash_recorded_as_failure(
    runtime: Runtime, dask_executor: DaskExecutor, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.crash", {"message": "empty window"})
    async with running(make_runner(runtime, dask_executor)):
        done = await wait_for(runtime, job.id)
    assert (done.status, done.error) == ("failed", "ValueError: empty window")


async def test_dask_cancel_running_job_stops_it(
    runtime: Runtime, dask_executor: DaskExecutor, make_user: MakeUser
) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.until_cancelled", {})
    async with running(make_runner(runtime, dask_executor)) as runner:
        await wait_for(runtime, job.id, lambda row: row.progress > 0)
        async with runtime.context() as ctx:
            ctx.actor = owner
            await jobs.cancel(ctx, job.id)
        after = await submit(runtime, owner, "test.steps", {"steps": 1})
        assert (await wait_for(runtime, after.id)).status == "succeeded"
        assert job.id not in runner.running_ids
    assert (await load(runtime, job.id)).result is None
