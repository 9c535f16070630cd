"""The process's hub: one bus subscription per channel, shared by every local connection.

A channel's first subscriber starts a pump that reads the bus, decodes each message once
into a ``Delivery`` and offers it, by reference, to each connection following the channel;
the last one to leave stops it. A subscriber's snapshot is read only once the bus has
confirmed the pump's subscription, so no event published after the snapshot is missed. With
Redis as the bus, this is how an event published by any process reaches clients connected
to every other. The hub's one ``FlushTicker`` paces the batches of all its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog

from quantdesk.api.websocket.connection import Connection, FlushTicker
from quantdesk.api.websocket.protocol import Delivery
from quantdesk.errors import ValidationError
from quantdesk.ports.bus import Bus
from quantdesk.services import events

RETRY_SECONDS = 1.0
# How long a subscriber waits for the bus to confirm; past it the snapshot is read anyway.
CONFIRM_SECONDS = 5.0
# Sign-ins and snapshots queue for these rather than exhaust the database pool in a storm.
DATABASE_SLOTS = 8

logger = structlog.get_logger(__name__)


@dataclass
class _Pump:
    """The bus reader of one channel and the local connections that follow it."""

    client_channel: str
    droppable: bool
    connections: set[Connection] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    live: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    """Reference-counted bus subscriptions and fan-out to local connections."""

    def __init__(self, bus: Bus, flush_seconds: float = 0.05) -> None:
        self.bus = bus
        self.connections: set[Connection] = set()
        self.database_slots = asyncio.Semaphore(DATABASE_SLOTS)
        self.ticker = FlushTicker(flush_seconds)
        self._pumps: dict[str, _Pump] = {}

    @property
    def channels(self) -> int:
        """How many bus channels this process reads now."""
        return len(self._pumps)

    async def add(self, bus_channel: str, channel: events.Channel, connection: Connection) -> None:
        """Deliver ``bus_channel``'s events to ``connection``; subscribes on first use.

        Returns once the bus subscription is live (or after ``CONFIRM_SECONDS`` of a bus
        that does not answer), so that a snapshot read next misses no later event.
        """
        pump = self._pumps.get(bus_channel)
        if pump is None:
            pump = self._pumps[bus_channel] = _Pump(channel.name, channel.droppable)
            pump.task = asyncio.create_task(self._run(bus_channel, pump))
        pump.connections.add(connection)
        if not pump.live.is_set():
            try:
                async with asyncio.timeout(CONFIRM_SECONDS):
                    await pump.live.wait()
            except TimeoutError:
                logger.warning("ws_bus_unconfirmed", channel=bus_channel)

    def remove(self, bus_channel: str, connection: Connection) -> None:
        """Stop delivering to ``connection``; unsubscribes when nobody local follows it."""
        pump = self._pumps.get(bus_channel)
        if pump is None:
            return
        pump.connections.discard(connection)
        if not pump.connections and pump.task is not None:
            pump.task.cancel()
            del self._pumps[bus_channel]

    async def close(self) -> None:
        """Stop every pump (at shutdown)."""
        pumps, self._pumps = list(self._pumps.values()), {}
        for pump in pumps:
            if pump.task is not None:
                pump.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump.task

    async def _run(self, bus_channel: str, pump: _Pump) -> None:
        while True:
            try:
                await self._pump(bus_channel, pump)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("ws_bus_failed", channel=bus_channel, error=type(error).__name__)
            pump.live.clear()
            await asyncio.sleep(RETRY_SECONDS)

    async def _pump(self, bus_channel: str, pump: _Pump) -> None:
        async for _, message in self.bus.subscribe(bus_channel, ready=pump.live):
            try:
                event = events.decode(pump.client_channel, message)
            except ValidationError:
                logger.warning("ws_event_undecodable", channel=bus_channel)
                continue
            delivery = Delivery(
                pump.client_channel, event.kind, event.published_ns, event.data, pump.droppable
            )
            for connection in list(pump.connections):
                connection.offer(delivery)
