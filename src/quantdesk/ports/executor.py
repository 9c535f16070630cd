"""Executor port: run picklable functions off the event loop, in other processes or machines.

The job runner submits work here and never learns where it runs: a local process pool
(``ProcessPoolExecutorAdapter``) or a Dask cluster (``DaskExecutor``). The contract:

- ``submit(fn, *args, on_progress=...)`` calls ``fn(*args, report)`` in a worker, where
  ``report(fraction, message)`` delivers to ``on_progress`` on the submitting event loop;
  ``report`` raises ``TaskCancelledError`` in the worker once the task has been cancelled,
  so a function that reports progress stops at its next report.
- The returned handle is awaited for the function's return value. It raises the function's
  own exception, ``TaskCancelledError`` after ``cancel()``, or ``WorkerLostError`` when the
  process running it died.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from quantdesk.errors import QuantDeskError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Report = Callable[[float, str | None], None]
"""What a worker calls to report ``(fraction done 0..1, optional message)``."""

ProgressCallback = Callable[[float, str | None], None]
"""Receives a task's reports on the submitting process's event loop."""

ChunkProgressCallback = Callable[[int, float, str | None], None]
"""Receives ``(chunk index, fraction, message)`` for the tasks of ``map``."""


class TaskCancelledError(QuantDeskError):
    """The task was cancelled; its result, if any, is dropped."""

    code = "cancelled"


class WorkerLostError(QuantDeskError):
    """The process running the task died (killed, out of memory, ``os._exit``); retry it."""

    code = "worker_lost"


class TaskHandle(Awaitable[T_co], Protocol[T_co]):
    """A submitted task: await it for the result, or cancel it."""

    key: str

    def cancel(self) -> None:
        """Drop the task if it has not started, and make its next ``report`` raise."""
        ...

    def done(self) -> bool:
        """Whether the task has finished, failed or been cancelled."""
        ...


class Executor(Protocol):
    """Somewhere to run CPU-bound functions in parallel without blocking the event loop."""

    name: str
    """A short label for logs and metrics, such as ``"process-pool"`` or ``"dask"``."""

    @property
    def capacity(self) -> int:
        """How many tasks run at once; the runner claims no more jobs than this."""
        ...

    async def start(self) -> None:
        """Connect or prepare workers; call once from the event loop before submitting."""
        ...

    def submit(
        self, fn: Callable[..., T], *args: Any, on_progress: ProgressCallback | None = None
    ) -> TaskHandle[T]:
        """Run ``fn(*args, report)`` in a worker; ``fn`` and ``args`` must pickle."""
        ...

    def map(
        self,
        fn: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        on_progress: ChunkProgressCallback | None = None,
    ) -> Sequence[TaskHandle[T]]:
        """Submit ``fn`` once per argument tuple (the chunks of a job), in order."""
        ...

    async def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers; with ``wait`` false, cancel what is still queued."""
        ...
