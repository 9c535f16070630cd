"""Retry with exponential backoff and full jitter, and a circuit breaker, for remote calls.

Data providers and brokers fail in two ways: for a moment (a timeout, a 502, a rate limit)
or for a while (an outage). ``retry`` absorbs the first kind; ``CircuitBreaker`` stops
calling a dependency that keeps failing, so a dead vendor costs one fast error instead of
a pile of slow timeouts, and tries it again once ``reset_seconds`` have passed.

Only errors raised as ``TransientError`` are retried: an unknown symbol or a bad key fails
the same way every time, and retrying it only burns the vendor's quota.

Example:
    >>> import asyncio
    >>> breaker = CircuitBreaker("vendor", failure_threshold=3, reset_seconds=30)
    >>> async def price() -> float:
    ...     return 101.5
    >>> asyncio.run(breaker.call(lambda: retry(price, RetryPolicy(max_retries=2))))
    101.5
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from quantdesk.errors import UnavailableError

T = TypeVar("T")
BreakerState = Literal["closed", "open", "half-open"]


class TransientError(Exception):
    """A failure worth retrying; ``retry_after`` is the server's own hint, in seconds."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, rate_limited: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class CircuitOpenError(UnavailableError):
    """The breaker is open: the dependency is not called until ``reopens_at``."""

    code = "circuit_open"

    def __init__(self, name: str, reopens_at: datetime) -> None:
        super().__init__(
            f"{name} failed repeatedly and is paused until {reopens_at:%Y-%m-%dT%H:%M:%SZ}; "
            "retry after that or use another provider",
            details={"provider": name, "reopens_at": reopens_at.isoformat()},
        )
        self.name = name
        self.reopens_at = reopens_at


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    Attributes:
        max_retries: Attempts after the first; 0 disables retrying.
        base_delay: Seconds of the first backoff ceiling; it doubles per attempt.
        max_delay: The backoff ceiling never exceeds this.
        max_retry_after: A server asking for a longer wait than this is not waited for:
            the error goes back to the caller, who can come back later.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Return the full-jitter delay before retry ``attempt`` (0-based): U(0, ceiling)."""
        return draw() * min(self.max_delay, self.base_delay * 2.0**attempt)

    def delay(self, attempt: int, error: TransientError, draw: Callable[[], float]) -> float:
        """Return the wait before the next attempt, or -1 when the server's wait is too long."""
        if error.retry_after is None:
            return self.backoff(attempt, draw)
        return error.retry_after if error.retry_after <= self.max_retry_after else -1.0


async def retry(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    draw: Callable[[], float] = random.random,
) -> T:
    """Await ``operation``, retrying it on ``TransientError`` as ``policy`` allows.

    A ``Retry-After`` hint is honoured exactly when it is within ``max_retry_after``;
    otherwise the error is raised at once. Other exceptions propagate on the first try.

    Raises:
        TransientError: The last transient failure, once the retries are spent.
    """
    attempt = 0
    while True:
        try:
            return await operation()
        except TransientError as error:
            wait = policy.delay(attempt, error, draw)
            if attempt >= policy.max_retries or wait < 0:
                raise
        await sleep(wait)
        attempt += 1


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """A breaker's state for health pages; ``reopens_at`` is set while it is open."""

    name: str
    state: BreakerState
    failures: int
    reopens_at: datetime | None


class CircuitBreaker:
    """Stop calling a dependency after ``failure_threshold`` consecutive failures.

    Closed: calls pass and failures are counted; a success resets the count. Open: calls
    fail at once with ``CircuitOpenError`` for ``reset_seconds``. Half-open: one trial call
    passes; its success closes the breaker, its failure opens it again. Only exceptions that
    ``counts`` accepts are failures (by default every ``TransientError`` that is not a rate
    limit); any other error means the dependency answered, so it counts as a success and a
    caller's mistake never trips the breaker.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_seconds: float = 60.0,
        counts: Callable[[BaseException], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if failure_threshold < 1 or reset_seconds <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_seconds > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._counts = counts or _is_outage
        self._clock = clock
        self._wall_clock = wall_clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """The current state, moving from open to half-open once the reset time has passed."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_seconds:
            return "half-open"
        return "open"

    def snapshot(self) -> BreakerSnapshot:
        """Return the state, the failure count and, while open, the wall time it reopens."""
        state = self.state
        reopens_at = self._reopens_at() if state == "open" else None
        return BreakerSnapshot(self.name, state, self._failures, reopens_at)

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Await ``operation`` unless the breaker is open; record how it went.

        Raises:
            CircuitOpenError: The breaker is open, or a half-open trial is already running.
        """
        self._admit()
        try:
            result = await operation()
        except Exception as error:
            self._record_failure(error)
            raise
        finally:
            self._trial_running = False
        self._record_success()
        return result

    def _admit(self) -> None:
        state = self.state
        if state == "open" or (state == "half-open" and self._trial_running):
            raise CircuitOpenError(self.name, self._reopens_at())
        self._trial_running = state == "half-open"

    def _record_failure(self, error: Exception) -> None:
        if not self._counts(error):
            self._record_success()  # the dependency answered; the request was at fault
            return
        self._failures += 1
        if self._trial_running or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    def _record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def _reopens_at(self) -> datetime:
        opened = self._opened_at if self._opened_at is not None else self._clock()
        seconds_left = max(opened + self.reset_seconds - self._clock(), 0.0)
        return datetime.fromtimestamp(self._wall_clock() + seconds_left, UTC)


def _is_outage(error: BaseException) -> bool:
    return isinstance(error, TransientError) and not error.rate_limited
