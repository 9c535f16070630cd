"""The job kinds this installation runs: the function doing the work and its hooks.

A handler is a pure top-level function that runs in a worker process (the local pool or a
Dask worker), so it must be importable there by name. Register it when its module is
imported, and list that module in ``QUANTDESK_JOB_HANDLER_MODULES``; each worker imports
the list at start-up::

    @handler("backtest")
    def run_backtest(payload: dict[str, Any], progress: ProgressReporter) -> dict[str, Any]:
        for index, symbol in enumerate(payload["symbols"]):
            ...
            progress.update((index + 1) / len(payload["symbols"]), f"{symbol} done")
        return {"metrics": ...}

A kind given ``split`` and ``combine`` runs as chunks in parallel: ``split(payload)`` makes
one payload per chunk, the handler runs on each, and ``combine(results)`` merges their
results in chunk order. Both run in the runner's process, so keep them cheap.

``on_finished`` hooks run in the runner's process, inside the transaction that writes the
job's final status, so whatever they write commits or rolls back with it.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from quantdesk.errors import ConfigurationError, UnavailableError, ValidationError
from quantdesk.ports.executor import Report, TaskCancelledError

__all__ = [
    "FinishedHook",
    "Handler",
    "HandlerError",
    "JobKind",
    "ProgressReporter",
    "execute",
    "finished_hooks",
    "get_kind",
    "handler",
    "kinds",
    "load_modules",
    "on_finished",
]

Payload = dict[str, Any]
Result = dict[str, Any]
Handler = Callable[[Payload, "ProgressReporter"], Result]
Split = Callable[[Payload], list[Payload]]
Combine = Callable[[list[Result]], Result]
# Called as hook(ctx: ServiceContext, job: Job); typed loosely because the jobs adapters sit
# below the services layer and may not import it.
FinishedHook = Callable[[Any, Any], Awaitable[None]]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
HookT = TypeVar("HookT", bound=FinishedHook)

TRANSIENT_ERRORS = (UnavailableError, ConnectionError, TimeoutError)
MIN_REPORT_INTERVAL_SECONDS = 0.5
MIN_REPORT_STEP = 0.01


@dataclass(frozen=True, slots=True)
class JobKind:
    """A registered kind: its handler and, for chunked jobs, how to split and combine."""

    name: str
    run: Handler
    split: Split | None = None
    combine: Combine | None = None

    @property
    def chunked(self) -> bool:
        return self.split is not None


_KINDS: dict[str, JobKind] = {}
_FINISHED: defaultdict[str, list[FinishedHook]] = defaultdict(list)


def handler(
    kind: str, *, split: Split | None = None, combine: Combine | None = None
) -> Callable[[HandlerT], HandlerT]:
    """Register the decorated function as the handler of ``kind``.

    Args:
        kind: The job kind, as stored in ``Job.kind`` (at most 64 characters).
        split: Turns a payload into chunk payloads run in parallel; needs ``combine``.
        combine: Merges the chunks' results, in chunk order, into the job's result.
    """
    if (split is None) != (combine is None):
        raise ValueError(f"job kind {kind!r}: give split and combine together, or neither")
    if not kind or len(kind) > 64:
        raise ValueError(f"job kind {kind!r}: use 1 to 64 characters")

    def register(function: HandlerT) -> HandlerT:
        known = _KINDS.get(kind)
        if known is not None and _qualified(known.run) != _qualified(function):
            raise ValueError(f"job kind {kind!r} already has the handler {_qualified(known.run)}")
        _KINDS[kind] = JobKind(kind, function, split, combine)
        return function

    return register


def on_finished(kind: str) -> Callable[[HookT], HookT]:
    """Register an async ``hook(ctx, job)`` run when a job of ``kind`` reaches a final status.

    The hook sees the job with its final status, result and error already set, and runs in
    the same transaction; raising rolls back that write, and the job is failed instead.
    """

    def register(hook: HookT) -> HookT:
        if all(_qualified(known) != _qualified(hook) for known in _FINISHED[kind]):
            _FINISHED[kind].append(hook)
        return hook

    return register


def get_kind(kind: str) -> JobKind:
    """The registered kind, or a ``ValidationError`` that lists the known ones."""
    try:
        return _KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise ValidationError(
            f"kind: unknown job kind {kind!r}; known kinds: {known}", details={"field": "kind"}
        ) from None


def kinds() -> list[str]:
    """Every registered kind, sorted."""
    return sorted(_KINDS)


def finished_hooks(kind: str) -> tuple[FinishedHook, ...]:
    """The completion hooks of ``kind``, in registration order."""
    return tuple(_FINISHED.get(kind, ()))


def load_modules(modules: Iterable[str]) -> None:
    """Import handler modules so that their kinds register; importing twice is free."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            raise ConfigurationError(
                f"QUANTDESK_JOB_HANDLER_MODULES: cannot import {name!r} ({error}); "
                "fix the module name or install the package that provides it"
            ) from None


