"""Run a live feed: its quotes become the latest quotes, its bars go out on ``bars:`` channels.

Any ``LiveFeed`` works (replay, synthetic, a provider that streams). Each quote goes through
``quotes.update`` (cache, then ``quotes:{SYMBOL}`` after commit) and each completed bar is
published as a ``bar`` event on ``bars:{SYMBOL}:{timeframe}``, one unit of work per item, so
clients of the WebSocket hub receive them in every server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import structlog

from quantdesk.bars import Bars
from quantdesk.ports.market_data import LiveFeed, Quote
from quantdesk.services import events, quotes
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import normalize_symbol

Contexts = Callable[[], AbstractAsyncContextManager[ServiceContext]]

logger = structlog.get_logger(__name__)


@dataclass(slots=True)
class FeedStats:
    """What one run published."""

    quotes: int = 0
    bars: int = 0


def bar_rows(bars: Bars) -> list[dict[str, Any]]:
    """Bars as the JSON rows clients receive: ``t`` (UTC ns) and ``o h l c v``."""
    columns = zip(
        bars.timestamps.tolist(),
        bars.open.tolist(),
        bars.high.tolist(),
        bars.low.tolist(),
        bars.close.tolist(),
        bars.volume.tolist(),
        strict=True,
    )
    return [{"t": t, "o": o, "h": h, "l": low, "c": c, "v": v} for t, o, h, low, c, v in columns]


def bars_channel(symbol: str, timeframe: str) -> str:
    """The client channel a symbol's completed bars of one timeframe are published on."""
    return events.parse_channel(f"bars:{symbol}:{timeframe}").name


async def run(
    contexts: Contexts,
    feed: LiveFeed,
    symbols: list[str],
    *,
    timeframe: str | None = None,
    limit: int | None = None,
) -> FeedStats:
    """Publish the feed's quotes, and its bars when ``timeframe`` is given.

    Runs until the feed ends, ``limit`` quotes have gone out (then bars stop too), or the
    task is cancelled.

    Raises:
        ValidationError: A symbol or the timeframe is malformed.
    """
    names = [normalize_symbol(symbol) for symbol in symbols]
    stats = FeedStats()
    quote_task = asyncio.create_task(_publish_quotes(contexts, feed.quotes(names), stats, limit))
    tasks = [quote_task]
    if timeframe is not None:
        bars_channel(names[0], timeframe)
        tasks.append(asyncio.create_task(_publish_bars(contexts, feed, names, timeframe, stats)))
    logger.info("feed_started", symbols=names, timeframe=timeframe)
    try:
        await (quote_task if limit is not None else asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("feed_stopped", quotes=stats.quotes, bars=stats.bars)
    return stats


async def _publish_quotes(
    contexts: Contexts, stream: AsyncIterator[Quote], stats: FeedStats, limit: int | None
) -> None:
    async for quote in stream:
        async with contexts() as ctx:
            await quotes.update(ctx, quote)
        stats.quotes += 1
        if limit is not None and stats.quotes >= limit:
            return


async def _publish_bars(
    contexts: Contexts, feed: LiveFeed, names: list[str], timeframe: str, stats: FeedStats
) -> None:
    async for bar in feed.bars(names, timeframe):
        async with contexts() as ctx:
            publish_bar(ctx, bar, timeframe)
        stats.bars += 1


def publish_bar(ctx: ServiceContext, bars: Bars, timeframe: str) -> None:
    """Publish each of ``bars`` as a ``bar`` event once the transaction commits."""
    channel = bars_channel(bars.symbol, timeframe)
    for row in bar_rows(bars):
        events.publish(ctx, channel, None, "bar", row)
