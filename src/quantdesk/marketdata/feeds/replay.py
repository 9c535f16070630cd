"""Replay stored bars as a live feed, at a chosen speed.

Useful to rehearse a strategy or demo the dashboard on history: bars of all the requested
symbols play in time order, the gap between two bar times divided by ``speed``
(``speed=60`` plays a 1m bar every second). With ``live_time`` (the default) timestamps are
shifted so the first bar starts now, so quotes and bars look current downstream (the quote
cache ignores quotes older than the one it holds); without it they keep their stored times.

Example:
    >>> feed = ReplayFeed({"DEMO": bars}, speed=600)  # doctest: +SKIP
    >>> async for bar in feed.bars(["DEMO"], "1m"): ...  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

import numpy as np

from quantdesk.bars import Bars, timeframe_ns
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.ports.market_data import Quote

Sleep = Callable[[float], Awaitable[None]]


class ReplayFeed:
    """A ``LiveFeed`` over bars already loaded, one history per symbol."""

    def __init__(
        self,
        history: Mapping[str, Bars],
        *,
        speed: float = 1.0,
        live_time: bool = True,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not speed > 0:
            raise ValidationError("speed must be above zero, e.g. 60", details={"field": "speed"})
        self.history = {symbol.upper(): bars for symbol, bars in history.items()}
        self.speed = speed
        self.live_time = live_time
        self._sleep = sleep

    async def bars(self, symbols: list[str], timeframe: str) -> AsyncIterator[Bars]:
        """Yield each stored bar of ``symbols`` as a one-row ``Bars``, in time order."""
        timeframe_ns(timeframe)
        async for symbol, row, stamp in self._play(symbols):
            source = self.history[symbol]
            yield Bars.from_arrays(
                np.array([stamp], dtype=np.int64),
                *(column[row : row + 1] for column in _ohlcv(source)),
                symbol=symbol,
                timeframe=timeframe,
            )

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Yield each bar's close as a quote, stamped with the bar's (shifted) time."""
        async for symbol, row, stamp in self._play(symbols):
            source = self.history[symbol]
            yield Quote(symbol, stamp, float(source.close[row]), volume=float(source.volume[row]))

    async def _play(self, symbols: list[str]) -> AsyncIterator[tuple[str, int, int]]:
        names, owners, rows, stamps = self._timeline(symbols)
        shift = time.time_ns() - int(stamps[0]) if self.live_time and len(stamps) else 0
        previous = int(stamps[0]) if len(stamps) else 0
        for owner, row, stamp in zip(owners.tolist(), rows.tolist(), stamps.tolist(), strict=True):
            if stamp > previous:
                await self._sleep((stamp - previous) / 1e9 / self.speed)
                previous = stamp
            yield names[owner], row, stamp + shift

    def _timeline(self, symbols: list[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        names = [symbol.upper() for symbol in symbols]
        missing = [name for name in names if name not in self.history]
        if missing or not names:
            raise NotFoundError("Replay history", f"of {', '.join(missing) or 'no symbol'}")
        stamps = np.concatenate([self.history[name].timestamps for name in names])
        owners = np.concatenate([np.full(len(self.history[n]), i) for i, n in enumerate(names)])
        rows = np.concatenate([np.arange(len(self.history[name])) for name in names])
        order = np.argsort(stamps, kind="stable")
        return names, owners[order], rows[order], stamps[order]


def _ohlcv(bars: Bars) -> Iterator[np.ndarray]:
    yield from (bars.open, bars.high, bars.low, bars.close, bars.volume)
