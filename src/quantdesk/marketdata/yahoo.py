"""Yahoo Finance history through its public chart API, offered to users as "yfinance".

This speaks to ``/v8/finance/chart/{symbol}`` over httpx, the endpoint the yfinance
package calls, rather than importing yfinance: that package runs its own blocking HTTP
stack (it would stall the event loop) which respx cannot record, so its behaviour could
not be tested without the network. Prices are as traded, not adjusted for dividends.
Daily and weekly bars are labelled 00:00 UTC of the exchange's trading date, so they line
up with files and other providers; 4h bars are built from 1h bars.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np

from quantdesk.bars import Bars
from quantdesk.errors import UnavailableError, ValidationError
from quantdesk.marketdata._http import UnknownSymbolError, VendorClient, json_body

NAME = "yfinance"
BASE_URL = "https://query1.finance.yahoo.com"
# Our timeframe -> (Yahoo interval, the range Yahoo serves when no start is given).
INTERVALS = {
    "1m": ("1m", "7d"),
    "5m": ("5m", "60d"),
    "15m": ("15m", "60d"),
    "30m": ("30m", "60d"),
    "1h": ("60m", "730d"),
    "4h": ("60m", "730d"),
    "1d": ("1d", "max"),
    "1w": ("1wk", "max"),
}
SYMBOL_HINT = "check the ticker as Yahoo writes it, e.g. BRK-B, EURUSD=X, BTC-USD, ^GSPC"
_DAY_S = 86_400


class YahooProvider:
    """Historical bars from Yahoo Finance; no API key needed."""

    name = NAME

    def __init__(self, client: VendorClient) -> None:
        self.client = client
        self.breaker = client.breaker

    async def fetch(
        self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None
    ) -> Bars:
        """Return ``symbol``'s bars in ``[start, end]`` (UTC); all Yahoo has when start is None.

        Raises:
            UnknownSymbolError: Yahoo does not know the symbol.
            ValidationError: The timeframe is not served, or Yahoo refused the range.
        """
        interval, default_range = _interval(timeframe)
        params = _params(interval, default_range, start, end)
        path = f"/v8/finance/chart/{quote(symbol, safe='')}"
        bars = await self.client.get(path, params, lambda response: _parse(response, symbol))
        bars = _tidy(bars, "1h" if timeframe == "4h" else timeframe)
        if timeframe == "4h":
            bars = bars.resample("4h")
        return _within(bars, start, end)

    async def close(self) -> None:
        await self.client.close()


def _interval(timeframe: str) -> tuple[str, str]:
    if timeframe not in INTERVALS:
        raise ValidationError(
            f"timeframe {timeframe!r} is not served by {NAME}; use one of {', '.join(INTERVALS)}"
        )
    return INTERVALS[timeframe]


def _params(
    interval: str, default_range: str, start: datetime | None, end: datetime | None
) -> dict[str, str | int]:
    params: dict[str, str | int] = {"interval": interval, "includePrePost": "false"}
    if start is None:
        params["range"] = default_range
        return params
    params["period1"] = int(start.timestamp())
    params["period2"] = int((end or datetime.now(UTC)).timestamp()) + 1
    return params


def _parse(response: httpx.Response, symbol: str) -> Bars:
    body = json_body(NAME, response)
    chart = body.get("chart") if isinstance(body, dict) else None
    if not isinstance(chart, dict):
        raise UnavailableError(f"{NAME} answered without a chart; retry later")
    error = chart.get("error")
    if error:
        raise _chart_error(error, symbol)
    results = chart.get("result") or []
    if not results:
        raise UnknownSymbolError(NAME, symbol, SYMBOL_HINT)
    return _bars(results[0], symbol)


def _chart_error(error: Any, symbol: str) -> Exception:
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    description = str(error.get("description", "")) if isinstance(error, dict) else str(error)
    if code == "Not Found":
        return UnknownSymbolError(NAME, symbol, SYMBOL_HINT)
    return ValidationError(f"{NAME} refused the request for {symbol!r}: {description}")


def _bars(result: dict[str, Any], symbol: str) -> Bars:
    seconds = _label(np.asarray(result.get("timestamp") or [], dtype=np.int64), result)
    quotes = (result.get("indicators", {}).get("quote") or [{}])[0]
    open_, high, low, close = (
        _floats(quotes.get(name), len(seconds)) for name in ("open", "high", "low", "close")
    )
    volume = np.nan_to_num(_floats(quotes.get("volume"), len(seconds)), nan=0.0)
    keep = np.isfinite(open_) & np.isfinite(high) & np.isfinite(low) & np.isfinite(close)
    return Bars.from_arrays(
        seconds[keep] * 1_000_000_000,
        open_[keep],
        high[keep],
        low[keep],
        close[keep],
        volume[keep],
        symbol=symbol,
    )


def _floats(values: list[float | None] | None, length: int) -> np.ndarray:
    if values is None:
        return np.full(length, np.nan)
    column: np.ndarray = np.array(
        [np.nan if value is None else value for value in values], dtype=np.float64
    )
    return column


def _label(seconds: np.ndarray, result: dict[str, Any]) -> np.ndarray:
    meta = result.get("meta", {})
    granularity = str(meta.get("dataGranularity", ""))
    if not granularity.endswith(("d", "wk", "mo")):
        return seconds
    local: np.ndarray = seconds + int(meta.get("gmtoffset") or 0)
    days: np.ndarray = local - local % _DAY_S
    return days


def _tidy(bars: Bars, timeframe: str) -> Bars:
    # Sorted, and a repeated timestamp (Yahoo's live last bar) keeps its latest values.
    order = np.argsort(bars.timestamps, kind="stable")
    stamps = bars.timestamps[order]
    last = np.concatenate((stamps[1:] != stamps[:-1], [True])) if len(stamps) else order
    rows = order[np.asarray(last, dtype=bool)]
    return Bars(
        bars.timestamps[rows],
        bars.open[rows],
        bars.high[rows],
        bars.low[rows],
        bars.close[rows],
        bars.volume[rows],
        symbol=bars.symbol,
        timeframe=timeframe,
    )


def _within(bars: Bars, start: datetime | None, end: datetime | None) -> Bars:
    first = 0 if start is None else int(np.searchsorted(bars.timestamps, _ns(start), "left"))
    stop = len(bars) if end is None else int(np.searchsorted(bars.timestamps, _ns(end), "right"))
    return bars[first:stop]


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1_000
