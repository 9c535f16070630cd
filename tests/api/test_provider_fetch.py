"""POST /market-data/fetch through the real vendor clients, on recorded responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import respx
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.marketdata import twelvedata, yahoo
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.settings import Settings
from tests.fixtures.apps import serve, settings_with
from tests.fixtures.providers import recorded, recorded_text
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users"]

URL = "/api/v1/market-data/fetch"
CHART = f"{yahoo.BASE_URL}/v8/finance/chart/AAPL"
SERIES = f"{twelvedata.BASE_URL}/time_series"
API_KEY = "td-secret-key-9d81c2aa07"
BODY = {
    "provider": "yfinance",
    "symbol": "AAPL",
    "timeframe": "1d",
    "start": "2024-01-02T00:00:00Z",
}


@pytest_asyncio.fixture(loop_scope="session")
async def fetch_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """One attempt per call and a breaker that opens on the first outage."""
    changed = settings_with(
        settings,
        provider_max_retries=0,
        provider_breaker_failures=1,
        provider_breaker_reset_seconds=300,
        twelvedata_api_key=API_KEY,
    )
    built = build_runtime(changed)
    yield built
    await built.close()


@pytest_asyncio.fixture(loop_scope="session")
async def http(settings: Settings, fetch_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, runtime=fetch_runtime)
    async with serve(app) as client:
        yield client


async def post(http: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> httpx.Response:
    return await http.post(URL, json=BODY | changes, headers=headers)


@respx.mock
async def test_fetch_yahoo_stores_bars_and_refreshes_quote(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    respx.get(CHART).respond(json=recorded("yahoo_chart_aapl_1d.json"))
    response = await post(http, user.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["provider"], body["symbol"], body["rows"], body["inserted"]) == (
        "yfinance",
        "AAPL",
        5,
        5,
    )
    again = await post(http, user.headers)
    assert again.json()["unchanged"] == 5
    quote = await http.get("/api/v1/market-data/AAPL/quote", headers=user.headers)
    assert (quote.json()["price"], quote.json()["stale"]) == (185.559998, False)
    bars = await http.get(
        "/api/v1/market-data/AAPL/quality", params={"calendar": "weekdays"}, headers=user.headers
    )
    assert bars.json()["bars"] == 5


@respx.mock(assert_all_called=False)
async def test_fetch_synthetic_twice_stores_once_offline(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    window = {"provider": "synthetic", "symbol": "demo", "timeframe": "1h"}
    window |= {"start": "2024-12-01T00:00:00Z", "end": "2024-12-01T23:00:00Z"}
    first = await post(http, user.headers, **window)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["provider"], body["symbol"], body["rows"], body["inserted"]) == (
        "synthetic",
        "DEMO",
        24,
        24,
    )
    assert body["first"].startswith("2024-12-01T00:00:00")
    again = await post(http, user.headers, **window)
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 24)
    quote = await http.get("/api/v1/market-data/DEMO/quote", headers=user.headers)
    assert quote.json()["stale"] is False
    assert quote.json()["timestamp"].startswith("2024-12-01T23:00:00")


@respx.mock
async def test_fetch_twelvedata_sends_key_header_only(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    route = respx.get(SERIES).respond(json=recorded("twelvedata_time_series_aapl_1day.json"))
    response = await post(http, user.headers, provider="twelvedata")
    assert response.status_code == 201, response.text
    assert route.calls.last.request.headers["Authorization"] == f"apikey {API_KEY}"
    assert API_KEY not in response.text


@respx.mock
async def test_fetch_unknown_symbol_is_404_naming_it(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    respx.get(f"{yahoo.BASE_URL}/v8/finance/chart/ZZZZ").respond(
        404, json=recorded("yahoo_chart_unknown_symbol.json")
    )
    response = await post(http, user.headers, symbol="ZZZZ")
    assert response.status_code == 404
    assert "ZZZZ" in response.json()["error"]["message"]
    assert response.json()["error"]["code"] == "unknown_symbol"


@respx.mock
async def test_fetch_vendor_rate_limit_is_429_with_retry_after(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    respx.get(SERIES).respond(200, json=recorded("twelvedata_rate_limit.json"))
    response = await post(http, user.headers, provider="twelvedata")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "twelvedata" in response.json()["error"]["message"]


@respx.mock
async def test_fetch_outage_opens_breaker_then_503_and_health_shows_it(
    http: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    admin = await sign_in(role="admin")
    route = respx.get(CHART).respond(503, text=recorded_text("yahoo_too_many_requests.txt"))
    first = await post(http, user.headers)
    assert first.status_code == 503
    second = await post(http, user.headers)
    assert second.status_code == 503
    assert second.json()["error"]["code"] == "circuit_open"
    assert "yfinance" in second.json()["error"]["message"]
    assert second.json()["error"]["details"]["reopens_at"]
    assert route.call_count == 1
    health = await http.get("/health/detailed", headers=admin.headers)
    states = {item["name"]: item for item in health.json()["providers"]}
    assert states["yfinance"]["state"] == "open"
    assert states["yfinance"]["reopens_at"] is not None
    assert states["twelvedata"]["state"] == "closed"


async def test_fetch_missing_twelvedata_key_names_the_setting(
    settings: Settings, sign_in: SignIn
) -> None:
    user = await sign_in()
    runtime = build_runtime(settings)
    async with serve(create_app(settings, runtime=runtime)) as client:
        response = await post(client, user.headers, provider="twelvedata")
    await runtime.close()
    assert response.status_code == 503
    assert "QUANTDESK_TWELVEDATA_API_KEY" in response.json()["error"]["message"]


async def test_fetch_bad_provider_or_range_is_422(http: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    assert (await post(http, user.headers, provider="bloomberg")).status_code == 422
    backwards = await post(http, user.headers, end="2023-01-01T00:00:00Z")
    assert backwards.status_code == 422
    assert "start" in backwards.json()["error"]["message"]


async def test_fetch_without_token_is_refused(http: httpx.AsyncClient) -> None:
    assert (await http.post(URL, json=BODY)).status_code == 401
