"""The executor port on a local process pool: the default, and all that embedded mode needs.

Workers start from a forkserver (or spawn) context, never a plain fork: the parent runs an
event loop and threads, and a forked copy of their locks can deadlock. The forkserver imports
the handler modules once, so each new worker forks from a warm process instead of paying the
imports again.

Progress travels back on one ``multiprocessing`` queue shared by every worker (handed over
at worker start-up, the only moment a queue may be passed) and drained by one thread that
hands each report to the event loop. Cancellation goes the other way through a small ring of
cancelled task ids in shared memory, which a worker checks at each report: no extra manager
process, no round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.context import BaseContext
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import structlog

from quantdesk.jobs.registry import load_modules
from quantdesk.ports.executor import (
    ChunkProgressCallback,
    ProgressCallback,
    TaskCancelledError,
    WorkerLostError,
)

T = TypeVar("T")
StartMethod = Literal["forkserver", "spawn"]
ProgressQueue: TypeAlias = "Queue[tuple[int, float, str | None] | None]"

CANCELLED_SLOTS = 256
END_OF_REPORTS = -1.0
REPORTS_GRACE_SECONDS = 1.0

logger = structlog.get_logger(__name__)


class ProcessPoolExecutorAdapter:
    """Run tasks in a pool of ``workers`` local processes.

    The pool starts its processes on demand and is rebuilt after a worker dies, so one
    crashed task (``os._exit``, the out-of-memory killer) fails with ``WorkerLostError``
    without taking later tasks down with it.
    """

    name = "process-pool"

    def __init__(
        self,
        workers: int,
        *,
        preload: Sequence[str] = (),
        start_method: StartMethod = "forkserver",
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._workers = workers
        self._preload = tuple(preload)
        self._context = _context(start_method, self._preload)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, ProgressCallback] = {}
        self._reported: dict[int, asyncio.Event] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._queue: ProgressQueue | None = None
        self._cancelled: SynchronizedArray[int] | None = None
        self._cancel_slot = itertools.count()
        self._drain: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def capacity(self) -> int:
        return self._workers

    async def start(self) -> None:
        """Remember the event loop progress is delivered on; processes start on demand."""
        self._loop = asyncio.get_running_loop()

    def submit(
        self, fn: Callable[..., T], *args: Any, on_progress: ProgressCallback | None = None
    ) -> LocalTaskHandle[T]:
        """Run ``fn(*args, report)`` in a worker process."""
        task_id = next(self._ids)
        if on_progress is not None:
            self._callbacks[task_id] = on_progress
        self._reported[task_id] = asyncio.Event()
        try:
            future = self._ensure_pool().submit(_call, task_id, fn, args)
        except BrokenProcessPool:
            self._discard_pool()
            future = self._ensure_pool().submit(_call, task_id, fn, args)
        return LocalTaskHandle(task_id, future, self)

    def map(
        self,
        fn: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        on_progress: ChunkProgressCallback | None = None,
    ) -> list[LocalTaskHandle[T]]:
        """Submit one task per argument tuple, in order."""
        return [
            self.submit(fn, *args, on_progress=partial(on_progress, index) if on_progress else None)
            for index, args in enumerate(arguments)
        ]

    async def shutdown(self, *, wait: bool = True) -> None:
        """Stop the pool (waiting for running tasks when ``wait``) and the progress thread."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # No public way to stop a running task before Python 3.14's terminate_workers().
            processes = list((getattr(pool, "_processes", None) or {}).values())
            await asyncio.to_thread(pool.shutdown, wait=wait, cancel_futures=not wait)
            for process in processes if not wait else ():
                if process.is_alive():
                    process.terminate()
        if self._queue is not None and self._drain is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._drain.join, 5)
            self._queue.close()
        self._queue = self._drain = self._cancelled = None

    def _cancel(self, task_id: int, future: Future[Any]) -> None:
        future.cancel()
        if self._cancelled is not None:
            self._cancelled[next(self._cancel_slot) % CANCELLED_SLOTS] = task_id

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            queue, cancelled = self._channels()
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=self._context,
                initializer=_initialise,
                initargs=(queue, cancelled, self._preload),
            )
        return self._pool

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            logger.warning("process_pool_rebuilt", reason="a worker process died")

    def _channels(self) -> tuple[ProgressQueue, SynchronizedArray[int]]:
        if self._queue is None or self._cancelled is None:
            loop = self._loop or asyncio.get_running_loop()
            self._queue = self._context.Queue()
            self._cancelled = self._context.Array("q", CANCELLED_SLOTS)
            self._drain = threading.Thread(
                target=self._drain_progress,
                args=(self._queue, loop),
                name="quantdesk-progress",
                daemon=True,
            )
            self._drain.start()
        return self._queue, self._cancelled

    def _drain_progress(self, queue: ProgressQueue, loop: asyncio.AbstractEventLoop) -> None:
        while (item := queue.get()) is not None:
            try:
                loop.call_soon_threadsafe(self._deliver, *item)
            except RuntimeError:  # the loop has closed: nobody is listening any more
                return

    def _deliver(self, task_id: int, fraction: float, message: str | None) -> None:
        if fraction == END_OF_REPORTS:
            self._callbacks.pop(task_id, None)
            if (reported := self._reported.get(task_id)) is not None:
                reported.set()
            return
        callback = self._callbacks.get(task_id)
        if callback is not None:
            callback(fraction, message)

    async def _reports_delivered(self, task_id: int, *, ran: bool) -> None:
        # A task's last reports may still be in the queue when its result arrives; wait
        # for its end marker so no report lands after the caller has moved on.
        reported = self._reported.get(task_id)
        if reported is not None and ran:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REPORTS_GRACE_SECONDS):
                    await reported.wait()
        self._reported.pop(task_id, None)
        self._callbacks.pop(task_id, None)


