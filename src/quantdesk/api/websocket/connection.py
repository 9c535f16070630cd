"""One client's outgoing side: subscriptions, sequence numbers, coalescing and back-pressure.

The hub ``offer``s each event to every subscribed connection without waiting; the process's
``FlushTicker`` wakes the connections with events pending once per flush interval, and each
sends what it holds as one batch frame. Quotes coalesce to the latest per channel, so a slow
reader loses stale quotes only. Every other event is kept in order; when more than
``queue_size`` of them wait, or one send stalls past ``send_timeout``, the client is too slow
and is closed with 4503.
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
NO_DROPS: Counter[str] = Counter()  # never written to


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
        ticker: FlushTicker | None = None,
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
        # (event, its sequence number), encoded at flush: a superseded quote costs no encoding
        self._events: deque[tuple[Delivery, int]] = deque()
        self._latest: dict[str, tuple[Delivery, int]] = {}
        self._wake = asyncio.Event()
        self._ticker = ticker or FlushTicker(options.flush_seconds)
        self._due = False
        self._sender: asyncio.Task[None] | None = None
        self._stalled = False

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
        if self.oldest_ns is None:
            self.oldest_ns = delivery.published_ns
        if delivery.droppable:
            if delivery.channel in self._latest:
                self.dropped["superseded"] += 1
            self._latest[delivery.channel] = (delivery, subscription.seq)
        elif len(self._events) >= self.options.queue_size:
            self.close(CloseCode.TOO_SLOW, f"too slow: over {self.options.queue_size} events")
            return
        else:
            self._events.append((delivery, subscription.seq))
        if not self._due:
            self._due = True
            self._ticker.due(self)

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

    def tick(self) -> None:
        """Send the pending events now (the ticker's call, once per flush interval)."""
        self._due = False
        self._wake.set()

    def stalled(self) -> None:
        """Abort the send in progress: it has waited on the client past ``send_timeout``."""
        if self._sender is not None and not self._stalled:
            self._stalled = True
            self._sender.cancel()

    async def run(self) -> None:
        """Flush pending frames until the connection is closing; sends are serialised here."""
        while self.closing is None:
            await self._wake.wait()
            self._wake.clear()
            if self.closing is None:
                await self._flush()

    async def flush_control(self) -> None:
        """Send the control frames still queued, such as the error that explains a close."""
        while self._control:
            await self._send_frame(self._control.popleft())

    async def _flush(self) -> None:
        if self._control:
            await self.flush_control()
        if not self._events and not self._latest:
            return
        codec = self.codec
        items = [codec.event_item(d.head(codec), seq) for d, seq in self._events]
        items += [codec.event_item(d.head(codec), seq) for d, seq in self._latest.values()]
        oldest, dropped = self.oldest_ns or time.time_ns(), self.dropped
        self._events.clear()
        self._latest.clear()
        self.oldest_ns = None
        if dropped:
            self.dropped = Counter()
        else:
            dropped = NO_DROPS  # the usual case: no new Counter per batch
        await self._send_frame(self.codec.batch(items))
        self.sent += len(items)
        if self._observer is not None:
            self._observer.flushed(len(items), oldest, dropped)

    async def _send_frame(self, frame: bytes) -> None:
        if self.closing is not None and self._stalled:
            return
        self._sender = asyncio.current_task()
        self._ticker.watch(self, time.monotonic() + self.options.send_timeout)
        try:
            await self._send(frame)
        except asyncio.CancelledError:
            if not self._stalled or self._sender is None:
                raise
            self._sender.uncancel()
            self.close(CloseCode.TOO_SLOW, "too slow: a send stalled; read faster")
        finally:
            self._ticker.unwatch(self)
            self._sender = None


class FlushTicker:
    """The flush clock of every connection of a process: one timer instead of one per client.

    Each tick wakes the connections that have events pending, so a client gets at most one
    batch per interval and a thousand clients cost one timer, not a thousand; it also aborts
    sends that have waited on their client past the deadline given to ``watch``. The ticker
    runs only while some connection needs it.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._due: list[Connection] = []
        self._sending: dict[Connection, float] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the ticker's timer is on (only while some connection needs it)."""
        return self._task is not None and not self._task.done()

    def due(self, connection: Connection) -> None:
        """Wake ``connection`` at the next tick."""
        self._due.append(connection)
        self._start()

    def watch(self, connection: Connection, deadline: float) -> None:
        """Abort ``connection``'s send if it is still in progress at ``deadline`` (monotonic)."""
        self._sending[connection] = deadline
        self._start()

    def unwatch(self, connection: Connection) -> None:
        """The send finished."""
        self._sending.pop(connection, None)

    def _start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while self._due or self._sending:
            tick = max(tick + self.seconds, loop.time())  # a late tick is not made up for
            await asyncio.sleep(tick - loop.time())
            due, self._due = self._due, []
            for connection in due:
                connection.tick()
            now = time.monotonic()
            for connection, deadline in list(self._sending.items()):
                if now >= deadline:
                    connection.stalled()
