"""Cache port: short-lived shared state such as rate-limit counters."""

from __future__ import annotations

from typing import Protocol


class Cache(Protocol):
    """A key-value store with expiry, shared by every process when it is Redis."""

    async def get(self, key: str) -> bytes | None:
        """Return the value, or None when it is missing or expired."""
        ...

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        """Store a value, replacing any old one."""
        ...

    async def delete(self, key: str) -> None:
        """Forget a key; a missing key is not an error."""
        ...

    async def incr(self, key: str, *, ttl_seconds: float) -> tuple[int, float]:
        """Add one to a counter and return it with its seconds left.

        The first increment starts the window; later ones keep its expiry, so a fixed window
        of ``ttl_seconds`` is counted.
        """
        ...

    async def ping(self) -> None:
        """Raise if the cache cannot be reached."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
