"""The paper market: paper orders meet the prices that running feeds publish on the bus.

A paper broker tells the market the symbol of each order it accepts; the market then
listens on that symbol's ``quotes:{SYMBOL}`` channel and its ``bars:{SYMBOL}:{tf}`` channels
(the timeframes configured) and hands every price that arrives to each broker with working
orders in the symbol, by the broker's own fill rules:

* a bar is matched as the backtest matches it (a market order fills at its open);
* a quote is a bar whose open, high, low and close are its price, so a market order fills
  at the next quote and a limit or stop fills once a quote reaches its level.

Only prices published after the order was accepted count: a cached quote or a stored bar
is history, and a market order never fills at a price from before it was placed. A symbol
with no running feed keeps its orders working until one starts. Once no broker has working
orders in a symbol, the market stops listening to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from quantdesk.errors import ValidationError
from quantdesk.ports.bus import Bus
from quantdesk.services import events, quotes
from quantdesk.services.feeds import bars_channel
from quantdesk.trading.fills import Bar

__all__ = ["MarketMatching", "PaperMarket"]

logger = structlog.get_logger(__name__)


class MarketMatching(Protocol):
    """A broker that matches its resting orders against prices it is given (the paper broker)."""

    def on_bar(
        self, symbol: str, bar: Bar, *, volume: float | None = None, at: datetime | None = None
    ) -> None:
        """Match the working orders of ``symbol`` against one completed bar."""
        ...

    def working_symbols(self) -> set[str]:
        """The symbols that have orders able to meet the next bar."""
        ...


@dataclass
class PaperMarket:
    """One bus subscription per symbol with working paper orders; close it at shutdown."""

    bus: Bus
    timeframes: Sequence[str] = ("1m",)
    _brokers: dict[str, list[MarketMatching]] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def watch(self, broker: MarketMatching, symbol: str) -> None:
        """Hand ``symbol``'s published prices to ``broker`` while it has orders in it."""
        brokers = self._brokers.setdefault(symbol, [])
        if not any(known is broker for known in brokers):
            brokers.append(broker)
        if symbol not in self._tasks:
            task = asyncio.create_task(self._listen(symbol), name=f"paper-market-{symbol}")
            self._tasks[symbol] = task

    def watching(self) -> list[str]:
        """The symbols listened to now."""
        return sorted(self._tasks)

    async def close(self) -> None:
        """Stop listening to every symbol."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._brokers.clear()
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _listen(self, symbol: str) -> None:
        channels = [quotes.channel(symbol)]
        channels += [bars_channel(symbol, timeframe) for timeframe in self.timeframes]
        try:
            async for channel, message in self.bus.subscribe(*channels):
                price = _price(channel, message)
                if price is not None:
                    self._match(symbol, *price)
                if not self._still_working(symbol):
                    return
        except Exception:  # a broken subscription is logged; the next order listens again
            logger.exception("paper_market_failed", symbol=symbol)
        finally:
            if self._tasks.get(symbol) is asyncio.current_task():
                del self._tasks[symbol]

    def _match(self, symbol: str, bar: Bar, volume: float | None, at: datetime) -> None:
        for broker in list(self._brokers.get(symbol, ())):
            broker.on_bar(symbol, bar, volume=volume, at=at)

    def _still_working(self, symbol: str) -> bool:
        # no await between this check and the task's end, so a new watch starts a new task
        brokers = [b for b in self._brokers.get(symbol, ()) if symbol in b.working_symbols()]
        if brokers:
            self._brokers[symbol] = brokers
            return True
        self._brokers.pop(symbol, None)
        return False


def _price(channel: str, message: bytes) -> tuple[Bar, float | None, datetime] | None:
    try:
        event = events.decode(channel, message)
    except ValidationError:
        logger.warning("paper_market_bad_event", channel=channel)
        return None
    data: dict[str, Any] = event.data
    if event.kind == "quote":
        price = float(data["price"])  # a quote's volume is the day's, not this print's
        return Bar.of(price, price, price, price), None, _at(int(data["timestamp_ns"]))
    if event.kind == "bar":
        bar = Bar.of(float(data["o"]), float(data["h"]), float(data["l"]), float(data["c"]))
        return bar, float(data["v"]), _at(int(data["t"]))
    return None


def _at(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds / 1e9, tz=UTC)
