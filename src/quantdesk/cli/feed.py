"""``quantdesk feed``: run a live feed that publishes quotes and bars to every server.

The feed runs in its own process and reaches the servers' WebSocket clients through Redis,
so it needs ``REDIS_URL``; without it the events would stay inside this command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from quantdesk.cli.common import EXIT_CONFIGURATION, console, fail, run, settings_or_exit
from quantdesk.errors import QuantDeskError
from quantdesk.marketdata.feeds.replay import ReplayFeed
from quantdesk.marketdata.feeds.synthetic import SyntheticFeed
from quantdesk.ports.market_data import LiveFeed
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import feeds, market_data
from quantdesk.settings import Settings

app = typer.Typer(
    help="Stream live quotes and bars to the dashboard and strategies.", no_args_is_help=True
)

MakeFeed = Callable[[Runtime], Awaitable[LiveFeed]]
Symbols = Annotated[list[str], typer.Argument(help="One or more symbols.")]
Timeframe = Annotated[str, typer.Option(help="Bar length: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w.")]
Limit = Annotated[
    int | None, typer.Option(min=1, help="Stop after this many quotes [default: never].")
]


@app.command("replay")
def replay(
    symbols: Symbols,
    timeframe: Timeframe = "1m",
    speed: Annotated[float, typer.Option(min=0.001, help="60 plays a 1m bar a second.")] = 60.0,
    bars: Annotated[int, typer.Option(min=1, help="How many of the latest bars.")] = 1_000,
    limit: Limit = None,
) -> None:
    """Replay stored bars as live quotes and bars, shifted to start now."""
    settings = _settings()

    async def history(runtime: Runtime) -> LiveFeed:
        async with runtime.context() as ctx:
            loaded = {
                s: await market_data.load_bars(ctx, s, timeframe, limit=bars) for s in symbols
            }
        return ReplayFeed(loaded, speed=speed)

    _run_feed(settings, history, symbols, timeframe, limit)


@app.command("synthetic")
def synthetic(
    symbols: Symbols,
    timeframe: Timeframe = "1m",
    quote_seconds: Annotated[float, typer.Option(min=0.001, help="Seconds between quotes.")] = 0.25,
    speed: Annotated[float, typer.Option(min=0.001, help="60 completes a 1m bar a second.")] = 1.0,
    volatility: Annotated[float, typer.Option(min=0, help="Annualised, 0.5 = 50 %.")] = 0.5,
    seed: Annotated[int, typer.Option(min=0, help="The same seed tells the same story.")] = 0,
    limit: Limit = None,
) -> None:
    """Publish a seeded random walk of quotes and bars."""
    settings = _settings()

    async def walk(_runtime: Runtime) -> LiveFeed:
        return SyntheticFeed(
            seed=seed, volatility=volatility, quote_seconds=quote_seconds, speed=speed
        )

    _run_feed(settings, walk, symbols, timeframe, limit)


def _settings() -> Settings:
    settings = settings_or_exit()
    if not settings.redis_url:
        fail("set REDIS_URL: a feed reaches the servers only through Redis", EXIT_CONFIGURATION)
    return settings


def _run_feed(
    settings: Settings, make: MakeFeed, symbols: list[str], timeframe: str, limit: int | None
) -> None:
    async def body() -> feeds.FeedStats:
        runtime = build_runtime(settings)
        try:
            feed = await make(runtime)
            return await feeds.run(runtime.context, feed, symbols, timeframe=timeframe, limit=limit)
        finally:
            await runtime.close()

    console.print(f"Feeding {', '.join(symbols)} ({timeframe}); Ctrl+C stops.")
    try:
        stats = run(body())
    except QuantDeskError as error:
        fail(error.message)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    console.print(f"Published {stats.quotes} quotes and {stats.bars} bars.")
