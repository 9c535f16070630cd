"""Paper fills for manual orders: a paper order meets the prices running feeds publish.

The app runs on the in-memory bus and on Redis. Prices go out exactly as ``quantdesk feed``
publishes them (``quotes.update`` and ``feeds.publish_bar`` in a unit of work, on the bus
after commit); the paper market hands them to the user's paper broker, and the fill comes
back into the stored order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import pytest
import pytest_asyncio
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.bars import Bars
from quantdesk.ports.market_data import Quote
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import feeds, quotes
from quantdesk.settings import Settings
from tests.fixtures.apps import serve, settings_with
from tests.fixtures.orders import ORDERS_URL, eventually, submit
from tests.fixtures.users import SignedInUser, SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def bus_runtime(settings: Settings, cache_url: str | None) -> AsyncIterator[Runtime]:
    """The test database with the in-memory bus, or Redis when its URL is set."""
    built = build_runtime(
        settings_with(
            settings, redis_url=cache_url, paper_slippage_bps=10.0, paper_commission=0.001
        )
    )
    yield built
    await built.close()


@pytest_asyncio.fixture(loop_scope="session")
async def market_app(bus_runtime: Runtime) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(bus_runtime.settings, runtime=bus_runtime)
    async with serve(app) as http:
        yield app, http


async def _quote(runtime: Runtime, price: float) -> None:
    async with runtime.context() as ctx:
        await quotes.update(ctx, Quote("AAPL", time.time_ns(), price))


async def _bar(runtime: Runtime, ohlc: tuple[float, float, float, float]) -> None:
    open_, high, low, close = ([value] for value in ohlc)
    stamp = np.array([time.time_ns()], dtype=np.int64)
    bars = Bars.from_arrays(
        stamp, open_, high, low, close, [1_000.0], symbol="AAPL", timeframe="1m"
    )
    async with runtime.context() as ctx:
        feeds.publish_bar(ctx, bars, "1m")


async def _until_filled(
    http: httpx.AsyncClient, user: SignedInUser, order_id: int, publish: Any
) -> dict[str, Any]:
    # a bus subscription is made in the background: publish until the order has met a price
    for _ in range(100):
        await publish()
        order: dict[str, Any] = (
            await http.get(f"{ORDERS_URL}/{order_id}", headers=user.headers)
        ).json()
        if order["status"] == "filled":
            return order
        await asyncio.sleep(0.05)
    raise AssertionError(f"order {order_id} never filled: {order['status']}")


async def test_manual_market_order_fills_at_next_quote_with_configured_costs(
    market_app: tuple[FastAPI, httpx.AsyncClient], bus_runtime: Runtime, sign_in: SignIn
) -> None:
    app, http = market_app
    user = await sign_in()
    response = await submit(http, user, "m1")
    assert response.json()["status"] == "accepted"

    order = await _until_filled(
        http, user, response.json()["id"], lambda: _quote(bus_runtime, 200.0)
    )

    assert Decimal(order["average_fill_price"]) == Decimal("200.2")  # 10 bps of slippage
    trades = (await http.get("/api/v1/trades", headers=user.headers)).json()["items"]
    assert Decimal(trades[0]["fees"]) == Decimal("2.002")  # 0.1 % of 10 x 200.2

    async def idle() -> bool:
        return not app.state.paper_market.watching()

    await eventually(idle)


async def test_manual_limit_order_fills_at_its_level_on_a_published_bar(
    market_app: tuple[FastAPI, httpx.AsyncClient], bus_runtime: Runtime, sign_in: SignIn
) -> None:
    _app, http = market_app
    user = await sign_in()
    response = await submit(http, user, "l1", type="limit", limit_price="95")

    async def bar_through_the_limit() -> None:
        await _bar(bus_runtime, (100.0, 101.0, 94.0, 96.0))

    order = await _until_filled(http, user, response.json()["id"], bar_through_the_limit)

    assert Decimal(order["average_fill_price"]) == Decimal("95.095")  # the level, slipped


async def test_manual_order_does_not_fill_at_a_quote_from_before_it(
    market_app: tuple[FastAPI, httpx.AsyncClient], bus_runtime: Runtime, sign_in: SignIn
) -> None:
    _app, http = market_app
    user = await sign_in()
    await _quote(bus_runtime, 150.0)  # cached as the latest quote, published before the order
    response = await submit(http, user, "m1")
    await asyncio.sleep(0.3)

    order = (await http.get(f"{ORDERS_URL}/{response.json()['id']}", headers=user.headers)).json()

    assert order["status"] == "accepted"
    latest = (await http.get("/api/v1/market-data/AAPL/quote", headers=user.headers)).json()
    assert latest["price"] == 150.0