class LocalTaskHandle(Generic[T]):
    """A task in the pool: await it for its result."""

    def __init__(
        self, task_id: int, future: Future[T], executor: ProcessPoolExecutorAdapter
    ) -> None:
        self.key = f"local-{task_id}"
        self._task_id = task_id
        self._future = future
        self._executor = executor

    def cancel(self) -> None:
        self._executor._cancel(self._task_id, self._future)

    def done(self) -> bool:
        return self._future.done()

    def __await__(self) -> Generator[Any, None, T]:
        return self._result().__await__()

    async def _result(self) -> T:
        ran = True
        try:
            return await asyncio.wrap_future(self._future)
        except asyncio.CancelledError:
            if not self._future.cancelled():
                raise
            ran = False
            raise TaskCancelledError(f"task {self.key} was cancelled") from None
        except BrokenProcessPool:
            ran = False
            self._executor._discard_pool()
            raise WorkerLostError(
                f"the worker process running task {self.key} died; it was killed or ran out "
                "of memory"
            ) from None
        finally:
            await self._executor._reports_delivered(self._task_id, ran=ran)


def _context(start_method: StartMethod, preload: tuple[str, ...]) -> BaseContext:
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(["quantdesk.jobs.registry", *preload])
    return context


class _WorkerState:
    queue: ProgressQueue | None = None
    cancelled: SynchronizedArray[int] | None = None


def _initialise(
    queue: ProgressQueue,
    cancelled: SynchronizedArray[int],
    preload: tuple[str, ...],
) -> None:
    _WorkerState.queue, _WorkerState.cancelled = queue, cancelled
    load_modules(preload)


def _call(task_id: int, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    try:
        return fn(*args, partial(_report, task_id))
    finally:
        if _WorkerState.queue is not None:
            _WorkerState.queue.put((task_id, END_OF_REPORTS, None))


def _report(task_id: int, fraction: float, message: str | None) -> None:
    cancelled, queue = _WorkerState.cancelled, _WorkerState.queue
    if cancelled is not None and task_id in cancelled[:]:
        raise TaskCancelledError(f"task local-{task_id} was cancelled")
    if queue is not None:
        queue.put((task_id, fraction, message))
