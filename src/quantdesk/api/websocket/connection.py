"""One client's outgoing side: subscriptions, sequence numbers, coalescing and back-pressure.

The hub ``offer``s each event to every subscribed connection without waiting; the
connection's flush loop sends what is pending at most once per flush interval, as one batch
frame. Quotes coalesce to the latest per channel, so a slow reader loses stale quotes only.
Every other event is kept in order; when more than ``queue_size`` of them wait, or one send
stalls past ``send_timeout``, the client is too slow and is closed with 4503.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from quantdesk.api.websocket.protocol import CloseCode, Codec, Delivery

Send = Callable[[bytes], Awaitable[None]]
MAX_EARLY_EVENTS = 100


class FlushObserver(Protocol):
    """Told after each batch goes out: how many events, the oldest one's age, what was dropped."""

    def flushed(self, sent: int, oldest_ns: int, dropped: Counter[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class FlushOptions:
    """How often to flush, and how much a client may lag before it is cut off."""

    flush_seconds: float = 0.05
    queue_size: int = 1000
    send_timeout: float = 10.0


@dataclass(slots=True)
class Subscription:
    """A channel this client follows; events before its snapshot went out wait in ``early``."""

    seq: int = 0
    ready: bool = False
    early: list[Delivery] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Closing:
    """Why the connection ends, to be sent in the close frame."""

    code: int
    reason: str


class Connection:
    """Pending frames of one client, flushed in batches by ``run``."""

    def __init__(
        self,
        send: Send,
        codec: Codec,
        options: FlushOptions,
        observer: FlushObserver | None = None,
    ) -> None:
        self.codec = codec
        self.options = options
        self.subscriptions: dict[str, Subscription] = {}
        self.closing: Closing | None = None
        self.sent = 0
        self.dropped: Counter[str] = Counter()
        self.oldest_ns: int | None = None
        self._send = send
        self._observer = observer
        self._control: deque[bytes] = deque()
        self._events: deque[bytes] = deque()
        self._latest: dict[str, bytes] = {}
        self._wake = asyncio.Event()
        self._last_flush = 0.0

    @property
    def pending(self) -> int:
        """Events queued and not yet sent."""
        return len(self._events) + len(self._latest)

    def offer(self, delivery: Delivery) -> None:
        """Queue an event for its channel; never blocks, never raises."""
        subscription = self.subscriptions.get(delivery.channel)
        if subscription is None or self.closing is not None:
            return
        if not subscription.ready:
            self._hold_early(subscription, delivery)
            return
        subscription.seq += 1
        item = self.codec.event_item(delivery.head(self.codec), subscription.seq)
        if self.oldest_ns is None:
            self.oldest_ns = delivery.published_ns
        if delivery.droppable:
            if delivery.channel in self._latest:
                self.dropped["superseded"] += 1
            self._latest[delivery.channel] = item
        elif len(self._events) >= self.options.queue_size:
            self.close(CloseCode.TOO_SLOW, f"too slow: over {self.options.queue_size} events")
            return
        else:
            self._events.append(item)
        self._wake.set()

    def _hold_early(self, subscription: Subscription, delivery: Delivery) -> None:
        if delivery.droppable:
            subscription.early[:] = [delivery]
        elif len(subscription.early) < MAX_EARLY_EVENTS:
            subscription.early.append(delivery)
        else:
            self.close(CloseCode.TOO_SLOW, "too slow: events piled up before the snapshot")

    def subscribe(self, channel: str) -> None:
        """Start following a channel; its events wait until ``ready`` sends the snapshot."""
        self.subscriptions[channel] = Subscription()

    def ready(self, channel: str, message: dict[str, object]) -> None:
        """Queue the ``subscribed`` frame (sequence 0), then release events held meanwhile."""
        subscription = self.subscriptions.get(channel)
        if subscription is None:
            return
        self.control(message | {"seq": 0})
        subscription.ready = True
        early, subscription.early = subscription.early, []
        for delivery in early:
            self.offer(delivery)

    def unsubscribe(self, channel: str) -> None:
        """Stop following a channel; a coalesced quote still pending for it is dropped."""
        self.subscriptions.pop(channel, None)
        self._latest.pop(channel, None)

    def control(self, message: dict[str, object]) -> None:
        """Queue a control frame (welcome, subscribed, error, ping); sent before any event."""
        self._control.append(self.codec.dumps(message))
        self._wake.set()

    def close(self, code: int, reason: str) -> None:
        """Ask the flush loop to stop; the session sends the close frame with ``reason``."""
        if self.closing is None:
            self.closing = Closing(int(code), reason[:120])
        self._wake.set()

    async def run(self) -> None:
        """Flush pending frames until the connection is closing; sends are serialised here."""
        while self.closing is None:
            await self._wake.wait()
            wait = self._last_flush + self.options.flush_seconds - time.monotonic()
            if wait > 0 and not self._control:
                await asyncio.sleep(wait)
            self._wake.clear()
            if self.closing is None:
                await self._flush()

    async def flush_control(self) -> None:
        """Send the control frames still queued, such as the error that explains a close."""
        while self._control:
            await self._send_frame(self._control.popleft())

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        await self.flush_control()
        items = [*self._events, *self._latest.values()]
        if not items:
            return
        oldest, dropped = self.oldest_ns or time.time_ns(), self.dropped
        self._events.clear()
        self._latest.clear()
        self.oldest_ns, self.dropped = None, Counter()
        await self._send_frame(self.codec.batch(items))
        self.sent += len(items)
        if self._observer is not None:
            self._observer.flushed(len(items), oldest, dropped)

    async def _send_frame(self, frame: bytes) -> None:
        try:
            async with asyncio.timeout(self.options.send_timeout):
                await self._send(frame)
        except TimeoutError:
            self.close(CloseCode.TOO_SLOW, "too slow: a send stalled; read faster")
