"""The hub on a real bus: a subscriber is added only once the bus has confirmed the channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest_asyncio

from quantdesk.api.websocket.connection import Connection, FlushOptions
from quantdesk.api.websocket.hub import Hub
from quantdesk.api.websocket.protocol import CODECS
from quantdesk.messaging.memory import MemoryBus
from quantdesk.messaging.redis import RedisBus, connect_redis
from quantdesk.ports.bus import Bus
from quantdesk.services import events


@pytest_asyncio.fixture(loop_scope="session")
async def bus(cache_url: str | None) -> AsyncIterator[Bus]:
    built: Bus = RedisBus(connect_redis(cache_url)) if cache_url else MemoryBus()
    yield built
    await built.close()


class Frames:
    """The frames a connection sent, decoded; ``batch`` waits for the next batch."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(self, frame: bytes) -> None:
        await self.frames.put(orjson.loads(frame))

    async def batch(self) -> dict[str, Any]:
        while (frame := await asyncio.wait_for(self.frames.get(), timeout=2))["type"] != "batch":
            pass
        return frame


async def follow(hub: Hub, name: str, frames: Frames) -> Connection:
    connection = Connection(frames.send, CODECS["json"], FlushOptions(0.01), ticker=hub.ticker)
    channel = events.parse_channel(name)
    connection.subscribe(channel.name)
    await hub.add(events.bus_channel(channel, 1 if channel.private else None), channel, connection)
    connection.ready(channel.name, {"type": "subscribed", "channel": channel.name})
    return connection


async def test_hub_add_returns_once_an_event_published_next_is_delivered(bus: Bus) -> None:
    hub = Hub(bus, flush_seconds=0.01)
    frames = Frames()
    connection = await follow(hub, "quotes:HUBA", frames)
    runner = asyncio.create_task(connection.run())
    await bus.publish("quotes:HUBA", events.encode("quote", {"price": 1.5}))
    batch = await frames.batch()
    connection.close(1000, "done")
    await runner
    await hub.close()
    assert [(e["channel"], e["data"]["price"], e["seq"]) for e in batch["events"]] == [
        ("quotes:HUBA", 1.5, 1)
    ]


async def test_hub_second_subscriber_of_a_live_channel_gets_the_next_event(bus: Bus) -> None:
    hub = Hub(bus, flush_seconds=0.01)
    first, second = Frames(), Frames()
    connections = [await follow(hub, "orders", first), await follow(hub, "orders", second)]
    runners = [asyncio.create_task(c.run()) for c in connections]
    await bus.publish(events.bus_channel("orders", 1), events.encode("fill", {"order_id": 7}))
    batches = [await first.batch(), await second.batch()]
    for connection in connections:
        connection.close(1000, "done")
    await asyncio.gather(*runners)
    await hub.close()
    assert hub.channels == 0
    assert [b["events"][0]["data"] for b in batches] == [{"order_id": 7}, {"order_id": 7}]
