"""Live feeds: replay and synthetic streams, and the service that publishes them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np
import pytest

from quantdesk.errors import NotFoundError
from quantdesk.marketdata.feeds.replay import ReplayFeed
from quantdesk.marketdata.feeds.synthetic import SyntheticFeed
from quantdesk.marketdata.synthetic import SyntheticSpec, synthetic_bars
from quantdesk.runtime import Runtime
from quantdesk.services import events, feeds, quotes


class FakeSleep:
    """Records the pauses a feed asks for instead of waiting."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def history(symbol: str, bars: int = 5, seed: int = 0) -> object:
    spec = SyntheticSpec(symbol, "1m", datetime(2024, 1, 1, tzinfo=UTC), bars=bars, seed=seed)
    return synthetic_bars(spec)


async def test_replay_feed_plays_symbols_in_time_order_at_speed() -> None:
    sleep = FakeSleep()
    feed = ReplayFeed({"A": history("A"), "B": history("B")}, speed=60, sleep=sleep)
    played = [(q.symbol, q.price) async for q in feed.quotes(["A", "B"])]
    source = history("A")
    assert [symbol for symbol, _ in played] == ["A", "B"] * 5
    assert played[0][1] == float(source.close[0])
    assert sleep.pauses == pytest.approx([1.0] * 4)


async def test_replay_feed_bars_keep_prices_and_shift_time_to_now() -> None:
    feed = ReplayFeed({"A": history("A", bars=3)}, speed=1e6, sleep=FakeSleep())
    bars = [bar async for bar in feed.bars(["A"], "1m")]
    source = history("A", bars=3)
    assert [float(bar.close[0]) for bar in bars] == source.close.tolist()
    assert np.diff([int(bar.timestamps[0]) for bar in bars]).tolist() == [60 * 10**9] * 2
    assert abs(int(bars[0].timestamps[0]) - datetime.now(UTC).timestamp() * 1e9) < 60e9


async def test_replay_feed_unknown_symbol_raises_not_found() -> None:
    feed = ReplayFeed({"A": history("A")})
    with pytest.raises(NotFoundError, match="ZZZ"):
        [quote async for quote in feed.quotes(["ZZZ"])]


async def test_synthetic_feed_bars_are_valid_and_quotes_have_a_spread() -> None:
    feed = SyntheticFeed(seed=1, sleep=FakeSleep(), speed=60)
    stream = feed.bars(["X"], "1m")
    bars = [await anext(stream) for _ in range(20)]
    quote = await anext(feed.quotes(["X"]))
    for bar in bars:
        assert bar.low[0] <= min(bar.open[0], bar.close[0]) <= max(bar.open[0], bar.close[0])
        assert bar.high[0] >= max(bar.open[0], bar.close[0])
    assert np.diff([int(b.timestamps[0]) for b in bars]).tolist() == [60 * 10**9] * 19
    assert quote.bid is not None
    assert quote.ask is not None
    assert quote.bid < quote.price < quote.ask


async def test_feeds_run_updates_quotes_and_publishes_bars(runtime: Runtime) -> None:
    received: list[events.Event] = []

    async def listen() -> None:
        async for _, message in runtime.bus.subscribe("bars:X:1m"):
            received.append(events.decode("bars:X:1m", message))

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    feed = SyntheticFeed(seed=2, quote_seconds=0.01, speed=6000)
    stats = await feeds.run(runtime.context, feed, ["x"], timeframe="1m", limit=10)
    await asyncio.sleep(0.01)
    listener.cancel()
    async with runtime.context() as ctx:
        cached = await quotes.cached(ctx, "X")
    assert stats.quotes == 10
    assert cached is not None
    assert cached.symbol == "X"
    assert received
    assert received[0].kind == "bar"
    assert set(received[0].data) == {"t", "o", "h", "l", "c", "v"}
