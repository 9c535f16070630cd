"""The executor port on a Dask distributed cluster, for sweeps larger than one machine.

Chosen when ``QUANTDESK_DASK_SCHEDULER`` names a scheduler (``tcp://host:8786``). Workers
need QuantDesk and the handler modules installed; the executor imports the modules on every
connected worker at start, and each task imports them again if needed (free when loaded).

Progress goes through one ``distributed.Queue`` per executor: a worker puts
``[task key, fraction, message]`` and the executor drains it on the event loop. A Queue
keeps every report in order on the scheduler, unlike pub/sub, which drops what is sent
before a subscriber is known. Cancellation sets a ``distributed.Event`` named after the
task, which the task checks at each report: Dask cannot interrupt a running task itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Generator, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

import distributed
import structlog
from distributed import KilledWorker
from distributed.client import FutureCancelledError

from quantdesk.jobs.registry import load_modules
from quantdesk.ports.executor import (
    ChunkProgressCallback,
    ProgressCallback,
    TaskCancelledError,
    WorkerLostError,
)

T = TypeVar("T")

END_OF_REPORTS = -1.0
REPORTS_GRACE_SECONDS = 2.0

logger = structlog.get_logger(__name__)

# distributed is only partly annotated; its objects are handled as Any at this boundary.
dask_distributed: Any = distributed


class DaskExecutor:
    """Run tasks on a Dask cluster through an asynchronous ``distributed.Client``.

    Args:
        address: The scheduler address, or a cluster object such as ``LocalCluster``.
        preload: Handler modules to import on every worker at start.
    """

    name = "dask"

    def __init__(self, address: Any, *, preload: Sequence[str] = ()) -> None:
        self._address = address
        self._preload = list(preload)
        self._client: Any = None
        self._queue_name = f"quantdesk-progress-{uuid.uuid4().hex}"
        self._queue: Any = None
        self._callbacks: dict[str, ProgressCallback] = {}
        self._reported: dict[str, asyncio.Event] = {}
        self._drain: asyncio.Task[None] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._capacity = 1

    @property
    def capacity(self) -> int:
        """Threads across the cluster's workers when started (at least 1)."""
        return self._capacity

    async def start(self) -> None:
        """Connect to the scheduler, load the handler modules and start draining progress."""
        if self._client is not None:
            return
        self._client = await dask_distributed.Client(self._address, asynchronous=True)
        self._queue = dask_distributed.Queue(self._queue_name, client=self._client)
        if self._preload:
            await self._client.run(load_modules, self._preload)
        threads = await self._client.nthreads()
        self._capacity = max(sum(int(count) for count in threads.values()), 1)
        self._drain = asyncio.create_task(self._drain_progress(), name="dask-progress")
        logger.info("dask_executor_started", capacity=self._capacity)

    def submit(
        self, fn: Callable[..., T], *args: Any, on_progress: ProgressCallback | None = None
    ) -> DaskTaskHandle[T]:
        """Run ``fn(*args, report)`` on a Dask worker."""
        client = self._require_client()
        key = f"quantdesk-task-{uuid.uuid4().hex}"
        if on_progress is not None:
            self._callbacks[key] = on_progress
        self._reported[key] = asyncio.Event()
        future = client.submit(_call, key, self._queue_name, fn, args, key=key, pure=False)
        return DaskTaskHandle(key, future, self)

    def map(
        self,
        fn: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        on_progress: ChunkProgressCallback | None = None,
    ) -> list[DaskTaskHandle[T]]:
        """Submit one task per argument tuple, in order."""
        return [
            self.submit(fn, *args, on_progress=partial(on_progress, index) if on_progress else None)
            for index, args in enumerate(arguments)
        ]

    async def shutdown(self, *, wait: bool = True) -> None:
        """Stop draining progress and disconnect; the cluster itself keeps running."""
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _require_client(self) -> Any:
        if self._client is None:
            raise RuntimeError("DaskExecutor.start() must be awaited before submitting tasks")
        return self._client

    def _cancel(self, key: str, future: Any) -> None:
        client = self._require_client()
        pending = asyncio.ensure_future(_cancel_task(client, key, future))
        self._background.add(pending)
        pending.add_done_callback(self._background.discard)

    async def _drain_progress(self) -> None:
        assert self._queue is not None
        while True:
            key, fraction, message = await self._queue.get()
            if fraction == END_OF_REPORTS:
                self._callbacks.pop(key, None)
                if (reported := self._reported.get(key)) is not None:
                    reported.set()
            elif (callback := self._callbacks.get(key)) is not None:
                callback(fraction, message)

    async def _reports_delivered(self, key: str, *, ran: bool) -> None:
        reported = self._reported.get(key)
        if reported is not None and ran:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REPORTS_GRACE_SECONDS):
                    await reported.wait()
        self._reported.pop(key, None)
        self._callbacks.pop(key, None)


class DaskTaskHandle(Generic[T]):
    """A task on the cluster: await it for its result."""

    def __init__(self, key: str, future: Any, executor: DaskExecutor) -> None:
        self.key = key
        self._future = future
        self._executor = executor

    def cancel(self) -> None:
        self._executor._cancel(self.key, self._future)

    def done(self) -> bool:
        return bool(self._future.done())

    def __await__(self) -> Generator[Any, None, T]:
        return self._result().__await__()

    async def _result(self) -> T:
        ran = True
        try:
            result: T = await self._future
            return result
        except (FutureCancelledError, asyncio.CancelledError):
            if not self._future.cancelled():
                raise
            ran = False
            raise TaskCancelledError(f"task {self.key} was cancelled") from None
        except KilledWorker:
            ran = False
            raise WorkerLostError(
                f"the Dask workers running task {self.key} kept dying; it was killed or ran "
                "out of memory"
            ) from None
        finally:
            await self._executor._reports_delivered(self.key, ran=ran)


async def _cancel_task(client: Any, key: str, future: Any) -> None:
    await dask_distributed.Event(_cancel_event(key), client=client).set()
    await client.cancel([future])


def _cancel_event(key: str) -> str:
    return f"{key}-cancelled"


def _call(key: str, queue_name: str, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    queue = dask_distributed.Queue(queue_name)
    cancelled = dask_distributed.Event(_cancel_event(key))

    def report(fraction: float, message: str | None) -> None:
        if cancelled.is_set():
            raise TaskCancelledError(f"task {key} was cancelled")
        queue.put([key, fraction, message])

    try:
        return fn(*args, report)
    finally:
        queue.put([key, END_OF_REPORTS, None])
