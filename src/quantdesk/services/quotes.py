"""Latest quotes: kept in the cache port per symbol, announced on the bus after commit.

The cache is in-process or Redis, so every server and worker answers the same quote; each
update goes out as a ``quote`` event (``services.events``) on ``quotes:{SYMBOL}``. A
symbol with no cached quote falls back to its last stored bar's close, marked stale. Call
``refresh_from_bars`` after storing bars, so the quote follows the newest bar.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import orjson

from quantdesk.bars import Bars
from quantdesk.errors import NotFoundError
from quantdesk.ports.market_data import Quote
from quantdesk.services import events, instruments, market_data
from quantdesk.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class LatestQuote:
    """A quote and where it came from: the live cache, or the last stored bar (stale)."""

    quote: Quote
    stale: bool
    source: str


def cache_key(symbol: str) -> str:
    return f"quotes:{instruments.normalize_symbol(symbol)}"


def channel(symbol: str) -> str:
    """The bus channel a symbol's quotes are published on."""
    return f"quotes:{instruments.normalize_symbol(symbol)}"


async def update(ctx: ServiceContext, quote: Quote, *, ttl_seconds: float | None = None) -> bool:
    """Store ``quote`` as the symbol's latest and publish it once the transaction commits.

    A quote older than the cached one is ignored, so importing old history never hides a
    newer price. It stays cached for ``ttl_seconds``, by default the configured
    ``quote_ttl_seconds``, so a symbol nobody updates falls back to its stored bars.
    Returns whether the quote was taken.
    """
    symbol = instruments.normalize_symbol(quote.symbol)
    current = await cached(ctx, symbol)
    if current is not None and current.timestamp_ns > quote.timestamp_ns:
        return False
    body = asdict(quote) | {"symbol": symbol}
    ttl = ctx.config.quote_ttl_seconds if ttl_seconds is None else ttl_seconds
    await ctx.cache.set(cache_key(symbol), orjson.dumps(body), ttl_seconds=ttl)
    events.publish(ctx, channel(symbol), None, "quote", body)
    return True


async def refresh_from_bars(ctx: ServiceContext, symbol: str, bars: Bars) -> bool:
    """Make the last of ``bars`` the symbol's quote; call it after ``store_bars``."""
    if not len(bars):
        return False
    last = Quote(
        symbol=symbol,
        timestamp_ns=int(bars.timestamps[-1]),
        price=float(bars.close[-1]),
        volume=float(bars.volume[-1]),
    )
    return await update(ctx, last)


async def cached(ctx: ServiceContext, symbol: str) -> Quote | None:
    """The cached quote of a symbol, or None."""
    payload = await ctx.cache.get(cache_key(symbol))
    return Quote(**orjson.loads(payload)) if payload else None


async def latest(ctx: ServiceContext, symbol: str) -> LatestQuote:
    """The cached quote, else the last stored bar's close marked stale.

    Raises:
        NotFoundError: Neither a quote nor a stored bar exists for the symbol.
    """
    quote = await cached(ctx, symbol)
    if quote is not None:
        return LatestQuote(quote, stale=False, source="cache")
    bars = await _last_bar(ctx, symbol)
    if bars is None or not len(bars):
        raise NotFoundError("Quote", f"of {instruments.normalize_symbol(symbol)}")
    last = Quote(bars.symbol, int(bars.timestamps[-1]), float(bars.close[-1]))
    return LatestQuote(last, stale=True, source="bars")


async def _last_bar(ctx: ServiceContext, symbol: str) -> Bars | None:
    try:
        timeframes = await market_data.stored_timeframes(ctx, symbol)
        if not timeframes:
            return None
        return await market_data.load_bars(ctx, symbol, timeframes[0], limit=1)
    except NotFoundError:
        return None
