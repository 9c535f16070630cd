"""Fixed-window counting and failure locks on the in-memory cache."""

from __future__ import annotations

import pytest

from quantdesk.errors import RateLimitedError
from quantdesk.messaging.memory import MemoryCache
from quantdesk.services import rate_limits


@pytest.mark.parametrize(
    ("left", "expected"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)]
)
def test_retry_after_rounds_up_and_never_zero(left: float, expected: int) -> None:
    assert rate_limits.retry_after(left) == expected


async def test_count_attempt_past_limit_raises_with_window_left() -> None:
    cache = MemoryCache()
    for _ in range(2):
        await rate_limits.count_attempt(cache, "k", limit=2, window_seconds=30, message="slow down")
    with pytest.raises(RateLimitedError, match="slow down") as caught:
        await rate_limits.count_attempt(cache, "k", limit=2, window_seconds=30, message="slow down")
    assert 29 <= caught.value.retry_after <= 30


async def test_record_failure_at_limit_locks_key() -> None:
    cache = MemoryCache()
    await rate_limits.record_failure(cache, "k", limit=2, window_seconds=30)
    await rate_limits.ensure_not_locked(cache, "k", message="locked")
    await rate_limits.record_failure(cache, "k", limit=2, window_seconds=30)
    with pytest.raises(RateLimitedError) as caught:
        await rate_limits.ensure_not_locked(cache, "k", message="locked")
    assert 1 <= caught.value.retry_after <= 30
    await rate_limits.ensure_not_locked(cache, "other", message="locked")


async def test_clear_failures_restarts_the_count() -> None:
    cache = MemoryCache()
    await rate_limits.record_failure(cache, "k", limit=2, window_seconds=30)
    await rate_limits.clear_failures(cache, "k")
    await rate_limits.record_failure(cache, "k", limit=2, window_seconds=30)
    await rate_limits.ensure_not_locked(cache, "k", message="locked")
