"""Bus port: events published after a commit and fanned out to every process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol


class Bus(Protocol):
    """Publish/subscribe on named channels; in-process, or across processes via Redis."""

    async def publish(self, channel: str, message: bytes) -> None:
        """Deliver a message to every current subscriber of the channel."""
        ...

    def subscribe(
        self, *channels: str, ready: asyncio.Event | None = None
    ) -> AsyncIterator[tuple[str, bytes]]:
        """Yield ``(channel, message)`` pairs until the iterator is closed.

        The subscription starts when iteration does. ``ready`` is set once the bus has
        confirmed it (on Redis, a network round trip later): from then on every message
        published reaches this subscriber. Iterate in a task and wait for ``ready`` before
        reading state that later messages update, or before publishing what must arrive.
        """
        ...

    async def ping(self) -> None:
        """Raise if the bus cannot be reached."""
        ...

    async def close(self) -> None:
        """Release connections and end every subscription."""
        ...
