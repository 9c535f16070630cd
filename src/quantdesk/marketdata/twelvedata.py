"""Twelve Data history through its REST ``/time_series`` endpoint.

The API key goes in the ``Authorization: apikey …`` header that Twelve Data accepts, not
in the query string, so no URL that httpx or we log can carry it. Twelve Data often wraps
errors in an HTTP 200 with ``{"status": "error", "code": …}``; the body's code decides.
Its rate limits are per minute, so a limit without a ``Retry-After`` waits for the next
minute. Timestamps are requested in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
from pydantic import SecretStr

from quantdesk.bars import Bars
from quantdesk.errors import UnavailableError, ValidationError
from quantdesk.marketdata._http import (
    UnknownSymbolError,
    VendorClient,
    json_body,
    rate_limited,
    retry_after_seconds,
)
from quantdesk.resilience import TransientError

NAME = "twelvedata"
BASE_URL = "https://api.twelvedata.com"
KEY_SETTING = "QUANTDESK_TWELVEDATA_API_KEY"
INTERVALS = {
    "1m": "1min",
    "5m": "5min",
    "15m": "15min",
    "30m": "30min",
    "1h": "1h",
    "4h": "4h",
    "1d": "1day",
    "1w": "1week",
}
MAX_OUTPUT_SIZE = 5000
SYMBOL_HINT = "check the symbol as Twelve Data writes it, e.g. AAPL, EUR/USD, BTC/USD"
_NO_DATA = "no data is available"


class TwelveDataProvider:
    """Historical bars from Twelve Data; needs an API key (``QUANTDESK_TWELVEDATA_API_KEY``)."""

    name = NAME

    def __init__(self, client: VendorClient, api_key: SecretStr | None) -> None:
        self.client = client
        self.breaker = client.breaker
        self._api_key = api_key

    async def fetch(
        self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None
    ) -> Bars:
        """Return up to 5,000 of ``symbol``'s bars in ``[start, end]`` (UTC), oldest first.

        Raises:
            UnavailableError: No API key is configured, or Twelve Data refused it.
            UnknownSymbolError: Twelve Data does not know the symbol.
            ValidationError: The timeframe is not served, or Twelve Data refused the request.
        """
        headers = {"Authorization": f"apikey {self._key()}"}
        params = _params(symbol, _interval(timeframe), start, end)
        return await self.client.get(
            "/time_series",
            params,
            lambda response: _parse(response, symbol, timeframe, self._key()),
            headers=headers,
        )

    def _key(self) -> str:
        if self._api_key is None or not self._api_key.get_secret_value():
            raise UnavailableError(
                f"{NAME} needs an API key: set {KEY_SETTING} (a free key comes with a "
                "Twelve Data account) and restart"
            )
        return self._api_key.get_secret_value()

    async def close(self) -> None:
        await self.client.close()


def _interval(timeframe: str) -> str:
    if timeframe not in INTERVALS:
        raise ValidationError(
            f"timeframe {timeframe!r} is not served by {NAME}; use one of {', '.join(INTERVALS)}"
        )
    return INTERVALS[timeframe]


def _params(
    symbol: str, interval: str, start: datetime | None, end: datetime | None
) -> dict[str, str | int]:
    params: dict[str, str | int] = {
        "symbol": symbol,
        "interval": interval,
        "timezone": "UTC",
        "order": "asc",
        "outputsize": MAX_OUTPUT_SIZE,
    }
    if start is not None:
        params["start_date"] = _utc_text(start)
    if end is not None:
        params["end_date"] = _utc_text(end)
    return params


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse(response: httpx.Response, symbol: str, timeframe: str, key: str) -> Bars:
    body = json_body(NAME, response)
    if not isinstance(body, dict):
        raise UnavailableError(f"{NAME} answered with an unexpected body; retry later")
    if body.get("status") == "error":
        return _error(body, response, symbol, timeframe, key)
    return _bars(body.get("values") or [], symbol, timeframe)


def _error(
    body: dict[str, Any], response: httpx.Response, symbol: str, timeframe: str, key: str
) -> Bars:
    code = int(body.get("code") or response.status_code)
    message = str(body.get("message", "")).replace(key, "***")
    if code == httpx.codes.TOO_MANY_REQUESTS:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise rate_limited(wait if wait is not None else 60 - datetime.now(UTC).second)
    if code >= httpx.codes.INTERNAL_SERVER_ERROR:
        raise TransientError(f"answered code {code}")
    if code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        raise UnavailableError(f"{NAME} refused the API key ({message}); check {KEY_SETTING}")
    if _NO_DATA in message.lower():
        return _bars([], symbol, timeframe)
    if "symbol" in message.lower():
        raise UnknownSymbolError(NAME, symbol, SYMBOL_HINT)
    raise ValidationError(f"{NAME} refused the request for {symbol!r}: {message}")


def _bars(values: list[dict[str, Any]], symbol: str, timeframe: str) -> Bars:
    stamps = np.array([row["datetime"].replace(" ", "T") for row in values], dtype="datetime64[ns]")
    columns = [
        np.array([float(row.get(name) or 0.0) for row in values], dtype=np.float64)
        for name in ("open", "high", "low", "close", "volume")
    ]
    order = np.argsort(stamps, kind="stable")
    return Bars.from_arrays(
        stamps[order],
        columns[0][order],
        columns[1][order],
        columns[2][order],
        columns[3][order],
        columns[4][order],
        symbol=symbol,
        timeframe=timeframe,
    )
