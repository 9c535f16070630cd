"""The in-process trading engine: one broker per user and mode, and its event consumer.

Brokers are made on first use by the factory the composition root gives (paper, or a live
adapter). Each broker's event stream is consumed by a task that books every update and fill
in its own unit of work; an event for an order whose submit has not committed yet is
retried briefly, then left to reconciliation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass, field

import structlog

from quantdesk.ports.broker import Broker, BrokerEvent
from quantdesk.services.context import ServiceContext
from quantdesk.services.fills import OrderNotStoredError, apply_broker_event
from quantdesk.services.trading_metrics import BROKER_CONNECTED

__all__ = ["BrokerFactory", "ContextFactory", "TradingEngine"]

logger = structlog.get_logger(__name__)

BrokerFactory = Callable[[int, str, ServiceContext | None], Awaitable[Broker]]
ContextFactory = Callable[[], AbstractAsyncContextManager[ServiceContext]]

RETRIES = 40
RETRY_SECONDS = 0.05


@dataclass
class TradingEngine:
    """Owns the live brokers and books their events; close it at shutdown."""

    contexts: ContextFactory
    broker_factory: BrokerFactory
    _brokers: dict[tuple[int, str], Broker] = field(default_factory=dict)
    _consumers: list[asyncio.Task[None]] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def broker(
        self, user_id: int, mode: str = "paper", ctx: ServiceContext | None = None
    ) -> Broker:
        """The user's connected broker for ``mode``, made and connected on first use.

        A live broker is made from the user's saved settings, read in ``ctx`` (the caller's
        unit of work) when given: a second transaction would wait for the first's lock.
        """
        key = (user_id, mode)
        if key in self._brokers:
            return self._brokers[key]
        async with self._lock:
            if key not in self._brokers:
                broker = await self.broker_factory(user_id, mode, ctx)
                await broker.connect()
                BROKER_CONNECTED.labels(broker.name).set(1)
                self._brokers[key] = broker
                task = asyncio.create_task(self._consume(user_id, broker.events()))
                self._consumers.append(task)
        return self._brokers[key]

    def brokers(self) -> dict[tuple[int, str], Broker]:
        """The brokers made so far, by user and mode."""
        return dict(self._brokers)

    async def _consume(self, user_id: int, stream: AsyncIterator[BrokerEvent]) -> None:
        async for event in stream:
            try:
                await self._apply(user_id, event)
            except Exception:  # a bad event must not stop the stream
                logger.exception("broker_event_failed", user_id=user_id)

    async def _apply(self, user_id: int, event: BrokerEvent) -> None:
        for _attempt in range(RETRIES):
            try:
                async with self.contexts() as ctx:
                    await apply_broker_event(ctx, user_id, event)
                return
            except OrderNotStoredError:
                await asyncio.sleep(RETRY_SECONDS)
        logger.warning("broker_event_unmatched", user_id=user_id)

    async def close(self) -> None:
        """Close every broker and stop its consumer."""
        for broker in self._brokers.values():
            await broker.close()
            BROKER_CONNECTED.labels(broker.name).set(0)
        for task in self._consumers:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self._brokers.clear()
        self._consumers.clear()
