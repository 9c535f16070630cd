"""The Twelve Data client on recorded responses: parsing, key handling, errors, retries."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, tzinfo

import httpx
import pytest
import pytest_asyncio
import respx
from pydantic import SecretStr

from quantdesk.errors import RateLimitedError, UnavailableError, ValidationError
from quantdesk.marketdata import twelvedata as twelvedata_module
from quantdesk.marketdata._http import UnknownSymbolError
from quantdesk.marketdata.twelvedata import BASE_URL, KEY_SETTING, TwelveDataProvider
from tests.fixtures.providers import recorded, vendor_client

SERIES = f"{BASE_URL}/time_series"
API_KEY = "td-test-key-5f2c9a7e41"
JAN_2 = datetime(2024, 1, 2, tzinfo=UTC)
JAN_8 = datetime(2024, 1, 8, 23, 59, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def twelvedata() -> AsyncIterator[TwelveDataProvider]:
    client = vendor_client("twelvedata", BASE_URL, failure_threshold=2)
    provider = TwelveDataProvider(client, SecretStr(API_KEY))
    yield provider
    await provider.close()


@respx.mock
async def test_fetch_daily_bars_parsed_oldest_first(twelvedata: TwelveDataProvider) -> None:
    respx.get(SERIES).respond(json=recorded("twelvedata_time_series_aapl_1day.json"))
    bars = await twelvedata.fetch("AAPL", "1d", JAN_2, JAN_8)
    assert len(bars) == 5
    assert str(bars.timestamps[0].astype("datetime64[ns]")).startswith("2024-01-02T00:00")
    assert bars.close[0] == pytest.approx(185.64)
    assert bars.volume[0] == 82488700


@respx.mock
async def test_fetch_sends_key_in_header_never_in_url(
    twelvedata: TwelveDataProvider, caplog: pytest.LogCaptureFixture
) -> None:
    route = respx.get(SERIES).respond(json=recorded("twelvedata_time_series_aapl_1day.json"))
    with caplog.at_level(logging.DEBUG):
        await twelvedata.fetch("AAPL", "1d", JAN_2, JAN_8)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"apikey {API_KEY}"
    assert API_KEY not in str(request.url)
    assert API_KEY not in caplog.text
    assert request.url.params["interval"] == "1day"
    assert request.url.params["timezone"] == "UTC"
    assert request.url.params["start_date"] == "2024-01-02 00:00:00"


@respx.mock
async def test_fetch_newest_first_values_are_sorted(twelvedata: TwelveDataProvider) -> None:
    respx.get(SERIES).respond(json=recorded("twelvedata_time_series_eurusd_1h.json"))
    bars = await twelvedata.fetch("EUR/USD", "1h", None, None)
    assert bars.close.tolist() == [1.0941, 1.0953, 1.0959]
    assert bars.volume.tolist() == [0.0, 0.0, 0.0]


async def test_fetch_without_key_names_the_setting() -> None:
    provider = TwelveDataProvider(vendor_client("twelvedata", BASE_URL), None)
    with pytest.raises(UnavailableError, match=KEY_SETTING):
        await provider.fetch("AAPL", "1d", None, None)
    await provider.close()


@respx.mock
async def test_fetch_unknown_symbol_in_http_200_raises_not_found(
    twelvedata: TwelveDataProvider,
) -> None:
    respx.get(SERIES).respond(200, json=recorded("twelvedata_unknown_symbol.json"))
    with pytest.raises(UnknownSymbolError, match="'ZZZZ'"):
        await twelvedata.fetch("ZZZZ", "1d", None, None)


class _TenPastTheMinute(datetime):
    """A clock ten seconds into a minute, so the wait for the next one is 50 s."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _TenPastTheMinute:
        return cls(2025, 1, 2, 15, 30, 10, tzinfo=tz)


@respx.mock
async def test_fetch_rate_limit_in_body_waits_for_next_minute(
    twelvedata: TwelveDataProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twelvedata_module, "datetime", _TenPastTheMinute)
    route = respx.get(SERIES).respond(200, json=recorded("twelvedata_rate_limit.json"))
    with pytest.raises(RateLimitedError, match="rate limit") as caught:
        await twelvedata.fetch("AAPL", "1d", None, None)
    assert caught.value.retry_after == 50
    assert route.call_count == 1  # the minute's wait is beyond the test policy's 5 s cap
    assert twelvedata.breaker.snapshot().failures == 0


@respx.mock
async def test_fetch_invalid_key_is_unavailable_without_echoing_it(
    twelvedata: TwelveDataProvider,
) -> None:
    respx.get(SERIES).respond(401, json=recorded("twelvedata_invalid_key.json"))
    with pytest.raises(UnavailableError, match=KEY_SETTING) as caught:
        await twelvedata.fetch("AAPL", "1d", None, None)
    assert API_KEY not in caught.value.message


@respx.mock
async def test_fetch_no_data_in_range_returns_empty_bars(twelvedata: TwelveDataProvider) -> None:
    respx.get(SERIES).respond(200, json=recorded("twelvedata_no_data.json"))
    bars = await twelvedata.fetch("AAPL", "1d", JAN_2, JAN_2)
    assert len(bars) == 0


@respx.mock
async def test_fetch_server_error_in_body_is_retried(twelvedata: TwelveDataProvider) -> None:
    route = respx.get(SERIES)
    route.side_effect = [
        httpx.Response(200, json={"code": 500, "message": "Internal error", "status": "error"}),
        httpx.Response(200, json=recorded("twelvedata_time_series_aapl_1day.json")),
    ]
    assert len(await twelvedata.fetch("AAPL", "1d", None, None)) == 5
    assert route.call_count == 2


@respx.mock
async def test_fetch_non_json_body_is_unavailable(twelvedata: TwelveDataProvider) -> None:
    respx.get(SERIES).respond(200, text="<html>maintenance</html>")
    with pytest.raises(UnavailableError, match="not JSON"):
        await twelvedata.fetch("AAPL", "1d", None, None)


async def test_fetch_unsupported_timeframe_is_refused(twelvedata: TwelveDataProvider) -> None:
    with pytest.raises(ValidationError, match="not served by twelvedata"):
        await twelvedata.fetch("AAPL", "3d", None, None)
