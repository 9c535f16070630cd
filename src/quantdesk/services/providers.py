"""Fetch history from a data provider and store it; report each provider's circuit breaker.

Providers come from the composition root as a name → ``MarketDataProvider`` mapping, so
this module never picks a vendor itself. Fetched bars are stored with ``store_bars`` in the
caller's transaction, and the symbol's latest quote follows the newest bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import structlog

from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.ports.market_data import MarketDataProvider
from quantdesk.resilience import BreakerSnapshot, CircuitBreaker
from quantdesk.services import quotes
from quantdesk.services.context import ServiceContext
from quantdesk.services.market_data import ImportSummary, store_bars
from quantdesk.services.users import require_actor

Providers = Mapping[str, MarketDataProvider]

logger = structlog.get_logger(__name__)


def get_provider(providers: Providers, name: str) -> MarketDataProvider:
    """The provider registered as ``name``, or an error listing the registered ones."""
    if name not in providers:
        raise ValidationError(
            f"provider {name!r} is not available; use one of {', '.join(sorted(providers))}",
            details={"field": "provider"},
        )
    return providers[name]


async def fetch(
    ctx: ServiceContext,
    providers: Providers,
    *,
    provider: str,
    symbol: str,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
    exchange: str = "",
) -> ImportSummary:
    """Fetch ``symbol``'s bars from ``provider`` and store them, for the signed-in user.

    The command line, run by the operator, calls ``fetch_and_store`` directly.

    Raises:
        NotFoundError: The provider does not know the symbol, or returned no bars.
        RateLimitedError: The provider's rate limit holds; ``retry_after`` says how long.
        UnavailableError: The provider is down, its breaker is open, or its key is missing.
        ValidationError: Unknown provider, unsupported timeframe, or start after end.
    """
    require_actor(ctx)
    return await fetch_and_store(
        ctx,
        providers,
        provider=provider,
        symbol=symbol,
        timeframe=timeframe,
        start=start,
        end=end,
        exchange=exchange,
    )


async def fetch_and_store(
    ctx: ServiceContext,
    providers: Providers,
    *,
    provider: str,
    symbol: str,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
    exchange: str = "",
) -> ImportSummary:
    """Fetch and store without checking who asks; the errors are ``fetch``'s."""
    if start is not None and end is not None and start > end:
        raise ValidationError("start is after end; swap them", details={"field": "start"})
    source = get_provider(providers, provider)
    bars = await source.fetch(symbol, timeframe, start, end)
    if not len(bars):
        raise NotFoundError("Bars", f"of {symbol} at {timeframe} from {provider} in that range")
    summary = await store_bars(ctx, symbol, bars, exchange=exchange)
    await quotes.refresh_from_bars(ctx, summary.symbol, bars)
    logger.info("bars_fetched", provider=provider, timeframe=timeframe, rows=summary.rows)
    return summary


def breaker_states(providers: Providers) -> list[BreakerSnapshot]:
    """Each provider's circuit-breaker state, by provider name; providers without one skip."""
    states = []
    for name in sorted(providers):
        breaker = getattr(providers[name], "breaker", None)
        if isinstance(breaker, CircuitBreaker):
            snapshot = breaker.snapshot()
            states.append(
                BreakerSnapshot(name, snapshot.state, snapshot.failures, snapshot.reopens_at)
            )
    return states
