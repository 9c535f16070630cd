"""The data-quality report of stored bars over HTTP."""

from __future__ import annotations

import httpx

from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users", "tests.fixtures.stored_bars"]

URL = "/api/v1/market-data/AAPL/quality"


async def test_quality_clean_weekdays_history_is_clean(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", [100, 101, 102, 103, 104, 105], days=[0, 1, 2, 3, 4, 7])
    response = await client.get(
        URL, params={"timeframe": "1d", "calendar": "weekdays"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["clean"] is True
    assert (body["bars"], body["expected"], body["coverage"]) == (6, 6, 1.0)


async def test_quality_gap_and_jump_are_counted_with_first_timestamps(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", [100, 101, 140, 141], days=[0, 1, 3, 4])
    response = await client.get(
        URL, params={"calendar": "weekdays", "jump_threshold": 0.3}, headers=user.headers
    )
    findings = response.json()["findings"]
    assert response.json()["clean"] is False
    assert findings["missing"] == {"count": 1, "first": ["2024-01-10T00:00:00Z"]}
    assert findings["price_jumps"] == {"count": 1, "first": ["2024-01-11T00:00:00Z"]}
    assert findings["duplicates"]["count"] == 0


async def test_quality_unknown_symbol_is_404_and_bad_calendar_422(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", [100, 101])
    missing = await client.get("/api/v1/market-data/MSFT/quality", headers=user.headers)
    assert missing.status_code == 404
    bad = await client.get(URL, params={"calendar": "nyse"}, headers=user.headers)
    assert bad.status_code == 422
    assert "calendar" in bad.json()["error"]["message"]


async def test_quality_without_token_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
