"""The Yahoo chart client on recorded responses: parsing, labels, errors, retries, breaker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest
import pytest_asyncio
import respx

from quantdesk.errors import RateLimitedError, UnavailableError, ValidationError
from quantdesk.marketdata._http import UnknownSymbolError
from quantdesk.marketdata.yahoo import BASE_URL, YahooProvider
from quantdesk.resilience import CircuitOpenError, RetryPolicy
from tests.fixtures.providers import recorded, recorded_text, vendor_client

CHART = f"{BASE_URL}/v8/finance/chart/AAPL"
JAN_2 = datetime(2024, 1, 2, tzinfo=UTC)
JAN_8 = datetime(2024, 1, 8, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def yahoo() -> AsyncIterator[YahooProvider]:
    provider = YahooProvider(vendor_client("yfinance", BASE_URL, failure_threshold=2))
    yield provider
    await provider.close()


@respx.mock
async def test_fetch_daily_bars_parsed_and_labelled_at_utc_midnight(yahoo: YahooProvider) -> None:
    route = respx.get(CHART).respond(json=recorded("yahoo_chart_aapl_1d.json"))
    bars = await yahoo.fetch("AAPL", "1d", JAN_2, JAN_8)
    assert len(bars) == 5
    assert str(bars.timestamps[0].astype("datetime64[ns]")) == "2024-01-02T00:00:00.000000000"
    assert bars.close[0] == pytest.approx(185.639999)
    assert bars.volume[-1] == 59144500
    assert (bars.symbol, bars.timeframe) == ("AAPL", "1d")
    query = route.calls.last.request.url.params
    assert query["interval"] == "1d"
    assert int(query["period1"]) == int(JAN_2.timestamp())


@respx.mock
async def test_fetch_without_start_asks_for_the_whole_range(yahoo: YahooProvider) -> None:
    route = respx.get(CHART).respond(json=recorded("yahoo_chart_aapl_1d.json"))
    await yahoo.fetch("AAPL", "1d", None, None)
    query = route.calls.last.request.url.params
    assert query["range"] == "max"
    assert "period1" not in query


@respx.mock
async def test_fetch_null_rows_are_dropped(yahoo: YahooProvider) -> None:
    respx.get(CHART).respond(json=recorded("yahoo_chart_aapl_1h.json"))
    bars = await yahoo.fetch("AAPL", "1h", None, None)
    assert len(bars) == 13
    assert np.all(np.isfinite(bars.close))
    assert np.all(np.diff(bars.timestamps) > 0)


@respx.mock
async def test_fetch_4h_is_built_from_hourly_bars(yahoo: YahooProvider) -> None:
    route = respx.get(CHART).respond(json=recorded("yahoo_chart_aapl_1h.json"))
    bars = await yahoo.fetch("AAPL", "4h", None, None)
    assert route.calls.last.request.url.params["interval"] == "60m"
    assert bars.timeframe == "4h"
    assert 0 < len(bars) < 13


@respx.mock
async def test_fetch_unknown_symbol_raises_not_found_naming_it(yahoo: YahooProvider) -> None:
    body = recorded("yahoo_chart_unknown_symbol.json")
    respx.get(f"{BASE_URL}/v8/finance/chart/ZZZZ").respond(404, json=body)
    with pytest.raises(UnknownSymbolError, match="ZZZZ") as caught:
        await yahoo.fetch("ZZZZ", "1d", None, None)
    assert caught.value.details["provider"] == "yfinance"
    assert yahoo.breaker.snapshot().failures == 0


@respx.mock
async def test_fetch_bad_request_raises_validation_error(yahoo: YahooProvider) -> None:
    respx.get(CHART).respond(400, json=recorded("yahoo_chart_bad_request.json"))
    with pytest.raises(ValidationError, match="Invalid input"):
        await yahoo.fetch("AAPL", "1d", JAN_2, JAN_8)


async def test_fetch_unsupported_timeframe_names_the_valid_ones(yahoo: YahooProvider) -> None:
    with pytest.raises(ValidationError, match="1m, 5m"):
        await yahoo.fetch("AAPL", "2h", None, None)


@respx.mock
async def test_fetch_rate_limited_beyond_cap_raises_429_with_wait(yahoo: YahooProvider) -> None:
    text = recorded_text("yahoo_too_many_requests.txt")
    route = respx.get(CHART).respond(429, text=text, headers={"Retry-After": "120"})
    with pytest.raises(RateLimitedError) as caught:
        await yahoo.fetch("AAPL", "1d", None, None)
    assert caught.value.retry_after == 120
    assert route.call_count == 1


@respx.mock
async def test_fetch_rate_limit_within_cap_is_waited_out(yahoo: YahooProvider) -> None:
    route = respx.get(CHART)
    route.side_effect = [
        httpx.Response(
            429, text=recorded_text("yahoo_too_many_requests.txt"), headers={"Retry-After": "0"}
        ),
        httpx.Response(200, json=recorded("yahoo_chart_aapl_1d.json")),
    ]
    assert len(await yahoo.fetch("AAPL", "1d", None, None)) == 5
    assert route.call_count == 2


@respx.mock
async def test_fetch_server_error_is_retried_then_succeeds(yahoo: YahooProvider) -> None:
    route = respx.get(CHART)
    route.side_effect = [
        httpx.Response(502, text="Bad Gateway"),
        httpx.ConnectTimeout("timed out"),
        httpx.Response(200, json=recorded("yahoo_chart_aapl_1d.json")),
    ]
    assert len(await yahoo.fetch("AAPL", "1d", None, None)) == 5
    assert route.call_count == 3
    assert yahoo.breaker.snapshot().failures == 0


@respx.mock
async def test_fetch_failing_provider_opens_the_breaker(yahoo: YahooProvider) -> None:
    route = respx.get(CHART).respond(503, text="Service Unavailable")
    for _ in range(2):
        with pytest.raises(UnavailableError, match="HTTP 503"):
            await yahoo.fetch("AAPL", "1d", None, None)
    assert route.call_count == 6  # two fetches of three attempts each
    with pytest.raises(CircuitOpenError, match="yfinance") as caught:
        await yahoo.fetch("AAPL", "1d", None, None)
    assert route.call_count == 6
    assert caught.value.reopens_at > datetime.now(UTC)
    assert yahoo.breaker.snapshot().state == "open"


@respx.mock
async def test_fetch_no_retry_policy_makes_one_attempt() -> None:
    client = vendor_client("yfinance", BASE_URL, policy=RetryPolicy(max_retries=0))
    provider = YahooProvider(client)
    route = respx.get(CHART).respond(500)
    with pytest.raises(UnavailableError, match="1 attempt"):
        await provider.fetch("AAPL", "1d", None, None)
    assert route.call_count == 1
    await provider.close()
