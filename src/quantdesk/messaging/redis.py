"""Redis cache and bus: shared state and fan-out across server and worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from quantdesk.errors import UnavailableError

_CLOSE_SECONDS = 2.0


class RedisCache:
    """The cache port on Redis; every key is prefixed so one Redis can serve several apps."""

    def __init__(self, client: Redis, prefix: str = "quantdesk:") -> None:
        self._client = client
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        ttl = int(ttl_seconds * 1000) if ttl_seconds else None
        await self._client.set(self._prefix + key, value, px=ttl)

    async def delete(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def incr(self, key: str, *, ttl_seconds: float) -> tuple[int, float]:
        name = self._prefix + key
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, int(ttl_seconds * 1000), nx=True)
            pipe.pttl(name)
            count, _, ttl_ms = await pipe.execute()
        return int(count), max(int(ttl_ms), 0) / 1000

    async def ping(self) -> None:
        await _ping(self._client)

    async def close(self) -> None:
        await self._client.aclose()


class RedisBus:
    """The bus port on Redis pub/sub."""

    def __init__(self, client: Redis, prefix: str = "quantdesk:") -> None:
        self._client = client
        self._prefix = prefix

    async def publish(self, channel: str, message: bytes) -> None:
        await self._client.publish(self._prefix + channel, message)

    async def subscribe(
        self, *channels: str, ready: asyncio.Event | None = None
    ) -> AsyncIterator[tuple[str, bytes]]:
        pubsub = self._client.pubsub()
        unconfirmed = {self._prefix + channel for channel in channels}
        try:
            await pubsub.subscribe(*unconfirmed)
            _raise_if_cancelled()
            async for message in pubsub.listen():
                name = message["channel"].decode()
                if message["type"] == "message":
                    yield name.removeprefix(self._prefix), message["data"]
                elif message["type"] == "subscribe":
                    unconfirmed.discard(name)  # Redis answers each SUBSCRIBE once it is live
                    if not unconfirmed and ready is not None:
                        ready.set()
        finally:
            await _close(pubsub)

    async def ping(self) -> None:
        await _ping(self._client)

    async def close(self) -> None:
        await self._client.aclose()


def _raise_if_cancelled() -> None:
    # redis-py's subscribe can swallow a cancellation that arrives while it connects
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _close(pubsub: PubSub) -> None:
    # a shutdown must not wait on a connection that no longer answers
    with suppress(TimeoutError):
        async with asyncio.timeout(_CLOSE_SECONDS):
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped


async def _ping(client: Redis) -> None:
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        raise UnavailableError(f"Redis is unreachable ({type(error).__name__})") from None


def connect_redis(url: str) -> Redis:
    """A client with short timeouts, so a dead Redis fails health checks quickly."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