def execute(kind: str, payload: Payload, modules: tuple[str, ...], report: Report) -> Result:
    """Run one job or chunk in a worker: load the handlers, call one, check its result."""
    try:
        load_modules(modules)
        result = get_kind(kind).run(payload, ProgressReporter(report))
    except TaskCancelledError:
        raise
    except Exception as error:
        raise HandlerError.from_exception(error) from None
    if not isinstance(result, dict):
        raise HandlerError(
            "TypeError",
            f"the {kind!r} handler returned {type(result).__name__}; return a JSON-ready dict",
        )
    return result


class HandlerError(Exception):
    """A handler raised: its exception's class name, message and traceback, as plain text.

    Handlers may raise anything, including exceptions that cannot cross a process boundary;
    this carries what the runner records (class and message) and logs (the traceback).
    """

    def __init__(self, type_name: str, message: str, trace: str = "", transient: bool = False):
        super().__init__(type_name, message, trace, transient)
        self.type_name = type_name
        self.message = message
        self.trace = trace
        self.transient = transient

    @classmethod
    def from_exception(cls, error: BaseException) -> HandlerError:
        """Describe ``error``; unreachable services and time-outs are worth a retry."""
        trace = "".join(traceback.format_exception(error))
        transient = isinstance(error, TRANSIENT_ERRORS)
        return cls(type(error).__name__, str(error), trace, transient)

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


class ProgressReporter:
    """Reports how far a handler has got, cheaply enough to call in a loop.

    Reports are forwarded at most every half second or every 1 % of progress, whichever
    comes first, plus every change of message. Fractions are clamped to 0..1 and never go
    backwards. Raises ``TaskCancelledError`` once the job has been cancelled: let it
    propagate, it is how a cancelled handler stops.
    """

    def __init__(
        self,
        report: Report,
        *,
        min_interval: float = MIN_REPORT_INTERVAL_SECONDS,
        min_step: float = MIN_REPORT_STEP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report = report
        self._min_interval = min_interval
        self._min_step = min_step
        self._clock = clock
        self._fraction = 0.0
        self._sent_fraction = 0.0
        self._sent_at = clock()
        self._message: str | None = None

    @property
    def fraction(self) -> float:
        """The furthest fraction reported so far."""
        return self._fraction

    def update(self, fraction: float, message: str | None = None) -> None:
        """Record progress as a fraction of the whole, 0 to 1, with an optional status line."""
        self._fraction = max(self._fraction, min(max(float(fraction), 0.0), 1.0))
        now = self._clock()
        if not self._due(now, message):
            return
        self._sent_fraction, self._sent_at = self._fraction, now
        if message is not None:
            self._message = message
        self._report(self._fraction, message)

    def _due(self, now: float, message: str | None) -> bool:
        return (
            self._fraction - self._sent_fraction >= self._min_step
            or now - self._sent_at >= self._min_interval
            or (message is not None and message != self._message)
            or (self._fraction >= 1.0 > self._sent_fraction)
        )


def _qualified(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
