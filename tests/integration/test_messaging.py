"""The cache and bus ports behave the same in memory and on Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from quantdesk.errors import UnavailableError
from quantdesk.messaging.memory import MemoryBus, MemoryCache
from quantdesk.messaging.redis import RedisBus, RedisCache, connect_redis
from quantdesk.ports.bus import Bus
from quantdesk.ports.cache import Cache


@pytest_asyncio.fixture(loop_scope="session")
async def cache(cache_url: str | None) -> AsyncIterator[Cache]:
    built: Cache = RedisCache(connect_redis(cache_url)) if cache_url else MemoryCache()
    yield built
    await built.close()


@pytest_asyncio.fixture(loop_scope="session")
async def bus(cache_url: str | None) -> AsyncIterator[Bus]:
    built: Bus = RedisBus(connect_redis(cache_url)) if cache_url else MemoryBus()
    yield built
    await built.close()


async def test_cache_set_get_delete_round_trips(cache: Cache) -> None:
    await cache.set("k", b"value")
    assert await cache.get("k") == b"value"
    await cache.delete("k")
    assert await cache.get("k") is None


async def test_cache_value_expires_after_ttl(cache: Cache) -> None:
    await cache.set("short", b"x", ttl_seconds=0.05)
    await asyncio.sleep(0.12)
    assert await cache.get("short") is None


async def test_cache_incr_counts_in_a_fixed_window(cache: Cache) -> None:
    first = await cache.incr("hits", ttl_seconds=10)
    second = await cache.incr("hits", ttl_seconds=10)
    assert first[0] == 1
    assert second[0] == 2
    assert 0 < second[1] <= 10


async def test_cache_incr_restarts_after_window(cache: Cache) -> None:
    await cache.incr("window", ttl_seconds=0.05)
    await asyncio.sleep(0.12)
    count, _ = await cache.incr("window", ttl_seconds=0.05)
    assert count == 1


async def test_bus_delivers_to_subscriber_of_channel_only(bus: Bus) -> None:
    ready = asyncio.Event()
    stream = bus.subscribe("fills", ready=ready)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.wait_for(ready.wait(), timeout=2)
    await bus.publish("quotes", b"ignored")
    await bus.publish("fills", b"fill-1")
    assert await asyncio.wait_for(first, timeout=2) == ("fills", b"fill-1")
    await stream.aclose()  # type: ignore[attr-defined]


async def test_bus_ready_subscription_misses_nothing_published_after_it(bus: Bus) -> None:
    ready = asyncio.Event()
    stream = bus.subscribe("orders", "fills", ready=ready)
    received: list[tuple[str, bytes]] = []

    async def collect() -> None:
        async for item in stream:
            received.append(item)
            if len(received) == 40:
                return

    task = asyncio.create_task(collect())
    await asyncio.wait_for(ready.wait(), timeout=2)
    for number in range(20):
        await bus.publish("orders", b"order-%d" % number)
        await bus.publish("fills", b"fill-%d" % number)
    await asyncio.wait_for(task, timeout=2)
    await stream.aclose()  # type: ignore[attr-defined]
    assert [m for c, m in received if c == "orders"] == [b"order-%d" % n for n in range(20)]
    assert [m for c, m in received if c == "fills"] == [b"fill-%d" % n for n in range(20)]


async def test_bus_ready_waits_for_the_iteration_to_start(bus: Bus) -> None:
    ready = asyncio.Event()
    stream = bus.subscribe("idle", ready=ready)
    await asyncio.sleep(0.05)
    assert not ready.is_set()
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.wait_for(ready.wait(), timeout=2)
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await pending


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5, 8])
async def test_bus_subscriber_cancelled_while_subscribing_ends_promptly(
    bus: Bus, turns: int
) -> None:
    async def follow() -> None:
        async for _ in bus.subscribe("early-cancel"):
            pass

    task = asyncio.create_task(follow())
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait((task,), timeout=3)
    assert done == {task}
    assert task.cancelled()


async def test_ping_answers_when_reachable(cache: Cache, bus: Bus) -> None:
    await cache.ping()
    await bus.ping()


async def test_redis_ping_on_closed_port_raises_unavailable() -> None:
    cache = RedisCache(connect_redis("redis://127.0.0.1:1/0"))
    with pytest.raises(UnavailableError, match="Redis is unreachable"):
        await cache.ping()
    await cache.close()
