"""In-process cache and bus for the embedded mode (one server process)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator


class MemoryCache:
    """A dict with expiry times; enough for one process."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float | None]] = {}

    def _alive(self, key: str) -> tuple[bytes, float | None] | None:
        entry = self._values.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry

    async def get(self, key: str) -> bytes | None:
        entry = self._alive(key)
        return entry[0] if entry else None

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        expires = time.monotonic() + ttl_seconds if ttl_seconds else None
        self._values[key] = (value, expires)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def incr(self, key: str, *, ttl_seconds: float) -> tuple[int, float]:
        entry = self._alive(key)
        now = time.monotonic()
        if entry is None:
            self._values[key] = (b"1", now + ttl_seconds)
            return 1, ttl_seconds
        count = int(entry[0]) + 1
        expires = entry[1] if entry[1] is not None else now + ttl_seconds
        self._values[key] = (str(count).encode(), expires)
        return count, max(expires - now, 0.0)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._values.clear()


class MemoryBus:
    """Fan-out to asyncio queues inside this process."""

    def __init__(self, queue_size: int = 10_000) -> None:
        self._queue_size = queue_size
        self._queues: dict[str, set[asyncio.Queue[tuple[str, bytes]]]] = defaultdict(set)

    async def publish(self, channel: str, message: bytes) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                queue.get_nowait()  # drop the oldest rather than block the publisher
            queue.put_nowait((channel, message))

    async def subscribe(
        self, *channels: str, ready: asyncio.Event | None = None
    ) -> AsyncIterator[tuple[str, bytes]]:
        queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(self._queue_size)
        for channel in channels:
            self._queues[channel].add(queue)
        if ready is not None:
            ready.set()  # registered in this process: live at once
        try:
            while True:
                yield await queue.get()
        finally:
            for channel in channels:
                self._queues[channel].discard(queue)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._queues.clear()
