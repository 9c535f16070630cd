"""The event stream both brokers hand to the trading service: one queue, closed by a sentinel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from quantdesk.ports.broker import BrokerEvent, OrderUpdate
from quantdesk.trading.orders import Fill


def utc_now() -> datetime:
    """Return the current time in UTC, the default clock of both brokers."""
    return datetime.now(UTC)


class EventStream:
    """Order updates and fills in the order they happened, for one consumer.

    The queue is unbounded on purpose: dropping a fill would lose money, and the trading
    service drains it as fast as events arrive.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[BrokerEvent | None] = asyncio.Queue()
        self._closed = False

    def update(self, update: OrderUpdate, **details: object) -> None:
        """Publish a status change."""
        self._queue.put_nowait(BrokerEvent(update=update, details=details))

    def fill(self, fill: Fill, **details: object) -> None:
        """Publish an execution."""
        self._queue.put_nowait(BrokerEvent(fill=fill, details=details))

    def close(self) -> None:
        """End the stream once the events already queued have been read."""
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)

    def pending(self) -> int:
        """Return how many events wait to be read."""
        return self._queue.qsize()

    async def __aiter__(self) -> AsyncIterator[BrokerEvent]:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item
