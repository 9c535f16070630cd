"""Fixed-window rate limits on the cache port, shared by every process when it is Redis.

Two shapes: ``count_attempt`` counts every call and refuses past the limit (per client
address); ``record_failure`` counts only failures and, at the limit, locks the key until the
window ends (per account), so even a right password is refused while it is locked.
"""

from __future__ import annotations

import math
import time

from quantdesk.errors import RateLimitedError
from quantdesk.ports.cache import Cache


def retry_after(seconds_left: float) -> int:
    """Whole seconds a client should wait: rounded up, and never zero."""
    return max(1, math.ceil(seconds_left))


async def count_attempt(
    cache: Cache, key: str, *, limit: int, window_seconds: int, message: str
) -> None:
    """Count one attempt and refuse it once the window already holds ``limit`` attempts.

    Raises:
        RateLimitedError: The limit is used up; ``retry_after`` says when the window ends.
    """
    count, seconds_left = await cache.incr(f"{key}:count", ttl_seconds=window_seconds)
    if count > limit:
        raise RateLimitedError(message, retry_after=retry_after(seconds_left))


async def ensure_not_locked(cache: Cache, key: str, *, message: str) -> None:
    """Refuse while a key is locked by too many failures.

    Raises:
        RateLimitedError: The key is locked; ``retry_after`` says when it unlocks.
    """
    deadline = await cache.get(f"{key}:lock")
    if deadline is not None:
        raise RateLimitedError(message, retry_after=retry_after(float(deadline) - time.time()))


async def record_failure(cache: Cache, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one failure; the ``limit``-th failure locks the key for the rest of its window."""
    count, seconds_left = await cache.incr(f"{key}:failures", ttl_seconds=window_seconds)
    if count >= limit and seconds_left > 0:
        deadline = str(time.time() + seconds_left).encode()
        await cache.set(f"{key}:lock", deadline, ttl_seconds=seconds_left)


async def clear_failures(cache: Cache, key: str) -> None:
    """Forget a key's failures after a success."""
    await cache.delete(f"{key}:failures")
