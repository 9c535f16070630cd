"""Latest quotes: from the cache (memory or Redis), else the last stored bar, else 404."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.bars import Bars
from quantdesk.errors import NotFoundError
from quantdesk.marketdata.synthetic import synthetic_bars
from quantdesk.ports.market_data import Quote
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import events, market_data, quotes
from quantdesk.settings import Settings
from tests.fixtures.apps import serve, settings_with
from tests.fixtures.market_files import START, bars_csv, daily_bars
from tests.fixtures.stored_bars import DAY_NS, MONDAY_NS, StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users", "tests.fixtures.stored_bars"]

URL = "/api/v1/market-data/AAPL/quote"


@pytest_asyncio.fixture(loop_scope="session")
async def cached_runtime(
    settings: Settings, cache_url: str | None, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """A runtime on the in-memory cache, or on Redis when TEST_REDIS_URL is set."""
    built = build_runtime(settings_with(settings, redis_url=cache_url))
    yield built
    await built.close()


@pytest.fixture
def cached_app(settings: Settings, cached_runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=cached_runtime)


async def test_quote_update_is_served_from_cache_and_published(
    cached_app: FastAPI, cached_runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    subscription = cached_runtime.bus.subscribe(quotes.channel("aapl"))
    receiving = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0.05)
    before = time.time_ns()
    async with cached_runtime.context() as ctx:
        await quotes.update(ctx, Quote("aapl", MONDAY_NS, 187.5, bid=187.4, ask=187.6))
    channel, message = await asyncio.wait_for(receiving, timeout=5)
    await subscription.aclose()  # type: ignore[attr-defined]
    event = events.decode(channel, message)
    assert channel == "quotes:AAPL"
    assert (event.kind, event.data["symbol"], event.data["price"]) == ("quote", "AAPL", 187.5)
    assert before <= event.published_ns <= time.time_ns()
    async with serve(cached_app) as http:
        response = await http.get(URL, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["price"], body["bid"], body["stale"], body["source"]) == (
        187.5,
        187.4,
        False,
        "cache",
    )
    assert body["timestamp"].startswith("2024-01-08T00:00:00")


async def test_quote_older_than_cached_one_is_ignored(cached_runtime: Runtime) -> None:
    async with cached_runtime.context() as ctx:
        assert await quotes.update(ctx, Quote("AAPL", MONDAY_NS + DAY_NS, 190.0))
        assert not await quotes.update(ctx, Quote("AAPL", MONDAY_NS, 150.0))
        latest = await quotes.latest(ctx, "AAPL")
    assert latest.quote.price == 190.0


async def test_quote_falls_back_to_last_stored_close_marked_stale(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", [100.0, 101.0, 102.5])
    response = await client.get(URL, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["price"], body["stale"], body["source"]) == (102.5, True, "bars")
    assert body["timestamp"].startswith("2024-01-10")


async def test_quote_refresh_from_bars_makes_last_bar_the_quote(
    runtime: Runtime, store_daily: StoreDaily
) -> None:
    bars = await store_daily("AAPL", [100.0, 99.0])
    async with runtime.context() as ctx:
        assert await quotes.refresh_from_bars(ctx, "AAPL", bars)
        latest = await quotes.latest(ctx, "AAPL")
    assert (latest.quote.price, latest.stale) == (99.0, False)


async def test_quote_unknown_symbol_is_404(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    response = await client.get("/api/v1/market-data/NOPE/quote", headers=user.headers)
    assert response.status_code == 404
    assert "NOPE" in response.json()["error"]["message"]


async def test_quote_without_token_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401


async def assert_quote_is_last_bar(runtime: Runtime, bars: Bars) -> None:
    async with runtime.context() as ctx:
        latest = await quotes.latest(ctx, "AAPL")
    assert (latest.quote.price, latest.stale) == (float(bars.close[-1]), False)
    assert latest.quote.timestamp_ns == int(bars.timestamps[-1])


async def test_quote_follows_newest_bar_after_file_import(cached_runtime: Runtime) -> None:
    bars = daily_bars(8)
    options = market_data.FileOptions(filename="aapl.csv", timeframe="1d")
    async with cached_runtime.context() as ctx:
        await market_data.import_file(ctx, bars_csv(bars, date_only=True), options, symbol="aapl")
    await assert_quote_is_last_bar(cached_runtime, bars)


async def test_quote_follows_newest_bar_after_synthetic_store(cached_runtime: Runtime) -> None:
    spec = market_data.SyntheticSpec("aapl", "1h", START, bars=30, seed=5)
    async with cached_runtime.context() as ctx:
        await market_data.store_synthetic(ctx, spec)
    await assert_quote_is_last_bar(cached_runtime, synthetic_bars(spec))


async def test_quote_expires_after_configured_ttl(
    settings: Settings, cache_url: str | None
) -> None:
    runtime = build_runtime(settings_with(settings, redis_url=cache_url, quote_ttl_seconds=0.2))
    try:
        async with runtime.context() as ctx:
            await quotes.update(ctx, Quote("AAPL", MONDAY_NS, 187.5))
            assert (await quotes.latest(ctx, "AAPL")).quote.price == 187.5
        await asyncio.sleep(0.4)
        async with runtime.context() as ctx:
            with pytest.raises(NotFoundError):
                await quotes.latest(ctx, "AAPL")
    finally:
        await runtime.close()
