"""The job runner: claim queued jobs, run them on an executor, and settle them once.

One runner lives in each ``quantdesk worker`` process, and in the API process in embedded
mode. It claims as many due jobs as its executor runs at once (best priority first; the
claim is atomic, so runners never share a job), runs each job's handler off the event
loop, relays progress to the row and the bus, heartbeats, and writes the final status and
result in one transaction together with the kind's completion hooks.

A cancelled job (its row set to ``cancelled`` by ``jobs.cancel``) has its tasks cancelled
and nothing written. A worker that dies, or a handler failing with a transient error, puts
the job back in the queue while attempts remain. See docs/jobs.md for the sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import orjson
import structlog

from quantdesk.db.base import utcnow
from quantdesk.db.models import Job
from quantdesk.db.repositories.jobs import JobRepository
from quantdesk.jobs import registry
from quantdesk.jobs.registry import HandlerError
from quantdesk.ports.bus import Bus
from quantdesk.ports.executor import Executor, TaskCancelledError, TaskHandle, WorkerLostError
from quantdesk.services import jobs
from quantdesk.services.job_recovery import Contexts, death_reason, new_worker_id, recover

logger = structlog.get_logger(__name__)

STOP_GRACE_SECONDS = 1.0
Result = dict[str, Any]


class JobObserver(Protocol):
    """Receives figures for metrics: finished jobs, and the jobs per status now and then."""

    def job_finished(self, kind: str, status: str, seconds: float) -> None: ...

    def job_counts(self, counts: Mapping[str, int]) -> None: ...


@dataclass(frozen=True)
class RunnerOptions:
    """How a runner paces itself; the composition root fills these in from settings."""

    handler_modules: tuple[str, ...] = ()
    concurrency: int | None = None
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 10.0
    stale_after_seconds: float = 60.0
    progress_interval_seconds: float = 0.5
    retry_backoff_seconds: float = 2.0
    worker_id: str = field(default_factory=new_worker_id)


@dataclass
class _Active:
    """A job this runner is running, and what its tasks have reported."""

    job: Job
    handles: list[TaskHandle[Result]] = field(default_factory=list)
    fractions: list[float] = field(default_factory=lambda: [0.0])
    message: str | None = None
    written: float = 0.0
    dirty: bool = False
    written_at: float = 0.0
    beat_at: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.monotonic)
    poked: bool = False
    stopped: bool = False

    @property
    def progress(self) -> float:
        return min(max(sum(self.fractions) / len(self.fractions), 0.0), 1.0)

    def report(self, index: int, fraction: float, message: str | None) -> None:
        self.fractions[index] = max(self.fractions[index], fraction)
        self.message = message or self.message
        self.dirty = self.progress > self.written

    def cancel(self) -> None:
        self.stopped = True
        for handle in self.handles:
            handle.cancel()


class JobRunner:
    """Claims, runs, heartbeats and settles jobs until stopped."""

    def __init__(
        self,
        contexts: Contexts,
        executor: Executor,
        bus: Bus,
        options: RunnerOptions | None = None,
        observer: JobObserver | None = None,
    ) -> None:
        self._contexts = contexts
        self._executor = executor
        self._bus = bus
        self.options = options or RunnerOptions()
        self.observer = observer
        self._active: dict[int, _Active] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None

    @property
    def worker_id(self) -> str:
        return self.options.worker_id

    @property
    def capacity(self) -> int:
        return self.options.concurrency or self._executor.capacity

    @property
    def running_ids(self) -> list[int]:
        """The ids of the jobs this runner holds now."""
        return sorted(self._active)

    async def start(self) -> None:
        """Start the executor, recover what dead workers left, and begin claiming."""
        await self._executor.start()
        try:
            await self._sweep()
        except Exception:
            # The claim loop sweeps again; a database that is down at start must not stop the
            # server, whose readiness check will say what is wrong.
            logger.exception("job_recovery_failed", worker_id=self.worker_id)
        self._listener = asyncio.create_task(self._listen(), name="jobs-listener")
        self._loop_task = asyncio.create_task(self._claim_loop(), name="jobs-claim")
        logger.info("job_runner_started", worker_id=self.worker_id, capacity=self.capacity)

    async def stop(self, *, grace_seconds: float = 30.0) -> None:
        """Stop claiming, give running jobs ``grace_seconds``, then requeue the rest.

        Jobs still running at the deadline are asked to stop (their next progress report
        raises), then put back in the queue without spending an attempt.
        """
        self._stopping = True
        for task in (self._loop_task, self._listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace_seconds)
        for active in list(self._active.values()):
            active.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for active in list(self._active.values()):
            await self._requeue(active)
        for task in list(self._tasks):
            task.cancel()
        await self._executor.shutdown(wait=False)
        logger.info("job_runner_stopped", worker_id=self.worker_id)

    def wake(self) -> None:
        """Look for queued jobs now rather than at the next poll."""
        self._wake.set()

    async def _claim_loop(self) -> None:
        last_sweep = time.monotonic()
        while not self._stopping:
            try:
                await self._claim()
                if time.monotonic() - last_sweep >= self.options.stale_after_seconds / 2:
                    last_sweep = time.monotonic()
                    await self._sweep()
                await self._count()
            except Exception:
                logger.exception("job_claim_failed", worker_id=self.worker_id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.options.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def _claim(self) -> None:
        free = self.capacity - len(self._active)
        if free <= 0:
            return
        async with self._contexts() as ctx:
            claimed = await JobRepository(ctx.session).claim(
                self.worker_id, now=utcnow(), limit=free
            )
            for job in claimed:
                jobs.publish(ctx, job)
        for job in claimed:
            self._active[job.id] = _Active(job)
            task = asyncio.create_task(self._run(self._active[job.id]), name=f"job-{job.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        await recover(
            self._contexts,
            worker_id=self.worker_id,
            stale_after_seconds=self.options.stale_after_seconds,
        )

    async def _count(self) -> None:
        if self.observer is not None:
            async with self._contexts() as ctx:
                self.observer.job_counts(await JobRepository(ctx.session).count_by_status())

    async def _listen(self) -> None:
        # The bus only speeds things up (polling finds the same jobs), so a bus that is down
        # is retried at the poll interval rather than allowed to end the listener.
        while not self._stopping:
            try:
                await self._follow_bus()
            except Exception as error:
                logger.warning("job_bus_unavailable", error_type=type(error).__name__)
                await asyncio.sleep(self.options.poll_seconds)

    async def _follow_bus(self) -> None:
        channels = (jobs.QUEUED_CHANNEL, jobs.CANCELLED_CHANNEL)
        async for channel, message in self._bus.subscribe(*channels):
            if channel == jobs.QUEUED_CHANNEL:
                self._wake.set()
            elif (active := self._active.get(int(message))) is not None:
                active.poked = True

    async def _run(self, active: _Active) -> None:
        job = active.job
        logger.info("job_started", job_id=job.id, kind=job.kind, attempt=job.attempts)
        try:
            outcome: Result | BaseException
            try:
                submitted = self._submit(active)
            except Exception as error:
                outcome = error
            else:
                outcome = await self._supervise(active, submitted)
            await self._settle(active, outcome)
        except Exception:
            logger.exception("job_runner_error", job_id=job.id, kind=job.kind)
        finally:
            self._active.pop(job.id, None)
            self._wake.set()

    def _submit(self, active: _Active) -> Awaitable[Result]:
        job, modules = active.job, self.options.handler_modules
        kind = registry.get_kind(job.kind)
        if kind.split is None or kind.combine is None:
            handle = self._executor.submit(
                registry.execute, job.kind, job.payload, modules,
                on_progress=lambda fraction, message: active.report(0, fraction, message),
            )  # fmt: skip
            active.handles = [handle]
            return _first(handle)
        chunks = kind.split(job.payload)
        active.fractions = [0.0] * max(len(chunks), 1)
        arguments = [(job.kind, chunk, modules) for chunk in chunks]
        active.handles = list(self._executor.map(registry.execute, arguments, active.report))
        return _combined(active.handles, kind.combine)

    async def _supervise(
        self, active: _Active, outcome: Awaitable[Result]
    ) -> Result | BaseException:
        waiter = asyncio.ensure_future(outcome)
        tick = max(0.02, min(self.options.progress_interval_seconds, 0.5))
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=tick)
            if done:
                return waiter.exception() or waiter.result()
            if not await self._tick(active):
                active.cancel()

    async def _tick(self, active: _Active) -> bool:
        """Write progress and heartbeat when due; False when the job is no longer ours."""
        try:
            return await self._beat(active)
        except Exception:  # the database may be back by the next tick; keep the job running
            logger.exception("job_heartbeat_failed", job_id=active.job.id)
            return True

    async def _beat(self, active: _Active) -> bool:
        now = time.monotonic()
        write_progress = active.dirty and (
            now - active.written_at >= self.options.progress_interval_seconds
        )
        beat = now - active.beat_at >= self.options.heartbeat_seconds
        if active.stopped or not (write_progress or beat or active.poked):
            return True
        active.poked = False
        progress = active.progress if write_progress else None
        async with self._contexts() as ctx:
            held = await JobRepository(ctx.session).heartbeat(
                active.job.id, self.worker_id, now=utcnow(), progress=progress
            )
            if held and progress is not None:
                jobs.publish_progress(ctx, active.job.id, progress, active.message)
        active.beat_at = now
        if progress is not None:
            active.written, active.written_at, active.dirty = progress, now, False
        return held

    async def _settle(self, active: _Active, outcome: Result | BaseException) -> None:
        job = active.job
        if isinstance(outcome, dict):
            await self._finish(active, "succeeded", result=outcome)
        elif isinstance(outcome, TaskCancelledError):
            await self._cancelled(active)
        elif isinstance(outcome, WorkerLostError):
            await self._retry_or_fail(active, death_reason(job), transient=True)
        elif isinstance(outcome, HandlerError):
            logger.error(
                "job_handler_failed",
                job_id=job.id,
                kind=job.kind,
                error_type=outcome.type_name,
                traceback=outcome.trace,
            )
            await self._retry_or_fail(active, str(outcome), transient=outcome.transient)
        else:
            logger.error("job_failed", job_id=job.id, kind=job.kind, exc_info=outcome)
            await self._finish(active, "failed", error=f"{type(outcome).__name__}: {outcome}")

    async def _cancelled(self, active: _Active) -> None:
        if self._stopping:
            await self._requeue(active)
        else:
            logger.info("job_cancelled_stopped", job_id=active.job.id)

    async def _requeue(self, active: _Active) -> None:
        now = utcnow()
        async with self._contexts() as ctx:
            released = await JobRepository(ctx.session).release(
                active.job.id, self.worker_id, now=now, run_at=now, error=None, refund_attempt=True
            )
            if released:
                active.job.status = "queued"
                jobs.publish(ctx, active.job)
        self._active.pop(active.job.id, None)
        logger.info("job_requeued_on_shutdown", job_id=active.job.id, released=released)

    async def _retry_or_fail(self, active: _Active, error: str, *, transient: bool) -> None:
        job = active.job
        if not transient or job.attempts >= job.max_attempts:
            await self._finish(active, "failed", error=error)
            return
        delay = self.options.retry_backoff_seconds * 2 ** (job.attempts - 1)
        now = utcnow()
        async with self._contexts() as ctx:
            released = await JobRepository(ctx.session).release(
                job.id, self.worker_id, now=now, run_at=now + timedelta(seconds=delay), error=error
            )
            if released:
                job.status, job.error = "queued", error
                jobs.publish(ctx, job)
        logger.warning("job_retry_scheduled", job_id=job.id, attempt=job.attempts, error=error)

    async def _finish(
        self,
        active: _Active,
        status: str,
        *,
        result: Result | None = None,
        error: str | None = None,
    ) -> None:
        if result is not None and (problem := _not_json(result)) is not None:
            status, result, error = "failed", None, problem
        try:
            written = await self._write_final(active.job.id, status, result, error, hooks=True)
        except Exception as hook_error:
            logger.exception("job_finished_hook_failed", job_id=active.job.id)
            message = f"completion hook failed: {type(hook_error).__name__}: {hook_error}"
            written = await self._write_final(active.job.id, "failed", None, message, hooks=False)
            status = "failed"
        if written and self.observer is not None:
            self.observer.job_finished(active.job.kind, status, time.monotonic() - active.started)
        logger.info("job_finished", job_id=active.job.id, status=status, written=written)

    async def _write_final(
        self, job_id: int, status: str, result: Result | None, error: str | None, *, hooks: bool
    ) -> bool:
        async with self._contexts() as ctx:
            repository = JobRepository(ctx.session)
            if not await repository.finish(
                job_id, self.worker_id, status=status, now=utcnow(), result=result, error=error
            ):
                return False
            job = await repository.get(job_id)
            assert job is not None
            await ctx.session.refresh(job)
            if hooks:
                await jobs.run_finished_hooks(ctx, job)
            jobs.publish(ctx, job)
        return True


async def _first(handle: TaskHandle[Result]) -> Result:
    return await handle


async def _combined(handles: list[TaskHandle[Result]], combine: registry.Combine) -> Result:
    try:
        results = await asyncio.gather(*(_first(handle) for handle in handles))
    except BaseException:
        for handle in handles:
            handle.cancel()
        raise
    return combine(list(results))


def _not_json(result: Result) -> str | None:
    try:
        orjson.dumps(result)
    except TypeError as error:
        return f"TypeError: the handler's result is not JSON-ready ({error})"
    return None
