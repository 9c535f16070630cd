"""Retry with backoff and jitter, and the circuit breaker's closed/open/half-open cycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from quantdesk.errors import NotFoundError, UnavailableError
from quantdesk.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    RetryPolicy,
    TransientError,
    retry,
)

WALL_START = 1_700_000_000.0


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Records the waits ``retry`` asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def failing(times: int, error: Exception, result: str = "ok") -> Callable[[], Awaitable[str]]:
    """An operation that raises ``error`` on its first ``times`` calls, then succeeds."""
    calls = {"n": 0}

    async def operation() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result

    operation.calls = calls  # type: ignore[attr-defined]
    return operation


def breaker(clock: FakeClock, threshold: int = 3, reset: float = 30.0) -> CircuitBreaker:
    return CircuitBreaker(
        "vendor",
        failure_threshold=threshold,
        reset_seconds=reset,
        clock=clock,
        wall_clock=lambda: WALL_START + clock.now,
    )


async def trip(guard: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(TransientError):
            await guard.call(failing(1, TransientError("502")))


def test_backoff_full_jitter_stays_under_doubling_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.backoff(3, lambda: 0.25) == 1.0
    assert policy.backoff(3, lambda: 0.0) == 0.0


async def test_retry_transient_failures_succeeds_after_backoff() -> None:
    sleeps = Sleeps()
    operation = failing(2, TransientError("timeout"))
    result = await retry(operation, RetryPolicy(max_retries=3), sleep=sleeps, draw=lambda: 1.0)
    assert result == "ok"
    assert sleeps.waits == [0.5, 1.0]


async def test_retry_exhausted_raises_last_transient_error() -> None:
    sleeps = Sleeps()
    operation = failing(10, TransientError("502 from vendor"))
    with pytest.raises(TransientError, match="502"):
        await retry(operation, RetryPolicy(max_retries=2), sleep=sleeps, draw=lambda: 1.0)
    assert operation.calls["n"] == 3  # type: ignore[attr-defined]
    assert len(sleeps.waits) == 2


async def test_retry_permanent_error_is_not_retried() -> None:
    sleeps = Sleeps()
    operation = failing(1, NotFoundError("symbol", "ZZZZ"))
    with pytest.raises(NotFoundError):
        await retry(operation, RetryPolicy(max_retries=5), sleep=sleeps)
    assert operation.calls["n"] == 1  # type: ignore[attr-defined]
    assert sleeps.waits == []


async def test_retry_after_within_cap_is_honoured_exactly() -> None:
    sleeps = Sleeps()
    operation = failing(1, TransientError("429", retry_after=7.0, rate_limited=True))
    assert await retry(operation, RetryPolicy(max_retry_after=10.0), sleep=sleeps) == "ok"
    assert sleeps.waits == [7.0]


async def test_retry_after_beyond_cap_raises_at_once() -> None:
    sleeps = Sleeps()
    operation = failing(1, TransientError("429", retry_after=3600.0, rate_limited=True))
    with pytest.raises(TransientError) as caught:
        await retry(operation, RetryPolicy(max_retry_after=60.0), sleep=sleeps)
    assert caught.value.retry_after == 3600.0
    assert sleeps.waits == []


async def test_breaker_consecutive_failures_open_it_and_stop_calls() -> None:
    clock = FakeClock()
    guard = breaker(clock, threshold=3)
    await trip(guard, 3)
    operation = failing(0, TransientError("unused"))
    with pytest.raises(CircuitOpenError) as caught:
        await guard.call(operation)
    assert operation.calls["n"] == 0  # type: ignore[attr-defined]
    assert isinstance(caught.value, UnavailableError)
    assert caught.value.reopens_at == datetime.fromtimestamp(WALL_START + 1030.0, UTC)
    assert "vendor" in caught.value.message
    snapshot = guard.snapshot()
    assert (snapshot.state, snapshot.failures) == ("open", 3)


async def test_breaker_success_resets_the_failure_count() -> None:
    guard = breaker(FakeClock(), threshold=3)
    await trip(guard, 2)
    assert await guard.call(failing(0, TransientError("x"))) == "ok"
    await trip(guard, 2)
    assert guard.state == "closed"


async def test_breaker_after_reset_time_half_opens_and_success_closes() -> None:
    clock = FakeClock()
    guard = breaker(clock, threshold=2, reset=30.0)
    await trip(guard, 2)
    clock.now += 30.0
    assert guard.snapshot().state == "half-open"
    assert guard.snapshot().reopens_at is None
    assert await guard.call(failing(0, TransientError("x"), result="back")) == "back"
    assert guard.snapshot().state == "closed"
    assert guard.snapshot().failures == 0


async def test_breaker_failed_half_open_trial_reopens_for_full_reset() -> None:
    clock = FakeClock()
    guard = breaker(clock, threshold=2, reset=30.0)
    await trip(guard, 2)
    clock.now += 31.0
    await trip(guard, 1)
    assert guard.state == "open"
    clock.now += 29.0
    assert guard.state == "open"
    clock.now += 1.0
    assert guard.state == "half-open"


async def test_breaker_caller_errors_and_rate_limits_never_trip_it() -> None:
    guard = breaker(FakeClock(), threshold=1)
    with pytest.raises(NotFoundError):
        await guard.call(failing(1, NotFoundError("symbol", "ZZZZ")))
    with pytest.raises(TransientError):
        await guard.call(failing(1, TransientError("429", retry_after=5, rate_limited=True)))
    assert guard.snapshot().state == "closed"


def test_breaker_invalid_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker("vendor", failure_threshold=0)
