"""Snapshots: the current state a subscription starts from, one provider per channel kind.

A provider runs in a unit of work whose actor is the subscribing user, so it checks access
the way every service does: raising ``NotFoundError`` or ``PermissionDeniedError`` refuses
the subscription with an error frame. A kind without a provider starts from ``null``.

Areas register their own provider next to their router, for example::

    snapshots.register("orders", open_orders_snapshot)

where ``async def open_orders_snapshot(ctx, channel) -> Any`` returns JSON-ready data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quantdesk.errors import NotFoundError
from quantdesk.services import feeds, jobs, market_data, quotes
from quantdesk.services.context import ServiceContext
from quantdesk.services.events import Channel

SnapshotProvider = Callable[[ServiceContext, Channel], Awaitable[Any]]
SNAPSHOT_BARS = 200

_PROVIDERS: dict[str, SnapshotProvider] = {}


def register(kind: str, provider: SnapshotProvider) -> None:
    """Make ``provider`` answer subscriptions to channels of ``kind``; the last one wins."""
    _PROVIDERS[kind] = provider


async def snapshot(ctx: ServiceContext, channel: Channel) -> Any:
    """The channel's current state for ``ctx.actor``, or None when its kind has no provider.

    Raises:
        NotFoundError: The resource does not exist or is not the actor's (``jobs:{id}``).
        PermissionDeniedError: A provider refused the actor.
    """
    provider = _PROVIDERS.get(channel.kind)
    return None if provider is None else await provider(ctx, channel)


async def latest_quote(ctx: ServiceContext, channel: Channel) -> Any:
    """The cached quote (or last close, marked stale); None for a symbol never seen."""
    try:
        latest = await quotes.latest(ctx, channel.args[0])
    except NotFoundError:
        return None
    quote = latest.quote
    return {
        "symbol": quote.symbol,
        "timestamp_ns": quote.timestamp_ns,
        "price": quote.price,
        "bid": quote.bid,
        "ask": quote.ask,
        "volume": quote.volume,
        "stale": latest.stale,
    }


async def last_bars(ctx: ServiceContext, channel: Channel) -> Any:
    """The last ``SNAPSHOT_BARS`` stored bars, oldest first; empty when none are stored."""
    symbol, timeframe = channel.args
    try:
        bars = await market_data.load_bars(ctx, symbol, timeframe, limit=SNAPSHOT_BARS)
    except NotFoundError:
        return []
    return feeds.bar_rows(bars)


async def job_status(ctx: ServiceContext, channel: Channel) -> Any:
    """The job's status and progress; another user's job is not found."""
    job = await jobs.get(ctx, int(channel.args[0]))
    body: dict[str, Any] = {"id": job.id, "status": job.status, "progress": job.progress}
    if job.error:
        body["error"] = job.error
    return body


register("quotes", latest_quote)
register("bars", last_bars)
register("jobs", job_status)
