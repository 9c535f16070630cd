"""The job runner on a local process pool: results, progress, failures, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from quantdesk.db.repositories.jobs import JobRepository
from quantdesk.jobs.local import ProcessPoolExecutorAdapter
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import jobs
from quantdesk.services.events import decode
from quantdesk.settings import Settings
from tests.fixtures.apps import settings_with
from tests.fixtures.jobs import load, make_runner, process_pool, running, submit, wait_for
from tests.fixtures.users import MakeUser

__all__ = ["process_pool"]

Pool = ProcessPoolExecutorAdapter


async def test_runner_submitted_job_succeeds_with_result(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.steps", {"steps": 3, "echo": "hello"})
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert done.status == "succeeded"
    assert done.result == {"steps": 3, "echo": "hello"}
    assert (done.progress, done.attempts, done.error) == (1.0, 1, None)
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at


async def test_runner_progress_events_arrive_in_order(
    settings: Settings, cache_url: str | None, process_pool: Pool, make_user: MakeUser
) -> None:
    runtime = build_runtime(settings_with(settings, redis_url=cache_url))
    try:
        owner = await make_user()
        job = await submit(runtime, owner, "test.steps", {"steps": 4, "pause": 0.15})
        events = await _collect_events(runtime, job.id, process_pool)
    finally:
        await runtime.close()
    statuses = [event["status"] for event in events]
    progress = [event["progress"] for event in events]
    assert statuses[0] == "running"
    assert statuses[-1] == "succeeded"
    assert set(statuses[1:-1]) == {"running"}
    assert progress == sorted(progress)
    assert {0.25, 0.5, 0.75} <= set(progress)
    assert "step 3 of 4" in [event.get("message") for event in events]


async def _collect_events(runtime: Runtime, job_id: int, pool: Pool) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    seen_midway: list[float] = []
    subscription = runtime.bus.subscribe(jobs.channel(job_id))
    reader = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0.1)  # Redis needs the subscription in place before anything is sent
    async with running(make_runner(runtime, pool)):
        while not events or events[-1]["status"] == "running":
            _channel, message = await asyncio.wait_for(reader, 20)
            event = decode(jobs.channel(job_id), message)
            assert event.kind == "job"
            events.append(event.data)
            seen_midway.append((await load(runtime, job_id)).progress)
            reader = asyncio.ensure_future(anext(subscription))
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    await subscription.aclose()  # type: ignore[attr-defined]
    assert any(0 < fraction < 1 for fraction in seen_midway), "the row's progress never advanced"
    return events


async def test_runner_crashing_handler_fails_with_error(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.crash", {"message": "no bars for XYZ"})
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert done.status == "failed"
    assert done.error == "ValueError: no bars for XYZ"
    assert done.result is None
    assert "Traceback" not in (done.error or "")


async def test_runner_cancel_running_job_cancelled_without_result(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.until_cancelled", {})
    async with running(make_runner(runtime, process_pool)) as runner:
        await wait_for(runtime, job.id, lambda row: row.progress > 0)
        async with runtime.context() as ctx:
            ctx.actor = owner
            await jobs.cancel(ctx, job.id)
        for _ in range(200):
            if not runner.running_ids:
                break
            await asyncio.sleep(0.02)
        assert runner.running_ids == []
        after = await submit(runtime, owner, "test.steps", {"steps": 1})
        assert (await wait_for(runtime, after.id)).status == "succeeded"
    cancelled = await load(runtime, job.id)
    assert (cancelled.status, cancelled.result) == ("cancelled", None)


async def test_runner_worker_process_dies_retried_then_failed(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.die", {}, max_attempts=2)
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
        after = await submit(runtime, None, "test.steps", {"steps": 1})
        assert (await wait_for(runtime, after.id)).status == "succeeded"
    assert done.status == "failed"
    assert done.attempts == 2
    assert done.error == "worker died while running (attempt 2 of 2)"


async def test_runner_transient_failure_retried_and_succeeds(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser, tmp_path: Path
) -> None:
    payload = {"marker": str(tmp_path / "attempted")}
    job = await submit(runtime, await make_user(), "test.flaky", payload, max_attempts=2)
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert (done.status, done.attempts, done.result) == ("succeeded", 2, {"attempt": "second"})


async def test_runner_transient_failure_without_attempts_left_fails(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser, tmp_path: Path
) -> None:
    payload = {"marker": str(tmp_path / "attempted")}
    job = await submit(runtime, await make_user(), "test.flaky", payload)
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert (done.status, done.attempts) == ("failed", 1)
    assert done.error == "UnavailableError: the data store is unreachable"


async def test_runner_chunked_job_splits_and_combines_in_order(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    payload = {"numbers": list(range(1, 11)), "chunk": 3}
    job = await submit(runtime, await make_user(), "test.sum", payload)
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert done.status == "succeeded"
    assert done.result == {"total": 55, "parts": [6, 15, 24, 10]}


async def test_runner_higher_priority_claimed_first(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    owner = await make_user()
    low = await submit(runtime, owner, "test.steps", {"steps": 1}, priority=-5)
    high = await submit(runtime, owner, "test.steps", {"steps": 1}, priority=5)
    async with running(make_runner(runtime, process_pool, concurrency=1)):
        first, second = await wait_for(runtime, high.id), await wait_for(runtime, low.id)
    assert first.started_at is not None
    assert second.started_at is not None
    assert first.started_at <= second.started_at


async def test_runner_stop_requeues_running_job_without_spending_attempt(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.until_cancelled", {})
    runner = make_runner(runtime, process_pool)
    await runner.start()
    await wait_for(runtime, job.id, lambda row: row.progress > 0)
    await runner.stop(grace_seconds=0.1)
    requeued = await load(runtime, job.id)
    assert (requeued.status, requeued.attempts, requeued.worker_id) == ("queued", 0, None)


async def test_runner_observer_counts_finished_jobs(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    observed = _Observer()
    job = await submit(runtime, await make_user(), "test.steps", {"steps": 1})
    async with running(make_runner(runtime, process_pool, observer=observed)):
        await wait_for(runtime, job.id)
        await asyncio.sleep(0.1)
    assert [(kind, status) for kind, status, _ in observed.finished] == [
        ("test.steps", "succeeded")
    ]
    assert observed.counts == {"succeeded": 1}


class _Observer:
    def __init__(self) -> None:
        self.finished: list[tuple[str, str, float]] = []
        self.counts: dict[str, int] = {}

    def job_finished(self, kind: str, status: str, seconds: float) -> None:
        self.finished.append((kind, status, seconds))

    def job_counts(self, counts: Any) -> None:
        self.counts = dict(counts)


async def test_job_row_final_write_happens_once(
    runtime: Runtime, process_pool: Pool, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.steps", {"steps": 1})
    async with running(make_runner(runtime, process_pool)) as runner:
        done = await wait_for(runtime, job.id)
        async with runtime.context() as ctx:
            again = await JobRepository(ctx.session).finish(
                job.id, runner.worker_id, status="failed", now=done.finished_at, error="late"
            )
    assert again is False
    assert (await load(runtime, job.id)).status == "succeeded"
